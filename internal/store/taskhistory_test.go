package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

// TestTaskHistoryOfReadsWhatTheThreeReadsRead: the one query of a task's
// page answers, field for field as the API shows them, what AuditFor,
// Comments and NotificationsFor answer — entries without a document, the
// subject's entries, the notes' limit and order included.
func TestTaskHistoryOfReadsWhatTheThreeReadsRead(t *testing.T) {
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
	at := time.Date(2021, 6, 1, 8, 30, 0, 123456000, time.UTC)
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

	h, err := store.TaskHistoryOf(ctx, s.DB, task, 2)
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
	}{{"audit", h.Audit, audit}, {"comments", h.Comments, comments}, {"notifications", h.Notifications, notes}} {
		got, _ := json.Marshal(c.got)
		want, _ := json.Marshal(c.want)
		if string(got) != string(want) {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, want)
		}
	}

	empty := task
	empty.ID, empty.SubjectID = "nothing", "none"
	if h, err = store.TaskHistoryOf(ctx, s.DB, empty, 100); err != nil || h.Audit == nil || h.Comments == nil || h.Notifications == nil ||
		len(h.Audit)+len(h.Comments)+len(h.Notifications) != 0 {
		t.Fatalf("a task with no history: %+v, %v; want three empty lists", h, err)
	}
}
