package workflows_test

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/engine"
	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

// A plan task done ten days late collects the reminders and the notice of the
// plan ladder at their offsets, and nothing after it is reported done.
func TestPlanTaskLadder(t *testing.T) {
	ctx := context.Background()
	seeded := testdb.NewCounty(t)
	s, ids := seeded.Store, seeded.IDs
	plans, err := store.Plans(ctx, s.DB, seed.DemoCampaignID)
	if err != nil || len(plans) != 17 {
		t.Fatalf("%d demo plans (%v), want 17", len(plans), err)
	}
	zjj, _ := store.UnitByCode(ctx, s.DB, "zjj")
	yjj, _ := store.UnitByCode(ctx, s.DB, "yjj")
	id, _ := store.NextPlanTaskID(ctx, s.DB)
	deadline := t0.Add(10 * day)
	if err := store.InsertPlanTask(ctx, s.DB, store.PlanTask{ID: id, PlanID: plans[5].ID, Content: "完成城镇燃气管网隐患排查", OwnerUnitID: zjj.ID,
		Deadline: deadline, Measures: "逐户排查、建立台账、限期整改", CreatedBy: "yjj-office"}); err != nil {
		t.Fatal(err)
	}
	env := newEnv()
	engine.Register(env, &activities.Activities{Store: s})
	env.SetStartTime(t0)
	env.SetDetachedChildWait(false)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: contract.PlanTaskID(id)})
	var doneErr error
	env.RegisterDelayedCallback(func() {
		task := contract.TaskID(contract.PlanTaskID(id), "done", 1)
		env.UpdateWorkflow(contract.UpdateCompleteTask, task, updateCallback(func(err error) { doneErr = err }),
			completeRequest(ids, task, "plan.done", "zjj-head", map[string]any{"result": "排查燃气用户1200户，整改隐患37处"}))
	}, 20*day)
	env.ExecuteWorkflow(contract.PlanTaskWorkflow, domain.PlanTaskSpec{ID: id, CampaignID: seed.DemoCampaignID, PlanTitle: plans[5].Title,
		Content: "完成城镇燃气管网隐患排查", Measures: "逐户排查", OwnerUnitID: zjj.ID, IssuerUnitID: yjj.ID, Deadline: deadline, Ladder: domain.DefaultPlanLadder()})
	if err := env.GetWorkflowError(); err != nil || doneErr != nil {
		t.Fatalf("workflow %v, done %v", err, doneErr)
	}
	var fired []time.Time
	if err := s.DB.Select(&fired, `SELECT at FROM audit_log WHERE action = 'rung.fired' ORDER BY seq`); err != nil {
		t.Fatal(err)
	}
	want := []time.Time{deadline.Add(-7 * day), deadline.Add(-day), deadline, deadline.Add(7 * day)}
	if len(fired) != len(want) {
		t.Fatalf("fired at %v, want %v", fired, want)
	}
	for i := range want {
		if !fired[i].Equal(want[i]) {
			t.Errorf("rung %d at %v, want %v", i, fired[i], want[i])
		}
	}
	pt, _ := store.PlanTaskByID(ctx, s.DB, id)
	if pt.Status != domain.PlanTaskDone || pt.DoneAt == nil || !pt.DoneAt.Equal(t0.Add(20*day)) {
		t.Fatalf("plan task %+v", pt)
	}
}
