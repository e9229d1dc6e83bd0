package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

// TestRetryAfterTheHandlersCommitReachesTheProcess: the Update handler writes
// the task's row in the workflow task that accepts the Update, so a worker
// killed right after that commit leaves the row completed (under the Update's
// id) while the process, which lost the Update, still waits on the task. The
// client's retry with the same Idempotency-Key sends the Update again: the
// process completes the task (its step a no-op for the same update id) and
// moves on to the review, and the retry answers the first outcome.
func TestRetryAfterTheHandlersCommitReachesTheProcess(t *testing.T) {
	s, tokens := seeded(t)
	sys := start(t, "", s, tokens)
	var a store.Assignment
	sys.send(t, "POST", "/api/v1/assignments", "yjj-office", map[string]any{"title": "排查燃气管网隐患", "content": "全面排查。",
		"due_at": time.Now().Add(72 * time.Hour).UTC(), "assignee_unit": "jcg"}).want(t, 201).decode(t, &a)
	work := fmt.Sprintf("assignment.%d.complete.1", a.ID)
	sys.awaitTask(t, "jcg-head", work)

	// The state the crash leaves: the row completed by the handler's step under
	// the Update's id (the API's "p<person>:<key>"), the process not told.
	head, err := store.PersonByKey(t.Context(), s.DB, "jcg-head")
	if err != nil {
		t.Fatal(err)
	}
	step := contract.CompleteTaskInput{TaskID: work, PersonID: head.ID, PersonKey: head.Key, Outcome: domain.Completion{Result: "已排查燃气管网12公里"},
		UpdateID: fmt.Sprintf("p%d:%s", head.ID, "retry-1"), At: time.Now().UTC().Truncate(time.Microsecond)}
	if err := (&activities.Activities{Store: s}).CompleteTask(t.Context(), step); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Task struct {
			Status string `json:"status"`
		} `json:"task"`
		Outcome struct {
			Result string `json:"result"`
		} `json:"outcome"`
	}
	sys.send(t, "POST", "/api/v1/tasks/"+work+"/complete", "jcg-head", map[string]any{"result": "已排查燃气管网12公里"}, "Idempotency-Key", "retry-1").
		want(t, 200).decode(t, &got)
	if got.Task.Status != "completed" || got.Outcome.Result != "已排查燃气管网12公里" {
		t.Fatalf("the retry answered %+v", got)
	}
	// The process heard of it: the review is open, and the task was completed once.
	sys.awaitTask(t, "yjj-office", fmt.Sprintf("assignment.%d.review.1", a.ID))
	if n := testdb.Count(t, s.DB, `SELECT count(*) FROM audit_log WHERE action = 'task.completed' AND task_id = $1`, work); n != 1 {
		t.Fatalf("%d completions of the task in the audit log, want 1", n)
	}
	// Any other request still finds it closed.
	sys.send(t, "POST", "/api/v1/tasks/"+work+"/complete", "jcg-head", map[string]any{"result": "再次提交"}, "Idempotency-Key", "retry-2").want(t, 409)
}
