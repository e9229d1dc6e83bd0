package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

// TestTaskPageReadsWhatTheReadsRead: the one query of a task's page
// answers, field for field as the API shows them, what TaskByID, AuditFor,
// Comments, NotificationsFor and AssignmentByID answer — entries without a
// document, the subject's entries, the notes' limit and order, and an
// assigned matter with no result (its nulls) included.
func TestTaskPageReadsWhatTheReadsRead(t *testing.T) {
	ctx := context.Background()
	s := testdb.New(t)
	people, err := seed.Load(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	jcg, err := store.UnitByCode(ctx, s.DB, "jcg")
	if err != nil {
		t.Fatal(err)
	}
	yjj, err := store.UnitByCode(ctx, s.DB, "yjj")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2021, 6, 1, 8, 30, 0, 123456000, time.UTC)
	if _, err := store.UpsertAssignment(ctx, s.DB, store.Assignment{ID: 7, Title: "交办", Content: "内容", DueAt: at.Add(72 * time.Hour),
		IssuerUnitID: yjj.ID, AssignerID: people[0].ID, AssigneeUnitID: jcg.ID, ReviewerUnitID: yjj.ID, ReviewerRole: "safety_office",
		Ladder: store.JSON(`[{"offset": "1d", "action": "remind"}]`)}); err != nil {
		t.Fatal(err)
	}
	task := store.Task{ID: "assignment.7.complete.1", WorkflowID: "assignment/7", Kind: "assignment.complete", Title: "交办",
		SubjectType: "assignment", SubjectID: "7", UnitID: jcg.ID, Role: "unit_head", DueAt: at.Add(72 * time.Hour), CreatedAt: at}
	if _, err := store.InsertTask(ctx, s.DB, task); err != nil {
		t.Fatal(err)
	}
	if task, err = store.TaskByID(ctx, s.DB, task.ID); err != nil {
		t.Fatal(err)
	}
	for i, e := range []store.Event{
		{Key: "created", Action: "assignment.created", SubjectType: "assignment", SubjectID: "7", UnitID: jcg.ID, After: map[string]any{"title": "交办"}},
		{Key: "task", Action: "task.created", SubjectType: "assignment", SubjectID: "7", TaskID: task.ID, UnitID: jcg.ID},
		{Key: "other", Action: "assignment.created", SubjectType: "assignment", SubjectID: "8", UnitID: jcg.ID},
		{Key: "rung", Action: "rung.fired", SubjectType: "assignment", SubjectID: "7", TaskID: task.ID, Before: map[string]any{"n": 0}, After: map[string]any{"n": 1, "note": nil}},
	} {
		e.At, e.Actor = at.Add(time.Duration(i)*time.Minute), store.ActorEngine
		if _, err := store.Append(ctx, s.DB, e); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		if _, err := store.AddComment(ctx, s.DB, task.ID, people[0].ID, fmt.Sprintf("意见 %d", i), at.Add(time.Duration(i)*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 4 {
		n := store.Notification{Key: fmt.Sprintf("n%d", i), UnitID: jcg.ID, Kind: "remind", Title: "提醒", Body: fmt.Sprint(i)}
		if i < 3 {
			n.TaskID = &task.ID
		}
		if _, err := store.Enqueue(ctx, s.DB, n); err != nil {
			t.Fatal(err)
		}
	}

	page, err := store.TaskPageOf(ctx, s.DB, task.ID, 2)
	if err != nil {
		t.Fatal(err)
	}
	h := page.History
	assignment, err := store.AssignmentByID(ctx, s.DB, 7)
	if err != nil {
		t.Fatal(err)
	}
	audit, err := store.AuditFor(ctx, s.DB, task.ID, task.SubjectType, task.SubjectID)
	if err != nil {
		t.Fatal(err)
	}
	comments, err := store.Comments(ctx, s.DB, task.ID)
	if err != nil {
		t.Fatal(err)
	}
	notes, err := store.NotificationsFor(ctx, s.DB, nil, task.ID, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 3 || len(comments) != 3 || len(notes) != 2 {
		t.Fatalf("the three reads answered %d, %d, %d rows; the test wants 3, 3, 2", len(audit), len(comments), len(notes))
	}
	for _, c := range []struct {
		name      string
		got, want any
	}{{"task", page.Task, task}, {"audit", h.Audit, audit}, {"comments", h.Comments, comments}, {"notifications", h.Notifications, notes},
		{"assignment", page.Assignment, &assignment}} {
		got, _ := json.Marshal(c.got)
		want, _ := json.Marshal(c.want)
		if string(got) != string(want) {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, want)
		}
	}

	// A task with no history and a subject that is no assigned matter.
	empty := task
	empty.ID, empty.SubjectType, empty.SubjectID = "report.jcg.2021-05.submit.1", "report", "7"
	if _, err := store.InsertTask(ctx, s.DB, empty); err != nil {
		t.Fatal(err)
	}
	if page, err = store.TaskPageOf(ctx, s.DB, empty.ID, 100); err != nil || page.Assignment != nil ||
		page.History.Audit == nil || page.History.Comments == nil || page.History.Notifications == nil ||
		len(page.History.Audit)+len(page.History.Comments)+len(page.History.Notifications) != 0 {
		t.Fatalf("a task with no history: %+v, %v; want three empty lists and no assignment", page, err)
	}
	if _, err := store.TaskPageOf(ctx, s.DB, "nothing", 100); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("no such task: %v", err)
	}
}
