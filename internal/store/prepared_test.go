package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

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
	if n, m := prepared(false), prepared(true); n != 1 || m != 1 {
		t.Fatalf("%d and %d statements of the task's row and page after the transaction, want 1 and 1", n, m)
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

// A transaction's queries run through the pool's statements on the
// transaction's own connection. The first transaction finds none: it sends
// its queries as they are, without waiting — on a pool of one connection,
// which it holds, waiting would never end — while the pool prepares them
// behind it; later transactions only execute them, and nothing is prepared
// per transaction. A statement whose answer's columns a migration changed
// fails one transaction at most (an activity retries it whole); the next
// prepares it anew.
func TestTransactionsRunThePoolsStatements(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := testdb.New(t)
	s.DB.SetMaxOpenConns(1)
	appendOne := func(key string) {
		t.Helper()
		if err := s.InTx(ctx, func(tx *sqlx.Tx) error {
			_, err := store.Append(ctx, tx, store.Event{Key: key, Actor: "test", Action: "test.appended", SubjectType: "test", SubjectID: key})
			return err
		}); err != nil {
			t.Fatalf("append %s: %v", key, err)
		}
	}
	audit := func() int {
		t.Helper()
		return testdb.Count(t, s.DB, `SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%audit%' OR statement LIKE '%pg_advisory_xact_lock%'`)
	}
	appendOne("k1")
	// The append's three statements (the chain's lock, its head, the row),
	// prepared once the transaction let go of the connection.
	for deadline := time.Now().Add(30 * time.Second); audit() != 3; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of the append's statements prepared after its first transaction, want 3", audit())
		}
	}
	for i := range 3 {
		appendOne(fmt.Sprint("k", i+2))
	}
	if n := audit(); n != 3 {
		t.Fatalf("%d of the append's statements prepared after four transactions, want 3", n)
	}
	res, err := store.VerifyAudit(ctx, s.DB)
	if err != nil || res.Rows != 4 || res.Broken {
		t.Fatalf("the audit log after four appends: %+v, %v", res, err)
	}

	var unitID int64
	if err := s.DB.GetContext(ctx, &unitID, `INSERT INTO units (code, name, kind) VALUES ('jcg', '县检察院', 'department') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2021, 6, 1, 0, 0, 0, 0, time.UTC)
	if _, err := store.InsertTask(ctx, s.DB, store.Task{ID: "t1", WorkflowID: "w/t1", Kind: "assignment.complete", Title: "完成交办事项",
		SubjectType: "assignment", SubjectID: "1", UnitID: unitID, Role: "unit_head", DueAt: now, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	read := func() error {
		return s.InTx(ctx, func(tx *sqlx.Tx) error {
			task, err := store.TaskByID(ctx, tx, "t1")
			if err == nil && task.Title != "完成交办事项" {
				err = fmt.Errorf("title %q", task.Title)
			}
			return err
		})
	}
	byID := func() int {
		t.Helper()
		return testdb.Count(t, s.DB, `SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%WHERE t.id = $1'`)
	}
	for deadline := time.Now().Add(30 * time.Second); byID() < 1; time.Sleep(20 * time.Millisecond) {
		if err := read(); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the task's row was never prepared for a transaction")
		}
	}
	if err := read(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB.ExecContext(ctx, `ALTER TABLE tasks ALTER COLUMN title TYPE varchar(500)`); err != nil {
		t.Fatal(err)
	}
	failed := 0
	for range 3 {
		if err := read(); err != nil {
			failed++
			t.Logf("a transaction across the column's change: %v", err)
		}
	}
	if failed > 1 {
		t.Fatalf("%d of 3 transactions across the column's change failed, want at most the first", failed)
	}
	if err := read(); err != nil {
		t.Fatalf("the task's row in a transaction after the column changed: %v", err)
	}
}
