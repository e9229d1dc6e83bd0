package activities_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

type rungFixture struct {
	ctx       context.Context
	s         *store.Store
	a         *activities.Activities
	jcg, yjj  domain.Unit
	head      int64
	due       time.Time
	taskID    string
	workflow  string
	campaign  string
	zone      *time.Location
	firstRung contract.FireRungInput
}

func newRungFixture(t *testing.T) *rungFixture {
	t.Helper()
	ctx := context.Background()
	s := testdb.New(t)
	people, err := seed.Load(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	f := &rungFixture{ctx: ctx, s: s, a: &activities.Activities{Store: s}, campaign: seed.DemoCampaignID,
		workflow: "report/linyou-2020/jcg/2021-12", taskID: "report.linyou-2020.jcg.2021-12.submit.1"}
	f.jcg, _ = store.UnitByCode(ctx, s.DB, "jcg")
	f.yjj, _ = store.UnitByCode(ctx, s.DB, "yjj")
	for _, p := range people {
		if p.Key == "jcg-head" {
			f.head = p.ID
		}
	}
	f.zone, _ = time.LoadLocation("Asia/Shanghai")
	// December's report falls due on 5 January: late in the new year.
	f.due = time.Date(2022, 1, 5, 18, 0, 0, 0, f.zone)
	spec := domain.TaskSpec{ID: f.taskID, WorkflowID: f.workflow, Kind: domain.KindReportSubmit, Title: "报送2021年12月进展",
		SubjectType: "report", SubjectID: f.workflow, CampaignID: f.campaign, UnitID: f.jcg.ID, Role: domain.RoleUnitHead,
		IssuerUnitID: f.yjj.ID, DueAt: f.due, CreatedAt: f.due.AddDate(0, 0, -35)}
	if err := f.a.CreateTask(ctx, spec); err != nil {
		t.Fatal(err)
	}
	f.firstRung = contract.FireRungInput{Key: f.workflow, Index: 2, Rung: domain.Rung{Offset: domain.Offset(time.Second), Action: domain.ActionDeduct, Points: 1},
		WorkflowID: f.workflow, TaskID: f.taskID, Title: "报送2021年12月进展", SubjectType: "report", SubjectID: f.workflow,
		CampaignID: f.campaign, UnitID: f.jcg.ID, IssuerUnitID: f.yjj.ID, DueAt: f.due, At: f.due.Add(time.Second), Year: 2021}
	return f
}

// Data the database can never write is a non-retryable error: the workflow
// answers it instead of retrying for ever, and the task stays open.
func TestDataTheDatabaseRefusesIsNotRetried(t *testing.T) {
	f := newRungFixture(t)
	done := contract.CompleteTaskInput{TaskID: f.taskID, PersonID: f.head, PersonKey: "jcg-head",
		Outcome: domain.Completion{Result: "已完成\x00隐患"}, UpdateID: "u1", At: f.due}
	err := f.a.CompleteTask(f.ctx, done)
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != contract.ErrDataRejected || !app.NonRetryable() {
		t.Fatalf("NUL in the outcome: %v; want a non-retryable %s error", err, contract.ErrDataRejected)
	}
	// A broken constraint (a person who does not exist) too.
	done.Outcome, done.PersonID = domain.Completion{Result: "已完成"}, 987654
	if err := f.a.CompleteTask(f.ctx, done); !errors.As(err, &app) || !app.NonRetryable() {
		t.Fatalf("unknown person: %v; want non-retryable", err)
	}
	task, err := store.TaskByID(f.ctx, f.s.DB, f.taskID)
	if err != nil || task.Status != domain.TaskOpen {
		t.Fatalf("task %+v (%v); want it still open", task, err)
	}
	done.PersonID = f.head
	if err := f.a.CompleteTask(f.ctx, done); err != nil {
		t.Fatalf("a good completion after the refused ones: %v", err)
	}
}

// December's lateness, found in January, counts in December's year (the year's
// assessment sees it); dates are written in the campaign's zone.
func TestDeductionCountsInThePeriodsYear(t *testing.T) {
	f := newRungFixture(t)
	if _, err := f.a.FireRung(f.ctx, f.firstRung); err != nil {
		t.Fatal(err)
	}
	var e struct {
		Year   int    `db:"year"`
		Reason string `db:"reason"`
	}
	if err := f.s.DB.Get(&e, `SELECT year, reason FROM score_ledger`); err != nil {
		t.Fatal(err)
	}
	if e.Year != 2021 || e.Reason != "九成宫镇未按期完成“报送2021年12月进展”（期限2022年1月5日18:00），2021年度目标考核扣1分。" {
		t.Fatalf("ledger %+v", e)
	}
}

// After a campaign ends, no rung whose time is after the end fires; and a
// reminder for a task already done is not sent.
func TestNoRungAfterTheEndNorReminderAfterCompletion(t *testing.T) {
	f := newRungFixture(t)
	ended := f.due.Add(-time.Hour)
	if _, err := store.EndCampaign(f.ctx, f.s.DB, f.campaign, ended); err != nil {
		t.Fatal(err)
	}
	res, err := f.a.FireRung(f.ctx, f.firstRung)
	if err != nil || res.Skipped == "" {
		t.Fatalf("a rung after the end: %+v (%v); want it skipped", res, err)
	}
	if n := testdb.Count(t, f.s.DB, `SELECT count(*) FROM score_ledger`); n != 0 {
		t.Fatalf("%d deductions after the campaign ended", n)
	}

	g := newRungFixture(t)
	if err := g.a.CompleteTask(g.ctx, contract.CompleteTaskInput{TaskID: g.taskID, PersonID: g.head, PersonKey: "jcg-head",
		Outcome: domain.Completion{Report: &domain.Report{NextSteps: "继续"}}, UpdateID: "u", At: g.due.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	remind := g.firstRung
	remind.Index, remind.Rung = 1, domain.Rung{Action: domain.ActionRemind}
	if res, err := g.a.FireRung(g.ctx, remind); err != nil || res.Skipped == "" {
		t.Fatalf("a reminder for a completed task: %+v (%v); want it skipped", res, err)
	}
	if n := testdb.Count(t, g.s.DB, `SELECT count(*) FROM outbox WHERE kind = 'remind'`); n != 0 {
		t.Fatalf("%d reminders sent for a completed task", n)
	}
}

// A penalty is not deserved by a task completed by the rung's time, though
// the process heard of the completion only after the rung's timer (a unit
// submitting in the last second before its deadline): FireRung finds the
// row completed and skips it; while the completion is still on its way (its
// claim held) it waits, and once the claim is released it fires.
func TestNoPenaltyForACompletionTheProcessHeardLate(t *testing.T) {
	f := newRungFixture(t)
	rungAt := f.due.Add(f.firstRung.Rung.Offset.Duration())
	if err := f.a.CompleteTask(f.ctx, contract.CompleteTaskInput{TaskID: f.taskID, PersonID: f.head, PersonKey: "jcg-head",
		Outcome: domain.Completion{Report: &domain.Report{NextSteps: "继续"}}, UpdateID: "u", At: rungAt.Add(-30 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	if res, err := f.a.FireRung(f.ctx, f.firstRung); err != nil || res.Skipped == "" {
		t.Fatalf("a penalty for a task completed before its time: %+v (%v); want it skipped", res, err)
	}
	if n := testdb.Count(t, f.s.DB, `SELECT count(*) FROM score_ledger`); n != 0 {
		t.Fatalf("%d deductions for a task completed before the rung's time", n)
	}

	g := newRungFixture(t)
	now := time.Now()
	if ok, err := store.BeginCompleting(g.ctx, g.s.DB, g.taskID, "k1", now, now.Add(time.Minute)); err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	_, err := g.a.FireRung(g.ctx, g.firstRung)
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != "CompletionInFlight" || app.NonRetryable() {
		t.Fatalf("a penalty while a completion is under way: %v; want a retryable CompletionInFlight", err)
	}
	if n := testdb.Count(t, g.s.DB, `SELECT count(*) FROM score_ledger`); n != 0 {
		t.Fatalf("%d deductions while a completion was under way", n)
	}
	// The process refused that completion: the claim is released, the penalty fires.
	if err := store.EndCompleting(g.ctx, g.s.DB, g.taskID, "k1"); err != nil {
		t.Fatal(err)
	}
	if res, err := g.a.FireRung(g.ctx, g.firstRung); err != nil || res.Skipped != "" {
		t.Fatalf("the penalty once no completion is under way: %+v (%v); want it fired", res, err)
	}
	if n := testdb.Count(t, g.s.DB, `SELECT count(*) FROM score_ledger`); n != 1 {
		t.Fatalf("%d deductions, want 1", n)
	}
}

// A penalty whose deadline fell in an engine outage answers a grace as long
// as the outage (in campaign time) instead of firing, once per outage.
func TestOutageGrace(t *testing.T) {
	f := newRungFixture(t)
	// The demo campaign runs in real time: its deadlines are wall time. The
	// engine was down from 31 to 1 minutes ago; the deadline fell 16 minutes ago.
	now := time.Now().Truncate(time.Microsecond)
	from, to := now.Add(-31*time.Minute), now.Add(-time.Minute)
	f.due = now.Add(-16 * time.Minute)
	f.firstRung.DueAt = f.due
	if _, err := f.s.Beat(f.ctx, from); err != nil {
		t.Fatal(err)
	}
	o, err := f.s.Beat(f.ctx, to)
	if err != nil || o == nil || !o.StartedAt.Equal(from) || !o.EndedAt.Equal(to) {
		t.Fatalf("outage %+v (%v); want %v to %v", o, err, from, to)
	}
	if again, err := f.s.Beat(f.ctx, now); err != nil || again != nil {
		t.Fatalf("a beat a minute later: %+v (%v); want no outage", again, err)
	}
	in := f.firstRung
	in.Grace = true
	res, err := f.a.FireRung(f.ctx, in)
	if err != nil || res.Grace == nil || res.Grace.ShiftBy != 30*time.Minute || res.Grace.Reason != contract.OutageReason {
		t.Fatalf("rung at a deadline in the outage: %+v (%v); want a 30-minute grace", res, err)
	}
	if n := testdb.Count(t, f.s.DB, `SELECT count(*) FROM score_ledger`); n != 0 {
		t.Fatalf("%d deductions for a deadline in an outage", n)
	}
	// The workflow moves the deadline (audited, with the reason); under the new one the rung fires.
	if err := f.a.MoveTaskDue(f.ctx, contract.MoveDueInput{TaskID: f.taskID, DueAt: f.due.Add(res.Grace.ShiftBy), DecisionTaskID: res.Grace.Key,
		PersonKey: store.ActorEngine, At: to, Reason: res.Grace.Reason}); err != nil {
		t.Fatal(err)
	}
	var reason string
	if err := f.s.DB.Get(&reason, `SELECT after->>'reason' FROM audit_log WHERE action = 'task.extended'`); err != nil || reason != "系统故障顺延" {
		t.Fatalf("task.extended reason %q (%v)", reason, err)
	}
	in.DueAt = f.due.Add(res.Grace.ShiftBy)
	if res, err := f.a.FireRung(f.ctx, in); err != nil || res.Grace != nil {
		t.Fatalf("rung under the moved deadline: %+v (%v); want it fired", res, err)
	}
	if n := testdb.Count(t, f.s.DB, `SELECT count(*) FROM score_ledger`); n != 1 {
		t.Fatalf("%d deductions, want 1", n)
	}
	// The report row's deadline moved with its task, so its lateness is measured against it.
	var due time.Time
	if err := f.s.DB.Get(&due, `SELECT due_at FROM tasks WHERE id = $1`, f.taskID); err != nil || !due.Equal(in.DueAt) {
		t.Fatalf("task due %v (%v), want %v", due, err, in.DueAt)
	}
}
