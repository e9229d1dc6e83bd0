package workflows_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/engine"
	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

// A paused campaign holds its processes' ladders; the resume moves each open
// deadline by the pause and the rungs not yet fired follow it. March's report
// is due on 5 March; the campaign pauses from 3 to 13 March, so the deadline
// becomes 15 March, and the unit, submitting on the 14th, is on time: only the
// −3-day reminder, fired before the pause, is ever sent.
func TestPauseHoldsLaddersAndResumeShiftsDeadlines(t *testing.T) {
	ctx := context.Background()
	seeded := testdb.NewCounty(t)
	s, ids := seeded.Store, seeded.IDs
	unit, err := store.UnitByCode(ctx, s.DB, "gaj")
	if err != nil {
		t.Fatal(err)
	}
	office, err := store.SafetyOfficeUnit(ctx, s.DB)
	if err != nil {
		t.Fatal(err)
	}
	env := newEnv()
	engine.Register(env, &activities.Activities{Store: s})
	env.SetStartTime(time.Date(2021, 3, 1, 0, 1, 0, 0, cst))
	due := time.Date(2021, 3, 5, 18, 0, 0, 0, cst)
	id := contract.ReportID(seed.DemoCampaignID, "gaj", "2021-03")
	spec := domain.ReportSpec{ID: id, CampaignID: seed.DemoCampaignID, Period: "2021-03", UnitID: unit.ID, UnitCode: "gaj", UnitName: unit.Name,
		OfficeUnitID: office, DueAt: due, Ladder: domain.DefaultReportPolicy().Ladder, ReviewDays: 5}
	var errs []error
	update := func(name, updateID string, arg any) {
		env.UpdateWorkflow(name, updateID, updateCallback(collect(&errs, updateID)), arg)
	}
	day := 24 * time.Hour
	key := "pause:" + seed.DemoCampaignID + ":1"
	env.RegisterDelayedCallback(func() {
		update(contract.UpdateCampaignPause, "hold", contract.CampaignPauseRequest{Paused: true, Key: key})
	}, 2*day)
	env.RegisterDelayedCallback(func() {
		update(contract.UpdateCampaignPause, "resume", contract.CampaignPauseRequest{ShiftBy: 10 * day, Key: key})
		update(contract.UpdateCampaignPause, "resume-again", contract.CampaignPauseRequest{ShiftBy: 10 * day, Key: key}) // the same pause twice moves nothing
	}, 12*day)
	submit := contract.TaskID(id, "submit", 1)
	env.RegisterDelayedCallback(func() {
		raw, _ := json.Marshal(monthlyReport())
		update(contract.UpdateCompleteTask, "submit", contract.CompleteTaskRequest{TaskID: submit, Kind: "report.submit", PersonID: ids["gaj-head"], PersonKey: "gaj-head", Payload: raw})
	}, 13*day)
	env.RegisterDelayedCallback(func() {
		raw, _ := json.Marshal(map[string]any{"decision": "accept"})
		update(contract.UpdateCompleteTask, "review", contract.CompleteTaskRequest{TaskID: contract.TaskID(id, "review", 1), Kind: "report.review", PersonID: ids["yjj-office"], PersonKey: "yjj-office", Payload: raw})
	}, 14*day)
	env.ExecuteWorkflow(contract.MonthlyReportWorkflow, spec)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	res := workflowResult[contract.ReportResult](t, env)
	if res.LateSeconds != 0 {
		t.Errorf("late by %d s, want on time against the moved deadline", res.LateSeconds)
	}
	var task store.Task
	if err := s.DB.Get(&task, `SELECT due_at FROM tasks WHERE id = $1`, submit); err != nil {
		t.Fatal(err)
	}
	if want := due.Add(10 * day); !task.DueAt.Equal(want) {
		t.Errorf("deadline %v, want %v", task.DueAt.In(cst), want)
	}
	var fired []string
	if err := s.DB.Select(&fired, `SELECT after->>'action' FROM audit_log WHERE action = 'rung.fired' ORDER BY seq`); err != nil {
		t.Fatal(err)
	}
	if len(fired) != 1 || fired[0] != "remind" {
		t.Errorf("rungs fired %v, want only the reminder three days before the first deadline", fired)
	}
	var moved int
	_ = s.DB.Get(&moved, `SELECT count(*) FROM audit_log WHERE action = 'task.extended'`)
	if moved != 1 {
		t.Errorf("%d deadline moves recorded, want 1", moved)
	}
}

func monthlyReport() map[string]any {
	return map[string]any{
		"figures":    map[string]any{"inspections": 4, "units_inspected": 3, "hazards_found": map[string]int{"daily": 6}, "hazards_rectified": map[string]int{"daily": 6}, "people_trained": 120},
		"progress":   []map[string]string{{"plan_task": "煤矿安全专项整治", "text": "完成本月排查任务"}},
		"problems":   "无",
		"next_steps": "下月开展交叉检查",
	}
}

// A report done during a pause, after its first deadline: the pause holds its
// penalties, and done while held none of them comes due (the resume would have
// moved the deadline past the moment it was done).
func TestNoPenaltyForATaskDoneDuringAPause(t *testing.T) {
	ctx := context.Background()
	seeded := testdb.NewCounty(t)
	s, ids := seeded.Store, seeded.IDs
	unit, _ := store.UnitByCode(ctx, s.DB, "gaj")
	office, _ := store.SafetyOfficeUnit(ctx, s.DB)
	env := newEnv()
	engine.Register(env, &activities.Activities{Store: s})
	env.SetStartTime(time.Date(2021, 3, 1, 0, 1, 0, 0, cst))
	id := contract.ReportID(seed.DemoCampaignID, "gaj", "2021-03")
	spec := domain.ReportSpec{ID: id, CampaignID: seed.DemoCampaignID, Period: "2021-03", UnitID: unit.ID, UnitCode: "gaj", UnitName: unit.Name,
		OfficeUnitID: office, DueAt: time.Date(2021, 3, 5, 18, 0, 0, 0, cst), Ladder: domain.DefaultReportPolicy().Ladder, ReviewDays: 5}
	var errs []error
	update := func(name, updateID string, arg any) {
		env.UpdateWorkflow(name, updateID, updateCallback(collect(&errs, updateID)), arg)
	}
	day := 24 * time.Hour
	key := "pause:" + seed.DemoCampaignID + ":2"
	env.RegisterDelayedCallback(func() {
		update(contract.UpdateCampaignPause, "hold", contract.CampaignPauseRequest{Paused: true, Key: key})
	}, 2*day)
	env.RegisterDelayedCallback(func() {
		raw, _ := json.Marshal(monthlyReport())
		update(contract.UpdateCompleteTask, "submit", contract.CompleteTaskRequest{TaskID: contract.TaskID(id, "submit", 1), Kind: "report.submit",
			PersonID: ids["gaj-head"], PersonKey: "gaj-head", Payload: raw})
	}, 8*day) // three days after the first deadline, the campaign still paused
	env.RegisterDelayedCallback(func() {
		update(contract.UpdateCampaignPause, "resume", contract.CampaignPauseRequest{ShiftBy: 10 * day, Key: key})
	}, 12*day)
	env.RegisterDelayedCallback(func() {
		raw, _ := json.Marshal(map[string]any{"decision": "accept"})
		update(contract.UpdateCompleteTask, "review", contract.CompleteTaskRequest{TaskID: contract.TaskID(id, "review", 1), Kind: "report.review",
			PersonID: ids["yjj-office"], PersonKey: "yjj-office", Payload: raw})
	}, 13*day)
	env.ExecuteWorkflow(contract.MonthlyReportWorkflow, spec)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	workflowResult[contract.ReportResult](t, env)
	var fired []string
	if err := s.DB.Select(&fired, `SELECT after->>'action' FROM audit_log WHERE action = 'rung.fired' ORDER BY seq`); err != nil {
		t.Fatal(err)
	}
	if len(fired) != 1 || fired[0] != "remind" {
		t.Errorf("rungs fired %v, want only the reminder three days before the deadline", fired)
	}
}
