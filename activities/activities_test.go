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

// Every activity may run more than once (a worker crash after the commit, a
// lost answer): a second run writes nothing.
func TestActivitiesAreIdempotent(t *testing.T) {
	ctx := context.Background()
	s := testdb.New(t)
	people, err := seed.Load(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	a := &activities.Activities{Store: s}
	jcg, _ := store.UnitByCode(ctx, s.DB, "jcg")
	yjj, _ := store.UnitByCode(ctx, s.DB, "yjj")
	at := time.Date(2021, 5, 1, 10, 0, 0, 0, time.UTC)
	spec := domain.TaskSpec{ID: "assignment.9.complete.1", WorkflowID: "assignment/9", Kind: domain.KindAssignmentComplete, Title: "排查",
		SubjectType: "assignment", SubjectID: "9", UnitID: jcg.ID, Role: domain.RoleUnitHead, IssuerUnitID: yjj.ID, DueAt: at, CreatedAt: at}
	for range 2 {
		if err := a.CreateTask(ctx, spec); err != nil {
			t.Fatal(err)
		}
	}
	for i, action := range domain.Actions {
		rung := domain.Rung{Action: action}
		if action == domain.ActionDeduct {
			rung.Points = 3
		}
		in := contract.FireRungInput{Key: "assignment/9", Index: i, Rung: rung, WorkflowID: "assignment/9", TaskID: spec.ID,
			Title: "排查", SubjectType: "assignment", SubjectID: "9", UnitID: jcg.ID, IssuerUnitID: yjj.ID, DueAt: at, At: at.Add(time.Hour)}
		for range 3 {
			if _, err := a.FireRung(ctx, in); err != nil {
				t.Fatal(err)
			}
		}
	}
	var head int64
	for _, p := range people {
		if p.Key == "jcg-head" {
			head = p.ID
		}
	}
	done := contract.CompleteTaskInput{TaskID: spec.ID, PersonID: head, PersonKey: "jcg-head", Outcome: domain.Completion{Result: "完成"}, UpdateID: "u1", At: at}
	for range 2 {
		if err := a.CompleteTask(ctx, done); err != nil {
			t.Fatal(err)
		}
	}
	// A different completion of the closed task is refused for good.
	done.UpdateID = "u2"
	var app *temporal.ApplicationError
	if err := a.CompleteTask(ctx, done); !errors.As(err, &app) || app.Type() != contract.ErrTaskClosed || !app.NonRetryable() {
		t.Fatalf("second completion: %v", err)
	}
	for q, want := range map[string]int{
		`SELECT count(*) FROM tasks`:                                      1,
		`SELECT count(*) FROM score_ledger`:                               1,
		`SELECT count(*) FROM notices`:                                    1,
		`SELECT count(*) FROM supervision_letters`:                        1,
		`SELECT count(*) FROM interviews`:                                 1,
		`SELECT count(*) FROM interview_triggers`:                         1,
		`SELECT count(*) FROM outbox`:                                     7, // the new task, five rungs, the interview notice
		`SELECT count(*) FROM audit_log WHERE action = 'rung.fired'`:      5,
		`SELECT count(*) FROM audit_log WHERE action = 'points.deducted'`: 1,
		`SELECT count(*) FROM audit_log WHERE action = 'task.completed'`:  1,
		`SELECT count(*) FROM audit_log WHERE action = 'task.created'`:    1,
	} {
		var n int
		if err := s.DB.Get(&n, q); err != nil || n != want {
			t.Errorf("%s = %d (%v), want %d", q, n, err, want)
		}
	}
	var points float64
	if err := s.DB.Get(&points, `SELECT sum(points) FROM score_ledger WHERE unit_id = $1 AND year = 2021`, jcg.ID); err != nil || points != -3 {
		t.Errorf("ledger sum %v (%v), want -3", points, err)
	}
	res, err := store.VerifyAudit(ctx, s.DB)
	if err != nil || res.Broken {
		t.Fatalf("audit %+v %v", res, err)
	}
}
