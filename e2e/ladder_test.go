package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/zeren-county/zeren/internal/store"
)

// TestLadderAndExtensionOnRealTimers runs the ladder on the embedded server with
// real timers (offsets in seconds), then an extension request and decision over HTTP.
func TestLadderAndExtensionOnRealTimers(t *testing.T) {
	s, tokens := seeded(t)
	sys := start(t, "", s, tokens)

	due := time.Now().Add(5 * time.Second).UTC()
	var a store.Assignment
	sys.send(t, "POST", "/api/v1/assignments", "linyou-deputy", map[string]any{
		"title": "上报崔木煤矿冲击地压防治措施", "content": "报送防治措施落实情况。", "due_at": due, "assignee_unit": "cmm",
		"ladder": []map[string]any{{"offset": "-3s", "action": "remind"}, {"offset": "+1s", "action": "notice"}, {"offset": "+2s", "action": "deduct", "points": 1}},
	}).want(t, 201).decode(t, &a)
	work := fmt.Sprintf("assignment.%d.complete.1", a.ID)
	opened := sys.awaitTask(t, "cmm-head", work)
	// A reminder timed at or before the task opened is not sent (the task's own
	// notice says it): on a loaded machine the start may take longer than 2 s.
	wantReminders := 1
	if !due.Add(-3 * time.Second).After(opened.CreatedAt) {
		wantReminders = 0
	}

	cmm, _ := store.UnitByCode(t.Context(), s.DB, "cmm")
	deadline := time.Now().Add(90 * time.Second)
	var ledger int
	for time.Now().Before(deadline) {
		_ = s.DB.Get(&ledger, `SELECT count(*) FROM score_ledger WHERE unit_id = $1`, cmm.ID)
		if ledger > 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	var notices, reminders int
	_ = s.DB.Get(&notices, `SELECT count(*) FROM notices WHERE $1 = ANY(unit_ids)`, cmm.ID)
	_ = s.DB.Get(&reminders, `SELECT count(*) FROM outbox WHERE unit_id = $1 AND kind = 'remind'`, cmm.ID)
	if ledger != 1 || notices != 1 || reminders != wantReminders {
		t.Fatalf("after the deadline: %d deductions, %d notices, %d reminders; want 1, 1, %d", ledger, notices, reminders, wantReminders)
	}
	// The unit sees them in its inbox.
	var page struct {
		Notifications []store.Notification `json:"notifications"`
	}
	sys.send(t, "GET", "/api/v1/inbox", "cmm-head", nil).want(t, 200).decode(t, &page)
	kinds := map[string]bool{}
	for _, n := range page.Notifications {
		kinds[n.Kind] = true
	}
	if kinds["remind"] != (wantReminders == 1) || !kinds["notice"] || !kinds["deduct"] || !kinds["task"] {
		t.Fatalf("inbox notifications %+v", page.Notifications)
	}

	// Extension: refused input, then a real request the deputy approves.
	sys.send(t, "POST", "/api/v1/tasks/"+work+"/extension", "cmm-head", map[string]any{"due_at": due.Add(-time.Hour), "reason": ""}).want(t, 422)
	newDue := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Second)
	var ext struct {
		DecisionTaskID string `json:"decision_task_id"`
	}
	sys.send(t, "POST", "/api/v1/tasks/"+work+"/extension", "cmm-head", map[string]any{"due_at": newDue, "reason": "井下作业面调整，需延后报送"}).want(t, 202).decode(t, &ext)
	sys.send(t, "POST", "/api/v1/tasks/"+work+"/extension", "cmm-head", map[string]any{"due_at": newDue, "reason": "再次申请"}).want(t, 409)
	sys.awaitTask(t, "linyou-deputy", ext.DecisionTaskID)
	sys.send(t, "POST", "/api/v1/tasks/"+ext.DecisionTaskID+"/complete", "linyou-deputy", map[string]any{"decision": "approve"}).want(t, 200)
	task, err := store.TaskByID(t.Context(), s.DB, work)
	if err != nil || !task.DueAt.Equal(newDue) {
		t.Fatalf("task due %v (%v), want %v", task.DueAt, err, newDue)
	}

	sys.send(t, "POST", "/api/v1/tasks/"+work+"/complete", "cmm-head", map[string]any{"result": "已报送冲击地压防治措施落实情况。"}).want(t, 200)
	review := fmt.Sprintf("assignment.%d.review.1", a.ID)
	sys.awaitTask(t, "linyou-deputy", review)
	sys.send(t, "POST", "/api/v1/tasks/"+review+"/complete", "linyou-deputy", map[string]any{"decision": "approve"}).want(t, 200)
	time.Sleep(300 * time.Millisecond)
	checkHistory(t, sys.client, fmt.Sprintf("assignment/%d", a.ID), "assignment-ladder-extension")
}
