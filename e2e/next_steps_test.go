package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/zeren-county/zeren/api"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// gatedClient holds each complete-task Update until as many have arrived as
// the gate waits for, so that completions are under way together, and keeps
// what each one asked of its process.
type gatedClient struct {
	client.Client
	arrived chan struct{}
	release chan struct{}

	mu    sync.Mutex
	asked map[string]bool // workflow id → WithNextSteps
}

func (g *gatedClient) UpdateWorkflow(ctx context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	if req, ok := o.Args[0].(contract.CompleteTaskRequest); ok && o.UpdateName == contract.UpdateCompleteTask {
		g.mu.Lock()
		g.asked[o.WorkflowID] = req.WithNextSteps
		g.mu.Unlock()
		g.arrived <- struct{}{}
		select {
		case <-g.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return g.Client.UpdateWorkflow(ctx, o)
}

// answerTimers counts the timers of a millisecond in a process's history:
// workflows.answerFirst's, one per completion answered before its next steps.
func answerTimers(t *testing.T, c client.Client, workflowID string) int {
	t.Helper()
	n := 0
	it := c.GetWorkflowHistory(t.Context(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if a := e.GetTimerStartedEventAttributes(); a != nil && a.GetStartToFireTimeout().AsDuration() == time.Millisecond {
			n++
		}
	}
	return n
}

// TestCompletionsUnderWayTogetherAnswerWithTheirNextSteps sends two
// completions through one API at the same time: the first answers before its
// process's next steps, as a person alone on the system is answered; the
// second, which found the first under way, asks its process to answer with
// them, in one workflow task (no answer-first timer). Both processes go on to
// their reviews, and both end approved; the second's history is kept for the
// replay test.
func TestCompletionsUnderWayTogetherAnswerWithTheirNextSteps(t *testing.T) {
	s, tokens := seeded(t)
	sys := start(t, "", s, tokens)

	due := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	var ids [2]int64
	for i := range ids {
		var a store.Assignment
		sys.send(t, "POST", "/api/v1/assignments", "yjj-office", map[string]any{
			"title": fmt.Sprintf("排查第%d批液化气站", i+1), "content": "全面排查，形成问题清单。", "due_at": due, "assignee_unit": "jcg",
		}).want(t, 201).decode(t, &a)
		ids[i] = a.ID
		sys.awaitTask(t, "jcg-head", fmt.Sprintf("assignment.%d.complete.1", a.ID))
	}

	gate := &gatedClient{Client: sys.client, arrived: make(chan struct{}, 2), release: make(chan struct{}), asked: map[string]bool{}}
	reg := prometheus.NewRegistry()
	h := api.New(api.Deps{Store: s, Temporal: gate, TaskQueue: taskQueue, Registry: reg, Gatherer: reg, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	loaded := &system{http: httptest.NewServer(h), tokens: tokens}
	defer loaded.http.Close()

	var wg sync.WaitGroup
	codes := make([]int, len(ids))
	for i, id := range ids {
		wg.Go(func() {
			codes[i] = loaded.send(t, "POST", fmt.Sprintf("/api/v1/tasks/assignment.%d.complete.1/complete", id), "jcg-head",
				map[string]any{"result": "排查完毕，整改隐患2处。"}).code
		})
	}
	for range ids {
		select {
		case <-gate.arrived:
		case <-time.After(60 * time.Second):
			t.Fatal("the two completions never reached Temporal together")
		}
	}
	close(gate.release)
	wg.Wait()
	if codes[0] != 200 || codes[1] != 200 {
		t.Fatalf("completions answered %v", codes)
	}

	// Exactly one found the other under way; its history has no answer-first timer.
	var first, second string
	for wf, with := range gate.asked {
		if with {
			second = wf
		} else {
			first = wf
		}
	}
	if first == "" || second == "" || len(gate.asked) != 2 {
		t.Fatalf("asked %v: want one completion alone and one beside it", gate.asked)
	}
	for _, id := range ids {
		sys.awaitTask(t, "yjj-office", fmt.Sprintf("assignment.%d.review.1", id))
	}
	if n := answerTimers(t, sys.client, first); n != 1 {
		t.Errorf("%s, completed alone: %d answer-first timers, want 1", first, n)
	}
	if n := answerTimers(t, sys.client, second); n != 0 {
		t.Errorf("%s, completed beside another: %d answer-first timers, want 0", second, n)
	}

	// The reviews, one at a time, answer first again; both processes end approved.
	for _, id := range ids {
		sys.send(t, "POST", fmt.Sprintf("/api/v1/tasks/assignment.%d.review.1/complete", id), "yjj-office", map[string]any{"decision": "approve"}).want(t, 200)
	}
	for _, id := range ids {
		wf := fmt.Sprintf("assignment/%d", id)
		if err := sys.client.GetWorkflow(t.Context(), wf, "").Get(t.Context(), nil); err != nil {
			t.Fatalf("%s: %v", wf, err)
		}
		var a store.Assignment
		sys.send(t, "GET", fmt.Sprintf("/api/v1/assignments/%d", id), "jcg-head", nil).want(t, 200).decode(t, &a)
		if a.Status != domain.StatusApproved {
			t.Fatalf("assignment %d: %q", id, a.Status)
		}
	}
	if n := answerTimers(t, sys.client, second); n != 1 {
		t.Errorf("%s: %d answer-first timers after its review, want 1 (the review's)", second, n)
	}
	checkHistory(t, sys.client, second, "assignment-with-next-steps")
}
