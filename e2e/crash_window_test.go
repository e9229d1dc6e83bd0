package e2e

import (
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/engine"
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

// TestTheEngineConfirmsACompletionNoClientRetried: the same crash window, but
// the client never retries (a person whose page showed an error and who did
// not submit again). The engine's confirmation pass finds the row its process
// never heard of, re-sends the Update under its id with the outcome the row
// holds, and the process moves on; a completion the process took is only
// confirmed, and nothing is checked before store.ConfirmAfter.
func TestTheEngineConfirmsACompletionNoClientRetried(t *testing.T) {
	s, tokens := seeded(t)
	sys := start(t, "", s, tokens)
	issue := func(title string) (string, int64) {
		var a store.Assignment
		sys.send(t, "POST", "/api/v1/assignments", "yjj-office", map[string]any{"title": title, "content": "全面排查。",
			"due_at": time.Now().Add(72 * time.Hour).UTC(), "assignee_unit": "jcg"}).want(t, 201).decode(t, &a)
		work := fmt.Sprintf("assignment.%d.complete.1", a.ID)
		sys.awaitTask(t, "jcg-head", work)
		return work, a.ID
	}
	heard, heardID := issue("排查燃气管网隐患")
	lost, lostID := issue("排查液化气站隐患")

	// One completion the process took, through the API.
	sys.send(t, "POST", "/api/v1/tasks/"+heard+"/complete", "jcg-head", map[string]any{"result": "已排查燃气管网12公里"}, "Idempotency-Key", "heard-1").want(t, 200)
	sys.awaitTask(t, "yjj-office", fmt.Sprintf("assignment.%d.review.1", heardID))
	// One the crash left: the row completed by the handler's step, the process not told.
	head, err := store.PersonByKey(t.Context(), s.DB, "jcg-head")
	if err != nil {
		t.Fatal(err)
	}
	outcome := domain.Completion{Result: "已排查液化气站7座", Attachments: []domain.Attachment{{Name: "排查台账.xlsx", Ref: "files/jcg/2026/排查台账.xlsx"}}}
	step := contract.CompleteTaskInput{TaskID: lost, PersonID: head.ID, PersonKey: head.Key, Outcome: outcome,
		UpdateID: fmt.Sprintf("p%d:%s", head.ID, "lost-1"), At: time.Now().UTC().Truncate(time.Microsecond)}
	if err := (&activities.Activities{Store: s}).CompleteTask(t.Context(), step); err != nil {
		t.Fatal(err)
	}

	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if got, err := engine.ConfirmCompletions(t.Context(), s, sys.client, time.Now(), quiet); err != nil || got != (engine.Confirmation{}) {
		t.Fatalf("a pass before ConfirmAfter: %+v, %v; want nothing checked", got, err)
	}
	later := time.Now().Add(store.ConfirmAfter + time.Second)
	got, err := engine.ConfirmCompletions(t.Context(), s, sys.client, later, quiet)
	if err != nil || got != (engine.Confirmation{Held: 1, Resent: 1}) {
		t.Fatalf("the pass: %+v, %v; want one held, one re-sent", got, err)
	}
	// The process heard of it: the review is open with the row's outcome, the task completed once.
	review := fmt.Sprintf("assignment.%d.review.1", lostID)
	sys.awaitTask(t, "yjj-office", review)
	if n := testdb.Count(t, s.DB, `SELECT count(*) FROM audit_log WHERE action = 'task.completed' AND task_id = $1`, lost); n != 1 {
		t.Fatalf("%d completions of the task in the audit log, want 1", n)
	}
	var result string
	if err := s.DB.Get(&result, `SELECT outcome->>'result' FROM tasks WHERE id = $1`, lost); err != nil || result != outcome.Result {
		t.Fatalf("the row's outcome: %q, %v", result, err)
	}
	if n := testdb.Count(t, s.DB, `SELECT count(*) FROM tasks WHERE confirm_after IS NOT NULL`); n != 0 {
		t.Fatalf("%d completions still unconfirmed", n)
	}
	if got, err := engine.ConfirmCompletions(t.Context(), s, sys.client, later, quiet); err != nil || got != (engine.Confirmation{}) {
		t.Fatalf("a second pass: %+v, %v; want nothing left", got, err)
	}
	// The review completes as usual: the process took the re-sent completion as its own.
	sys.send(t, "POST", "/api/v1/tasks/"+review+"/complete", "yjj-office", map[string]any{"decision": "approve"}, "Idempotency-Key", "review-1").want(t, 200)
}
