package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

// A task's page and its row are prepared once per connection and then only
// executed; in a transaction they are sent as they are; a statement whose
// answer's columns a migration changed under it still answers, prepared anew;
// and the notifications of units and of a task are two statements, each
// prepared once.
func TestHotReadsArePreparedOnce(t *testing.T) {
	ctx := context.Background()
	s := testdb.New(t)
	if _, err := seed.Load(ctx, s); err != nil {
		t.Fatal(err)
	}
	// One connection, so that pg_prepared_statements (per session) sees all.
	s.DB.SetMaxOpenConns(1)
	jcg, err := store.UnitByCode(ctx, s.DB, "jcg")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2021, 6, 1, 0, 0, 0, 0, time.UTC)
	if _, err := store.InsertTask(ctx, s.DB, store.Task{ID: "t1", WorkflowID: "w/t1", Kind: "assignment.complete", Title: "完成交办事项",
		SubjectType: "assignment", SubjectID: "1", UnitID: jcg.ID, Role: "unit_head", DueAt: now, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	prepared := func(page bool) int {
		t.Helper()
		return testdb.Count(t, s.DB, `SELECT count(*) FROM pg_prepared_statements
WHERE statement LIKE '%FROM tasks t JOIN units u ON u.id = t.unit_id WHERE t.id = $1' AND (statement LIKE '%h_notifications%') = $1`, page)
	}
	for range 3 {
		task, err := store.TaskByID(ctx, s.DB, "t1")
		if err != nil || task.Title != "完成交办事项" || task.UnitCode != "jcg" {
			t.Fatalf("TaskByID: %+v, %v", task, err)
		}
		page, err := store.TaskPageOf(ctx, s.DB, "t1", 100)
		if err != nil || page.Task.ID != "t1" || page.History.Audit == nil {
			t.Fatalf("TaskPageOf: %+v, %v", page, err)
		}
	}
	if _, err := store.TaskByID(ctx, s.DB, "no-such-task"); err == nil {
		t.Fatal("TaskByID of no task answered no error")
	}
	if n := prepared(false); n != 1 {
		t.Fatalf("the task's row: %d prepared statements, want 1", n)
	}
	if n := prepared(true); n != 1 {
		t.Fatalf("the task's page: %d prepared statements, want 1", n)
	}

	// In a transaction: sent as it is (lib/pq's unnamed statement), so
	// nothing more is prepared, and the transaction sees its own writes.
	tx, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tasks SET title = '改过' WHERE id = 't1'`); err != nil {
		t.Fatal(err)
	}
	if task, err := store.TaskByID(ctx, tx, "t1"); err != nil || task.Title != "改过" {
		t.Fatalf("TaskByID in a transaction: %q, %v", task.Title, err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if n := testdb.Count(t, s.DB, `SELECT count(*) FROM pg_prepared_statements`); n != 2 {
		t.Fatalf("%d prepared statements after the transaction, want 2", n)
	}

	// A migration changes the type of a column the statement answers:
	// PostgreSQL refuses the cached plan; the read still answers.
	if _, err := s.DB.ExecContext(ctx, `ALTER TABLE tasks ALTER COLUMN title TYPE varchar(500)`); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if task, err := store.TaskByID(ctx, s.DB, "t1"); err != nil || task.Title != "完成交办事项" {
			t.Fatalf("TaskByID after the column changed: %q, %v", task.Title, err)
		}
	}

	// The notifications of units (the inbox's) and of a task are each a
	// statement of their own, prepared once, and each answers its own rows.
	taskID := "t1"
	for i, n := range []store.Notification{{Key: "n-unit", UnitID: jcg.ID}, {Key: "n-task", UnitID: jcg.ID, TaskID: &taskID}} {
		n.Kind, n.Title, n.Body = "reminder", "提醒", fmt.Sprint("第", i+1, "条")
		if _, err := store.Enqueue(ctx, s.DB, n); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		ofUnit, err := store.NotificationsFor(ctx, s.DB, []int64{jcg.ID}, "", 20)
		if err != nil || len(ofUnit) != 2 || ofUnit[0].Key != "n-task" || ofUnit[1].Key != "n-unit" {
			t.Fatalf("the unit's notifications: %+v, %v", ofUnit, err)
		}
		ofTask, err := store.NotificationsFor(ctx, s.DB, nil, "t1", 20)
		if err != nil || len(ofTask) != 1 || ofTask[0].Key != "n-task" {
			t.Fatalf("the task's notifications: %+v, %v", ofTask, err)
		}
	}
	for _, filter := range []string{"unit_id = ANY($1)", "task_id = $1"} {
		if n := testdb.Count(t, s.DB, `SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%FROM outbox WHERE ' || $1 || '%'`, filter); n != 1 {
			t.Errorf("notifications by %s: %d prepared statements, want 1", filter, n)
		}
	}
}
