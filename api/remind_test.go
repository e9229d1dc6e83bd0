package api_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// 催办: the issuing unit sends the assignee a reminder now, once per
// Idempotency-Key, audited; the assignee cannot press itself; a matter not in
// hand needs none.
func TestRemindAssignmentByHand(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var office int64
	_ = f.db.Get(&office, `SELECT id FROM people WHERE key = 'yjj-office'`)
	yjj, jcg := unitID(t, f.db, "yjj"), unitID(t, f.db, "jcg")
	due := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	a := &activities.Activities{Store: f.store}
	if err := a.RecordAssignment(ctx, contract.AssignmentRecord{ID: 7, Title: "排查液化气站", Content: "全面排查", DueAt: due, IssuerUnitID: yjj,
		AssignerID: office, AssignerKey: "yjj-office", AssigneeUnitID: jcg, ReviewerUnitID: yjj, ReviewerRole: domain.RoleSafetyOffice,
		Ladder: domain.DefaultLadder(), CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	remind := func(person, key string) (int, map[string]any) {
		rec := f.send(t, "POST", "/api/v1/assignments/7/remind", person, nil, "Idempotency-Key", key)
		var out map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &out)
		return rec.Code, out
	}
	if code, _ := remind("yjj-office", "k1"); code != 409 {
		t.Fatalf("no open task: %d, want 409", code)
	}
	if _, err := store.InsertTask(ctx, f.db, store.Task{ID: "assignment.7.complete.1", WorkflowID: "assignment/7", Kind: "assignment.complete", Title: "排查液化气站",
		SubjectType: "assignment", SubjectID: "7", UnitID: jcg, Role: "unit_head", IssuerUnitID: &yjj, DueAt: due, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if code, out := remind("yjj-office", "k1"); code != 202 || out["sent"] != true {
		t.Fatalf("remind: %d %v", code, out)
	}
	if code, out := remind("yjj-office", "k1"); code != 202 || out["sent"] != false {
		t.Fatalf("retry: %d %v", code, out)
	}
	if code, _ := remind("jcg-head", "k2"); code != 403 {
		t.Fatalf("the assignee pressing itself: %d", code)
	}
	if code, _ := remind("zx-head", "k3"); code != 404 {
		t.Fatalf("a stranger: %d", code)
	}
	var sent, audited int
	_ = f.db.Get(&sent, `SELECT count(*) FROM outbox WHERE kind = 'remind' AND task_id = 'assignment.7.complete.1'`)
	_ = f.db.Get(&audited, `SELECT count(*) FROM audit_log WHERE action = 'assignment.reminded'`)
	if sent != 1 || audited != 1 {
		t.Fatalf("%d reminders, %d audit rows; want 1 each", sent, audited)
	}
}
