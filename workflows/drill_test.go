package workflows_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/engine"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

// A joint drill of 郭家河 and 园子沟 on day 10, preparation due on day 7:
// 郭家河 prepares on day 1 and hears no rung; 园子沟 prepares late, on day
// 8.5, and gets the reminders (day 5, day 7) and the letter (day 8), not the
// notice (day 9); 招贤 never reports, gets every rung and its task is closed
// when the drill is recorded. A record naming a unit that did not take part is refused
// by the validator, naming the field; the organiser's record on day 11 with
// two problems opens two general hazards, one at each mine, found by the
// drill; each is rectified (day 12) and verified by the bureau's inspector
// (day 13), and the drill closes with them.
func TestJointDrill(t *testing.T) {
	ctx := context.Background()
	c := testdb.NewCounty(t)
	id, err := store.NextDrillID(ctx, c.DB)
	if err != nil {
		t.Fatal(err)
	}
	drillAt, prepareDue := t0.Add(10*day), t0.Add(7*day)
	gjh, yzg, zxm := c.Units["gjh"], c.Units["yzg"], c.Units["zxm"]
	spec := domain.DrillSpec{ID: id, Year: t0.Year(), Title: "矿井火灾事故救援联合演练", Scenario: "1302采煤工作面外因火灾，多队协同救援",
		OrganiserUnitID: c.Units["yjj"], OrganiserCode: "yjj", OrganiserRole: domain.RoleSafetyOffice, LeadUnitID: gjh,
		Units: []domain.DrillUnit{{UnitID: gjh, Code: "gjh", Name: "郭家河煤矿"}, {UnitID: yzg, Code: "yzg", Name: "园子沟煤矿"},
			{UnitID: zxm, Code: "zxm", Name: "招贤煤矿"}},
		DrillAt: drillAt, PrepareDue: prepareDue, Ladder: domain.DefaultDrillLadder(),
		PlannedBy: "yjj-office", PlannerID: c.IDs["yjj-office"], CreatedAt: t0}
	env := newEnv()
	env.SetTestTimeout(time.Minute) // real database activities: a saturated machine can hold one up past the default 3 s
	engine.Register(env, &activities.Activities{Store: c.Store})
	env.SetStartTime(t0)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: contract.DrillID(id)})
	var errs []error
	complete := func(task, kind, person string, at time.Duration, payload map[string]any) {
		env.RegisterDelayedCallback(func() {
			env.UpdateWorkflow(contract.UpdateCompleteTask, task, updateCallback(collect(&errs, task)), completeRequest(c.IDs, task, kind, person, payload))
		}, at)
	}
	complete(contract.DrillPrepareTaskID(id, gjh), string(domain.KindDrillPrepare), "gjh-head", 1*day, map[string]any{"result": "救护小队12人、正压氧气呼吸器20台已就位"})
	complete(contract.DrillPrepareTaskID(id, yzg), string(domain.KindDrillPrepare), "yzg-head", 8*day+12*time.Hour, map[string]any{"result": "救护队已完成演练方案学习"})
	deadline := t0.Add(30 * day)
	problem := func(unit, text string) map[string]any {
		return map[string]any{"unit": unit, "description": text, "deadline": deadline.Format(time.RFC3339)}
	}
	heldOn := drillAt.In(domain.DefaultZone).Format(time.DateOnly)
	var refused error
	env.RegisterDelayedCallback(func() {
		task := contract.DrillEvaluateTaskID(id)
		env.UpdateWorkflow(contract.UpdateCompleteTask, "bad", updateCallback(func(err error) { refused = err }),
			completeRequest(c.IDs, task, string(domain.KindDrillEvaluate), "yjj-office", map[string]any{"held_on": heldOn, "present": []string{"gjh"},
				"evaluation": "x", "problems": []any{problem("cmm", "不是参演单位")}}))
	}, 10*day+time.Hour)
	complete(contract.DrillEvaluateTaskID(id), string(domain.KindDrillEvaluate), "yjj-office", 11*day, map[string]any{
		"held_on": heldOn, "present": []string{"gjh", "yzg"}, "evaluation": "两队协同有序，响应迅速；通信联络和器材管理存在不足",
		"problems": []any{problem("gjh", "井下救灾通信中断后未启用备用联络方式"), problem("yzg", "氧气呼吸器备用气瓶压力不足")}})
	// The hazards' loops: each mine rectifies, the bureau's inspector verifies.
	act := func(kind, payloadKind string, payload map[string]any, at time.Duration) {
		env.RegisterDelayedCallback(func() {
			var tasks []struct {
				ID         string `db:"id"`
				WorkflowID string `db:"workflow_id"`
				UnitID     int64  `db:"unit_id"`
			}
			if err := c.DB.Select(&tasks, `SELECT id, workflow_id, unit_id FROM tasks WHERE kind = $1 AND status = 'open' ORDER BY id`, kind); err != nil {
				errs = append(errs, err)
				return
			}
			if len(tasks) != 2 {
				t.Errorf("%d open %s tasks, want 2", len(tasks), kind)
			}
			for _, task := range tasks {
				person := "yjj-inspector-1"
				if kind == string(domain.KindHazardRectify) {
					person = map[int64]string{gjh: "gjh-head", yzg: "yzg-head"}[task.UnitID]
				}
				if err := env.UpdateWorkflowByID(task.WorkflowID, contract.UpdateCompleteTask, task.ID, updateCallback(collect(&errs, task.ID)),
					completeRequest(c.IDs, task.ID, payloadKind, person, payload)); err != nil {
					errs = append(errs, err)
				}
			}
		}, at)
	}
	act(string(domain.KindHazardRectify), string(domain.KindHazardRectify), map[string]any{"result": "已整改"}, 12*day)
	act(string(domain.KindHazardVerify), string(domain.KindHazardVerify), map[string]any{"decision": "approve"}, 13*day)
	env.ExecuteWorkflow(contract.DrillWorkflow, spec)
	for _, err := range errs {
		t.Error(err)
	}
	res := workflowResult[contract.DrillResult](t, env)
	if res.Prepared != 2 || len(res.Hazards) != 2 {
		t.Fatalf("result %+v", res)
	}
	if refused == nil {
		t.Error("a record naming a unit that did not take part was accepted")
	} else if !strings.Contains(fmt.Sprintf("%+v", refused), "problems[0].unit") {
		t.Errorf("refusal %v does not name problems[0].unit", refused)
	}
	var fired []struct {
		At     time.Time `db:"at"`
		UnitID int64     `db:"unit_id"`
	}
	if err := c.DB.Select(&fired, `SELECT at, unit_id FROM audit_log WHERE action = 'rung.fired' AND subject_type = 'drill' AND unit_id = $1 ORDER BY seq`, yzg); err != nil {
		t.Fatal(err)
	}
	want := []time.Time{prepareDue.Add(-2 * day), prepareDue, prepareDue.Add(day)}
	if len(fired) != len(want) {
		t.Fatalf("fired %+v, want 园子沟's at %v", fired, want)
	}
	for i := range want {
		if !fired[i].At.Equal(want[i]) || fired[i].UnitID != yzg {
			t.Errorf("rung %d: %+v, want 园子沟 at %v", i, fired[i], want[i])
		}
	}
	// 招贤 never reports: every rung of its ladder fires, the notice too, and
	// its task is closed when the drill is recorded.
	var actions []string
	if err := c.DB.Select(&actions, `SELECT after ->> 'action' FROM audit_log WHERE action = 'rung.fired' AND subject_type = 'drill' AND unit_id = $1 ORDER BY seq`, zxm); err != nil {
		t.Fatal(err)
	}
	if strings.Join(actions, ",") != "remind,remind,letter,notice" {
		t.Errorf("招贤's rungs: %v", actions)
	}
	if n := testdb.Count(t, c.DB, `SELECT count(*) FROM tasks WHERE id = $1 AND status = 'cancelled'`, contract.DrillPrepareTaskID(id, zxm)); n != 1 {
		t.Errorf("招贤's preparation not closed at the drill")
	}
	d, err := store.DrillByID(ctx, c.DB, id)
	if err != nil || d.Status != domain.DrillClosed || d.Prepared != 2 || d.Problems != 2 || d.Rectified != 2 || d.HeldOn == nil || *d.HeldOn != heldOn {
		t.Fatalf("drill %+v %v", d, err)
	}
	problems, err := store.DrillProblems(ctx, c.DB, id)
	if err != nil || len(problems) != 2 {
		t.Fatalf("problems %+v %v", problems, err)
	}
	for i, unit := range []int64{gjh, yzg} {
		h, err := store.HazardByID(ctx, c.DB, problems[i].HazardID)
		if err != nil {
			t.Fatal(err)
		}
		if h.UnitID != unit || h.FoundBy != "drill" || h.Level != domain.HazardGeneral || h.Status != domain.HazardClosed ||
			h.FinderUnitID != c.Units["yjj"] || !h.Deadline.Equal(deadline) {
			t.Errorf("problem %d's hazard %+v", i, h)
		}
	}
	for action, n := range map[string]int{"drill.planned": 1, "drill.prepared": 2, "drill.evaluated": 1, "hazard.recorded": 2, "drill.closed": 1} {
		if got := testdb.Count(t, c.DB, `SELECT count(*) FROM audit_log WHERE action = $1`, action); got != n {
			t.Errorf("%d %s audit rows, want %d", got, action, n)
		}
	}
	// A second write of the evaluation's hazards changes nothing (keyed by drill and problem).
	var again contract.DrillEvaluatedResult
	a := &activities.Activities{Store: c.Store}
	rec := contract.DrillEvaluatedInput{DrillID: id, By: "yjj-office", At: t0.Add(11 * day), Record: domain.DrillRecord{HeldOn: heldOn, Present: []string{"gjh"},
		Evaluation: "x", Problems: []domain.DrillProblem{{Unit: "gjh", Description: "井下救灾通信中断后未启用备用联络方式", Deadline: &deadline},
			{Unit: "yzg", Description: "氧气呼吸器备用气瓶压力不足", Deadline: &deadline}}}}
	if again, err = a.DrillEvaluated(ctx, rec); err != nil || len(again.Hazards) != 2 || again.Hazards[0].ID != problems[0].HazardID {
		t.Fatalf("again %+v %v", again, err)
	}
	if n := testdb.Count(t, c.DB, `SELECT count(*) FROM hazards WHERE found_by = 'drill'`); n != 2 {
		t.Errorf("%d hazards of the drill, want 2", n)
	}
}
