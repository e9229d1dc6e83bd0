package workflows_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/engine"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

// hazardRow writes a hazard found by yjj's inspection at a mine.
func hazardRow(t *testing.T, c testdb.County, level string, deadline time.Time) int64 {
	t.Helper()
	ctx := context.Background()
	var id int64
	err := c.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		id, _, err = store.InsertHazard(ctx, tx, store.Hazard{UnitID: c.Units["cmm"], Source: "ventilation", Level: level, Category: domain.CoalMajorCategories[4],
			Description: "回风巷风量不足", FoundBy: "self", FinderUnitID: c.Units["yjj"], FoundOn: store.Date{Time: t0}, Deadline: deadline,
			CreatedBy: c.IDs["yjj-inspector-1"], CreatedAt: t0})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// firedOn lists the rungs fired about a subject, as action@days after t0, to
// the second (a process takes its next step a millisecond after a
// completion's answer, so a rung already due on a reopened task fires then).
func firedOn(t *testing.T, c testdb.County, subjectType string) []string {
	t.Helper()
	var rows []struct {
		At    time.Time       `db:"at"`
		After json.RawMessage `db:"after"`
	}
	if err := c.DB.Select(&rows, `SELECT at, after FROM audit_log WHERE action = 'rung.fired' AND subject_type = $1 ORDER BY at, seq`, subjectType); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		var a struct{ Action string }
		if err := json.Unmarshal(r.After, &a); err != nil {
			t.Fatal(err)
		}
		out = append(out, a.Action+"@"+r.At.Sub(t0).Round(time.Second).String())
	}
	return out
}

func hazardEnv(t *testing.T, c testdb.County, id int64) *testsuite.TestWorkflowEnvironment {
	env := newEnv()
	engine.Register(env, &activities.Activities{Store: c.Store})
	env.SetStartTime(t0)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: contract.HazardID(id)})
	env.SetDetachedChildWait(false)
	return env
}

// A general hazard: reminders before and on the deadline, rectified late on
// day 12, returned on day 13 (the letter at +3 days fires while it is back
// with the unit), rectified again on day 14 and closed (销号) on day 15.
func TestGeneralHazardLoop(t *testing.T) {
	c := testdb.NewCounty(t)
	id := hazardRow(t, c, domain.HazardGeneral, t0.Add(10*day))
	env := hazardEnv(t, c, id)
	wid := contract.HazardID(id)
	var errs []error
	act := func(at time.Duration, step string, round int, kind, person string, payload any) {
		env.RegisterDelayedCallback(func() {
			tid := contract.TaskID(wid, step, round)
			env.UpdateWorkflow(contract.UpdateCompleteTask, tid, updateCallback(collect(&errs, tid)), completeRequest(c.IDs, tid, kind, person, payload))
		}, at)
	}
	act(12*day, "rectify", 1, "hazard.rectify", "cmm-head", map[string]any{"result": "已增设局部通风机，风量达标"})
	act(13*day, "verify", 1, "hazard.verify", "yjj-inspector-1", map[string]any{"decision": "return", "comment": "请附测风记录"})
	act(14*day, "rectify", 2, "hazard.rectify", "cmm-head", map[string]any{"result": "已补测风记录", "attachments": []map[string]string{{"name": "测风记录.pdf", "ref": "doc://cmm/1"}}})
	act(15*day, "verify", 2, "hazard.verify", "yjj-inspector-1", map[string]any{"decision": "approve"})
	env.ExecuteWorkflow(contract.HazardWorkflow, contract.HazardInput{ID: id, Title: "回风巷风量不足", UnitID: c.Units["cmm"], Level: domain.HazardGeneral,
		Deadline: t0.Add(10 * day), FoundAt: t0, FinderUnitID: c.Units["yjj"], VerifierRole: domain.RoleInspector, SupervisorUnitID: c.Units["yjj"],
		CountyUnitID: c.Units["linyou"]})
	for _, err := range errs {
		t.Error(err)
	}
	res := workflowResult[contract.HazardResult](t, env)
	if res.Status != domain.HazardClosed || res.Rounds != 2 || !res.ClosedAt.Equal(t0.Add(15*day)) {
		t.Fatalf("result %+v", res)
	}
	want := []string{"remind@216h0m0s", "remind@240h0m0s", "letter@312h0m0s"}
	if got := firedOn(t, c, domain.SubjectHazard); !equal(got, want) {
		t.Fatalf("rungs %v, want %v", got, want)
	}
	h, err := store.HazardByID(context.Background(), c.DB, id)
	if err != nil || h.Status != domain.HazardClosed || h.ClosedAt == nil || h.Rectification == nil || *h.Rectification != "已补测风记录" {
		t.Fatalf("hazard %+v (%v)", h, err)
	}
}

// A major hazard: the 五到位 plan on day 2, approved on day 3, listed for
// county supervision with its notice at once; the rectification is late
// (reminders at −3 days and on the deadline, a letter from the county at +1
// day), done on day 32 and closed by the supervising department on day 33.
func TestMajorHazardLoop(t *testing.T) {
	c := testdb.NewCounty(t)
	id := hazardRow(t, c, domain.HazardMajor, t0.Add(30*day))
	env := hazardEnv(t, c, id)
	wid := contract.HazardID(id)
	var errs []error
	act := func(at time.Duration, step string, kind, person string, payload any) {
		env.RegisterDelayedCallback(func() {
			tid := contract.TaskID(wid, step, 1)
			env.UpdateWorkflow(contract.UpdateCompleteTask, tid, updateCallback(collect(&errs, tid)), completeRequest(c.IDs, tid, kind, person, payload))
		}, at)
	}
	act(2*day, "plan", "hazard.plan", "cmm-head", map[string]any{"measures": "调整通风系统，增设调节风窗", "funds": 380000.0,
		"deadline": t0.Add(30 * day), "responsible": "矿长", "contingency": "风量不足立即停止作业、撤出人员"})
	act(3*day, "approve-plan", "hazard.approve_plan", "yjj-head", map[string]any{"decision": "approve"})
	act(32*day, "rectify", "hazard.rectify", "cmm-head", map[string]any{"result": "通风系统改造完成"})
	act(33*day, "verify", "hazard.verify", "yjj-head", map[string]any{"decision": "approve"})
	env.ExecuteWorkflow(contract.HazardWorkflow, contract.HazardInput{ID: id, Title: "通风系统不可靠", UnitID: c.Units["cmm"], Level: domain.HazardMajor,
		Deadline: t0.Add(30 * day), FoundAt: t0, FinderUnitID: c.Units["yjj"], VerifierRole: domain.RoleInspector, SupervisorUnitID: c.Units["yjj"],
		CountyUnitID: c.Units["linyou"], LeaderID: c.IDs["linyou-secretary"]})
	for _, err := range errs {
		t.Error(err)
	}
	res := workflowResult[contract.HazardResult](t, env)
	if res.Status != domain.HazardClosed || !res.ClosedAt.Equal(t0.Add(33*day)) {
		t.Fatalf("result %+v", res)
	}
	want := []string{"remind@648h0m0s", "remind@720h0m0s", "letter@744h0m0s"}
	if got := firedOn(t, c, domain.SubjectHazard); !equal(got, want) {
		t.Fatalf("rungs %v, want %v", got, want)
	}
	h, err := store.HazardByID(context.Background(), c.DB, id)
	if err != nil || h.Status != domain.HazardClosed || h.SupervisorID == nil || *h.SupervisorID != c.IDs["linyou-secretary"] || len(h.Plan) == 0 {
		t.Fatalf("hazard %+v (%v)", h, err)
	}
	if n := testdb.Count(t, c.DB, `SELECT count(*) FROM notices WHERE subject_type = 'hazard' AND subject_id = $1`, h.ID); n != 1 {
		t.Fatalf("%d notices of the listing, want 1", n)
	}
	// The letter of a listed hazard comes from the county.
	if n := testdb.Count(t, c.DB, `SELECT count(*) FROM supervision_letters WHERE subject_type = 'hazard' AND issuer_unit_id = $1`, c.Units["linyou"]); n != 1 {
		t.Fatalf("%d letters from the county, want 1", n)
	}
}

// A stop order is not lifted while a hazard behind it is open: the unit's
// application on day 1 goes back to it at once; once the hazard is closed
// (day 2), the application of day 3 is accepted on site on day 4 and approved
// by a county leader on day 5.
func TestStopOrderNotLiftedWhileAHazardIsOpen(t *testing.T) {
	c := testdb.NewCounty(t)
	ctx := context.Background()
	hz := hazardRow(t, c, domain.HazardMajor, t0.Add(30*day))
	var stop int64
	if err := c.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		stop, _, err = store.InsertStopOrder(ctx, tx, store.StopOrder{UnitID: c.Units["cmm"], Scope: "unit", Reason: "重大事故隐患", HazardIDs: []int64{hz},
			Key: "test-stop", IssuedAt: t0})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	env := newEnv()
	engine.Register(env, &activities.Activities{Store: c.Store})
	env.SetStartTime(t0)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: contract.StopOrderID(stop)})
	wid := contract.StopOrderID(stop)
	var errs []error
	act := func(at time.Duration, step string, round int, kind, person string, payload any) {
		env.RegisterDelayedCallback(func() {
			tid := contract.TaskID(wid, step, round)
			env.UpdateWorkflow(contract.UpdateCompleteTask, tid, updateCallback(collect(&errs, tid)), completeRequest(c.IDs, tid, kind, person, payload))
		}, at)
	}
	act(day, "resume", 1, "stop.resume", "cmm-head", map[string]any{"result": "申请复产"})
	env.RegisterDelayedCallback(func() {
		if _, _, err := store.SetHazardState(ctx, c.DB, hz, domain.HazardClosed, nil, nil, nil, t0.Add(2*day)); err != nil {
			errs = append(errs, err)
		}
	}, 2*day)
	act(3*day, "resume", 2, "stop.resume", "cmm-head", map[string]any{"result": "隐患已销号，申请复产"})
	act(4*day, "accept", 2, "stop.accept", "yjj-head", map[string]any{"decision": "approve"})
	act(5*day, "approve", 2, "stop.approve", "linyou-secretary", map[string]any{"decision": "approve"})
	env.ExecuteWorkflow(contract.StopOrderWorkflow, contract.StopOrderInput{ID: stop, Title: "崔木煤矿停产整顿", UnitID: c.Units["cmm"],
		SupervisorUnitID: c.Units["yjj"], CountyUnitID: c.Units["linyou"]})
	for _, err := range errs {
		t.Error(err)
	}
	res := workflowResult[contract.StopOrderResult](t, env)
	if res.Rounds != 2 || !res.LiftedAt.Equal(t0.Add(5*day)) {
		t.Fatalf("result %+v", res)
	}
	var ctxJSON string
	if err := c.DB.Get(&ctxJSON, `SELECT context::text FROM tasks WHERE id = $1`, contract.TaskID(wid, "resume", 2)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ctxJSON, "尚有1条未销号") {
		t.Fatalf("the second application's task says %s; want why the first went back", ctxJSON)
	}
	o, err := store.StopOrderByID(ctx, c.DB, stop)
	if err != nil || o.Status != domain.StopLifted {
		t.Fatalf("stop order %+v (%v)", o, err)
	}
}

// A decision to stop production (责令停产停业) issues a stop order of the
// case's unit, once, and starts its lifting, which outlives the case.
func TestCaseDecisionToStopIssuesAStopOrder(t *testing.T) {
	c := testdb.NewCounty(t)
	ctx := context.Background()
	var caseID int64
	if err := c.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		caseID, _, err = store.InsertCase(ctx, tx, store.Case{UnitID: c.Units["cmm"], AuthorityID: c.Units["yjj"], Violation: "超层越界开采",
			LegalBasis: "《安全生产法》第一百一十三条", FiledOn: store.Date{Time: t0}, CreatedBy: c.IDs["yjj-inspector-1"], CreatedAt: t0})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	env := newEnv()
	engine.Register(env, &activities.Activities{Store: c.Store})
	env.SetStartTime(t0)
	wid := contract.CaseID(caseID)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: wid})
	env.SetDetachedChildWait(false)
	var errs []error
	for i, step := range []struct {
		step, kind string
		payload    map[string]any
	}{
		{"investigate", "case.step", map[string]any{"note": "现场勘验"}},
		{"notify", "case.step", map[string]any{"number": "麟应急告〔2026〕3号"}},
		{"decide", "case.decide", map[string]any{"decision": "stop", "number": "麟应急罚〔2026〕3号"}},
		{"execute", "case.step", map[string]any{"note": "已停产"}},
		{"close", "case.step", map[string]any{"number": "麟应急结〔2026〕3号"}},
	} {
		env.RegisterDelayedCallback(func() {
			tid := contract.TaskID(wid, step.step, 1)
			env.UpdateWorkflow(contract.UpdateCompleteTask, tid, updateCallback(collect(&errs, tid)), completeRequest(c.IDs, tid, step.kind, "yjj-inspector-1", step.payload))
		}, time.Duration(i+1)*day)
	}
	env.ExecuteWorkflow(contract.CaseWorkflow, contract.CaseInput{ID: caseID, Title: "超层越界开采", UnitID: c.Units["cmm"], AuthorityUnitID: c.Units["yjj"]})
	for _, err := range errs {
		t.Error(err)
	}
	if res := workflowResult[contract.CaseResult](t, env); res.Decision != "stop" {
		t.Fatalf("result %+v", res)
	}
	var orders []store.StopOrder
	if err := c.DB.Select(&orders, `SELECT id, unit_id, scope, status, key FROM stop_orders WHERE case_id = $1`, caseID); err != nil {
		t.Fatal(err)
	}
	if len(orders) != 1 || orders[0].UnitID != c.Units["cmm"] || orders[0].Scope != "unit" || orders[0].Status != domain.StopStanding {
		t.Fatalf("stop orders of the case: %+v", orders)
	}
	// Its lifting began: the mine's application to resume is open.
	if n := testdb.Count(t, c.DB, `SELECT count(*) FROM tasks WHERE id = $1 AND status = 'open'`, contract.TaskID(contract.StopOrderID(orders[0].ID), "resume", 1)); n != 1 {
		t.Fatalf("the lifting's first task: %d open", n)
	}
	if n := testdb.Count(t, c.DB, `SELECT count(*) FROM audit_log WHERE action = 'stop.issued' AND subject_id = $1`, orders[0].ID); n != 1 {
		t.Fatalf("%d audit rows of the order, want 1", n)
	}
}
