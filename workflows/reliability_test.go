package workflows_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/client"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/engine"
	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
	"github.com/zeren-county/zeren/workflows"
)

// The database is out of reach for FireRung from half a minute after the
// deadline until four and a half minutes after it; the unit completes at four
// minutes, while the first penalty is still retrying. When the database comes
// back, every penalty whose time came before the completion fires — the
// deduction, the notice and the interview — once each; the reminder due
// meanwhile does not go out, nor the letter due after the completion.
func TestLatePenaltiesFireAfterAnOutage(t *testing.T) {
	const hour = time.Minute // minutes: the test environment gives up an activity after ten minutes of retries
	h := newHarness(t, domain.Ladder{
		{Offset: domain.Offset(-hour), Action: domain.ActionRemind},
		{Offset: domain.Offset(hour), Action: domain.ActionDeduct, Points: 1},
		{Offset: domain.Offset(2 * hour), Action: domain.ActionNotice},
		{Offset: domain.Offset(150 * time.Minute), Action: domain.ActionRemind},
		{Offset: domain.Offset(3 * hour), Action: domain.ActionInterview},
		{Offset: domain.Offset(5 * hour), Action: domain.ActionLetter},
	})
	held := &unreachable{Activities: &activities.Activities{Store: h.s}}
	h.env = newEnv()
	workflows.RegisterWorkflows(h.env)
	h.env.RegisterActivity(held)
	h.env.SetStartTime(t0)
	h.env.SetStartWorkflowOptions(startOptions(7))
	h.env.SetDetachedChildWait(false)
	down, tries := &held.down, &held.tries
	due := h.in.DueAt.Sub(t0)
	h.at(due+30*time.Second, func() { down.Store(true) })
	submit(h, due+4*hour, work1)
	h.at(due+4*hour+30*time.Second, func() { down.Store(false) })
	approve(h, due+2*day, review1)
	h.run()

	if tries.Load() < 2 {
		t.Fatalf("FireRung failed %d times during the outage; the test did not hold it up", tries.Load())
	}
	var actions []string
	for _, f := range h.firedRungs() {
		actions = append(actions, f.Action)
	}
	if got, want := actions, []string{"remind", "deduct", "notice", "interview"}; !equal(got, want) {
		t.Fatalf("rungs fired %v, want %v", got, want)
	}
	for q, want := range map[string]int{
		`SELECT count(*) FROM score_ledger`:                 1,
		`SELECT count(*) FROM notices`:                      1,
		`SELECT count(*) FROM interviews`:                   1,
		`SELECT count(*) FROM supervision_letters`:          0,
		`SELECT count(*) FROM outbox WHERE kind = 'remind'`: 1,
	} {
		if n := h.count(q); n != want {
			t.Errorf("%s = %d, want %d", q, n, want)
		}
	}
}

// unreachable is the activities with FireRung failing while down is set, as
// it does while PostgreSQL is out of reach: it is retried with backoff.
type unreachable struct {
	*activities.Activities
	down  atomic.Bool
	tries atomic.Int32
}

func (u *unreachable) FireRung(ctx context.Context, in contract.FireRungInput) (contract.FireRungResult, error) {
	if u.down.Load() {
		u.tries.Add(1)
		return contract.FireRungResult{}, errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")
	}
	return u.Activities.FireRung(ctx, in)
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A report's deadline falls in an engine outage (recorded from the
// heartbeats). The unit that submits during the outage is not penalised: its
// deadline moves by the outage's length (audited as 系统故障顺延) before the
// deduction could fire. The unit that submits after the moved deadline loses
// its point at the moved deadline.
func TestOutageGivesGraceBeforePenalties(t *testing.T) {
	ctx := context.Background()
	seeded := testdb.NewCounty(t)
	s, ids := seeded.Store, seeded.IDs
	zone, _ := time.LoadLocation("Asia/Shanghai")
	due := time.Date(2021, 4, 5, 18, 0, 0, 0, zone)
	outFrom, outTo := due.Add(-30*time.Minute), due.Add(2*time.Hour)
	if _, err := s.DB.Exec(`UPDATE engine_pulse SET last_beat = now()`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB.Exec(`INSERT INTO engine_outages (started_at, ended_at) VALUES ($1, $2)`, outFrom, outTo); err != nil {
		t.Fatal(err)
	}
	office, _ := store.SafetyOfficeUnit(ctx, s.DB)
	run := func(unit string, submitAt time.Duration) (contract.ReportResult, string) {
		t.Helper()
		u, _ := store.UnitByCode(ctx, s.DB, unit)
		spec := domain.ReportSpec{ID: contract.ReportID(seed.DemoCampaignID, unit, "2021-03"), CampaignID: seed.DemoCampaignID, Period: "2021-03",
			UnitID: u.ID, UnitCode: u.Code, UnitName: u.Name, OfficeUnitID: office, DueAt: due, ReviewDays: 5,
			Ladder: domain.Ladder{{Offset: domain.Offset(time.Second), Action: domain.ActionDeduct, Points: 1}}}
		env := newEnv()
		engine.Register(env, &activities.Activities{Store: s})
		env.SetStartTime(due.Add(-4 * day))
		env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: spec.ID})
		submitID, reviewID := contract.TaskID(spec.ID, "submit", 1), contract.TaskID(spec.ID, "review", 1)
		var errs []error
		send := func(at time.Duration, id, kind, person string, payload any) {
			env.RegisterDelayedCallback(func() {
				env.UpdateWorkflow(contract.UpdateCompleteTask, id, updateCallback(collect(&errs, id)), completeRequest(ids, id, kind, person, payload))
			}, 4*day+at)
		}
		send(submitAt, submitID, "report.submit", unit+"-head", map[string]any{"figures": map[string]any{}, "next_steps": "继续排查"})
		send(submitAt+10*time.Minute, reviewID, "report.review", "yjj-office", map[string]any{"decision": "accept"})
		env.ExecuteWorkflow(contract.MonthlyReportWorkflow, spec)
		for _, err := range errs {
			t.Errorf("%s: %v", unit, err)
		}
		return workflowResult[contract.ReportResult](t, env), submitID
	}

	// Submitted an hour after the deadline, inside the outage: the deadline moves to 20:30.
	res, task := run("jcg", time.Hour)
	if res.LateSeconds != 0 {
		t.Errorf("jcg late %d s; the outage's grace covers it", res.LateSeconds)
	}
	var reason, dueAfter string
	if err := s.DB.QueryRow(`SELECT after->>'reason', after->>'due_at' FROM audit_log WHERE action = 'task.extended' AND task_id = $1`, task).Scan(&reason, &dueAfter); err != nil || reason != contract.OutageReason {
		t.Fatalf("jcg's grace: %q %q (%v)", reason, dueAfter, err)
	}
	moved, _ := time.Parse(time.RFC3339Nano, dueAfter)
	if !moved.Equal(due.Add(outTo.Sub(outFrom))) {
		t.Errorf("jcg's deadline moved to %v, want %v", moved, due.Add(outTo.Sub(outFrom)))
	}
	// Submitted four hours after the deadline, after the moved one: one point off, once.
	res, _ = run("cm", 4*time.Hour)
	if res.LateSeconds <= 0 {
		t.Errorf("cm late %d s; want late against the moved deadline", res.LateSeconds)
	}
	var ledger []struct {
		Unit string `db:"code"`
		Year int    `db:"year"`
	}
	if err := s.DB.Select(&ledger, `SELECT u.code, l.year FROM score_ledger l JOIN units u ON u.id = l.unit_id`); err != nil {
		t.Fatal(err)
	}
	if len(ledger) != 1 || ledger[0].Unit != "cm" || ledger[0].Year != 2021 {
		t.Fatalf("ledger %+v; want one point off cm in 2021", ledger)
	}
}

// A process whose row was never committed (a crash between its start and the
// API's commit) writes its own row first; an interview whose unit got another
// one for the same reason meanwhile joins it and ends.
func TestProcessesWriteTheirOwnRows(t *testing.T) {
	ctx := context.Background()
	seeded := testdb.NewCounty(t)
	s, ids := seeded.Store, seeded.IDs
	a := &activities.Activities{Store: s}
	zjj, _ := store.UnitByCode(ctx, s.DB, "zjj")
	lt, _ := store.UnitByCode(ctx, s.DB, "lt")
	office, _ := store.SafetyOfficeUnit(ctx, s.DB)
	plans, err := store.Plans(ctx, s.DB, seed.DemoCampaignID)
	if err != nil || len(plans) == 0 {
		t.Fatalf("plans %v", err)
	}

	// A plan task with no row.
	spec := domain.PlanTaskSpec{ID: 147, CampaignID: seed.DemoCampaignID, PlanTitle: plans[0].Title, Content: "完成燃气管网排查", Measures: "逐户排查",
		OwnerUnitID: zjj.ID, IssuerUnitID: office, Deadline: t0.Add(30 * day), Ladder: domain.DefaultPlanLadder(), PlanID: plans[0].ID,
		CreatedBy: "yjj-office", CreatedAt: t0}
	env := newEnv()
	engine.Register(env, a)
	env.SetStartTime(t0)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: contract.PlanTaskID(147)})
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(contract.UpdateCompleteTask, "done", updateCallback(func(err error) { t.Error(err) }),
			completeRequest(ids, contract.TaskID(contract.PlanTaskID(147), "done", 1), "plan.done", "zjj-head", map[string]string{"result": "排查完毕"}))
	}, day)
	env.ExecuteWorkflow(contract.PlanTaskWorkflow, spec)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	pt, err := store.PlanTaskByID(ctx, s.DB, 147)
	if err != nil || pt.Status != domain.PlanTaskDone || pt.Content != spec.Content {
		t.Fatalf("plan task 147: %+v (%v); want its row, done", pt, err)
	}

	// An interview with no row: it writes it. Another with no row, for a unit
	// that has an open interview for the same reason: it joins that one.
	if err := s.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := activities.Summon(ctx, tx, store.Summons{Key: "open", UnitID: lt.ID, ReasonKey: "manual", Reason: "整治不力", Source: "manual", At: t0})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	orphan := func(id int64, unit domain.Unit, key string) (contract.InterviewResult, error) {
		env := newEnv()
		engine.Register(env, a)
		env.SetStartTime(t0)
		env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: contract.InterviewID(id)})
		env.SetTestTimeout(time.Minute)
		env.RegisterDelayedCallback(func() { env.CancelWorkflow() }, day) // it has shown what it writes by then
		env.ExecuteWorkflow(contract.InterviewWorkflow, domain.InterviewSpec{ID: id, UnitID: unit.ID, UnitName: unit.Name, Reason: "约谈",
			OfficeUnitID: office, Ladder: domain.DefaultInterviewLadder(), ReasonKey: "manual", Source: "manual", FirstTrigger: key, CreatedAt: t0})
		var res contract.InterviewResult
		err := env.GetWorkflowError()
		if err == nil {
			err = env.GetWorkflowResult(&res)
		}
		return res, err
	}
	if _, err := orphan(90, zjj, "orphan-90"); err == nil {
		t.Fatal("interview 90 ended; want it waiting for its schedule until cancelled")
	}
	iv, err := store.InterviewByID(ctx, s.DB, 90)
	if err != nil || len(iv.Items) != 1 {
		t.Fatalf("interview 90: %+v (%v); want its row with its summons", iv, err)
	}
	if n := testdb.Count(t, s.DB, `SELECT count(*) FROM tasks WHERE workflow_id = 'interview/90' AND status = 'open'`); n != 0 {
		t.Fatalf("the cancelled interview left %d open tasks", n)
	}
	res, err := orphan(91, lt, "orphan-91")
	if err != nil || res.Status != domain.InterviewMerged || res.MergedInto == 0 {
		t.Fatalf("interview 91: %+v (%v); want it merged into lt's open interview", res, err)
	}
	if n := testdb.Count(t, s.DB, `SELECT count(*) FROM interview_triggers WHERE interview_id = $1`, res.MergedInto); n != 2 {
		t.Fatalf("lt's interview has %d summonses, want 2", n)
	}
}
