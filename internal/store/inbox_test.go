package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

// The inbox holds exactly the caller's tasks, sorted by due time, filtered,
// paged by cursor without gaps or repeats, with counts per kind and overdue.
func TestInbox(t *testing.T) {
	ctx := context.Background()
	s := testdb.New(t)
	people, err := seed.Load(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for _, p := range people {
		ids[p.Key] = p.ID
	}
	jcg, _ := store.UnitByCode(ctx, s.DB, "jcg")
	cm, _ := store.UnitByCode(ctx, s.DB, "cm")
	now := time.Date(2021, 6, 1, 0, 0, 0, 0, time.UTC)
	add := func(id, kind string, unit int64, role string, person *int64, due time.Duration, status string) {
		t.Helper()
		if _, err := store.InsertTask(ctx, s.DB, store.Task{ID: id, WorkflowID: "w/" + id, Kind: kind, Title: id, SubjectType: "assignment",
			SubjectID: id, UnitID: unit, Role: role, PersonID: person, DueAt: now.Add(due), CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
		if status != "open" {
			if _, err := s.DB.Exec(`UPDATE tasks SET status = $2 WHERE id = $1`, id, status); err != nil {
				t.Fatal(err)
			}
		}
	}
	head := ids["jcg-head"]
	for i := range 7 {
		add(fmt.Sprintf("a%d", i), "assignment.complete", jcg.ID, "unit_head", nil, time.Duration(i-3)*24*time.Hour, "open")
	}
	add("mine", "assignment.review", jcg.ID, "unit_head", &head, 10*time.Hour, "open")
	add("done", "assignment.complete", jcg.ID, "unit_head", nil, time.Hour, "completed")
	add("staff", "assignment.complete", jcg.ID, "staff", nil, time.Hour, "open")
	add("other-town", "assignment.complete", cm.ID, "unit_head", nil, time.Hour, "open")
	other := ids["jcg-staff"]
	add("someone-else", "assignment.review", jcg.ID, "unit_head", &other, time.Hour, "open")

	p, _ := store.PersonByID(ctx, s.DB, head)
	q := store.InboxQuery{PersonID: p.ID, UnitIDs: []int64{jcg.ID}, Roles: []string{"unit_head"}, Now: now, Limit: 3}
	var all []string
	for page := 0; ; page++ {
		tasks, next, err := store.Inbox(ctx, s.DB, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range tasks {
			all = append(all, task.ID)
		}
		if next == "" {
			break
		}
		q.Cursor = next
		if page > 5 {
			t.Fatal("paging does not end")
		}
	}
	want := "[a0 a1 a2 a3 mine a4 a5 a6]"
	if fmt.Sprint(all) != want {
		t.Fatalf("inbox %v, want %s", all, want)
	}
	q.Cursor = ""
	counts, err := store.InboxCounts(ctx, s.DB, q)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(counts) != "[{assignment.complete 7 3} {assignment.review 1 0}]" {
		t.Fatalf("counts %v", counts)
	}
	overdue := true
	q.Overdue, q.Kind, q.Limit = &overdue, "assignment.complete", 50
	tasks, _, err := store.Inbox(ctx, s.DB, q)
	if err != nil || len(tasks) != 3 {
		t.Fatalf("overdue filter: %d tasks (%v)", len(tasks), err)
	}
	q.Overdue, q.Kind, q.Status = nil, "", domain.TaskCompleted
	if tasks, _, _ = store.Inbox(ctx, s.DB, q); len(tasks) != 1 || tasks[0].ID != "done" {
		t.Fatalf("completed: %+v", tasks)
	}
	if _, err := store.DecodeCursor("garbage"); err == nil {
		t.Fatal("a made-up cursor was accepted")
	}
}
