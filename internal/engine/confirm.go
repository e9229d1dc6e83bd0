package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// confirmEvery is how often a worker looks for completions to confirm.
const confirmEvery = 30 * time.Second

// confirmBatch bounds one pass; the rest wait for the next.
const confirmBatch = 500

// KeepConfirming runs ConfirmCompletions every half minute until ctx ends.
// Every worker runs it: two at once confirm the same rows, and re-send an
// Update under its one id, which the process takes once.
func KeepConfirming(ctx context.Context, s *store.Store, c client.Client, log *slog.Logger) {
	t := time.NewTicker(confirmEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := ConfirmCompletions(ctx, s, c, time.Now(), log); err != nil && ctx.Err() == nil {
			log.Warn("confirm completions", "error", err)
		}
	}
}

// Confirmation counts what one pass of ConfirmCompletions found.
type Confirmation struct {
	// Held: the process holds the Update (or has ended, or has the task closed).
	Held int
	// Resent: the process had lost the Update; it was sent again and taken.
	Resent int
	// Left: Temporal could not answer; the row is checked again next pass.
	Left int
}

// ConfirmCompletions checks the completions written by an Update handler's
// step at least store.ConfirmAfter before now: the process that holds the
// Update (or no longer runs) is confirmed; a running process that lost it —
// its worker killed right after the handler's commit, the client never
// retrying — gets the Update again under the same id, carrying the outcome
// its row holds, and completes the task (its step a no-op for that id).
func ConfirmCompletions(ctx context.Context, s *store.Store, c client.Client, now time.Time, log *slog.Logger) (Confirmation, error) {
	var res Confirmation
	due, err := store.UnconfirmedCompletions(ctx, s.DB, now, confirmBatch)
	if err != nil || len(due) == 0 {
		return res, err
	}
	var confirmed []string
	for _, u := range due {
		resent, err := confirm(ctx, c, u, log)
		switch {
		case err != nil:
			res.Left++
			log.Warn("confirm completion", "task", u.TaskID, "workflow", u.WorkflowID, "error", err)
			continue
		case resent:
			res.Resent++
			log.Warn("completion re-sent to its process, which had lost it", "task", u.TaskID, "workflow", u.WorkflowID)
		default:
			res.Held++
		}
		confirmed = append(confirmed, u.TaskID)
	}
	return res, store.ConfirmCompletions(ctx, s.DB, confirmed)
}

// confirm answers whether the Update had to be sent again; an error leaves
// the row for the next pass.
func confirm(ctx context.Context, c client.Client, u store.Unconfirmed, log *slog.Logger) (resent bool, err error) {
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err = c.GetWorkflowUpdateHandle(client.GetWorkflowUpdateHandleOptions{WorkflowID: u.WorkflowID, UpdateID: u.UpdateID}).Get(pctx, nil)
	var notFound *serviceerror.NotFound
	switch {
	case err == nil || contract.Refused(err):
		return false, nil // the process holds the Update's outcome
	case !errors.As(err, &notFound):
		return false, err
	}
	d, err := c.DescribeWorkflowExecution(ctx, u.WorkflowID, "")
	switch {
	case errors.As(err, &notFound):
		return false, nil // no process to tell
	case err != nil:
		return false, err
	case d.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		return false, nil
	}
	var outcome domain.Completion
	if err := json.Unmarshal(u.Outcome, &outcome); err != nil {
		return false, fmt.Errorf("task %s outcome: %w", u.TaskID, err)
	}
	uctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	h, err := c.UpdateWorkflow(uctx, client.UpdateWorkflowOptions{WorkflowID: u.WorkflowID, UpdateID: u.UpdateID,
		UpdateName: contract.UpdateCompleteTask, WaitForStage: client.WorkflowUpdateStageCompleted,
		Args: []any{contract.CompleteTaskRequest{TaskID: u.TaskID, Kind: u.Kind, PersonID: u.PersonID, PersonKey: u.PersonKey,
			SubmittedAt: u.CompletedAt, Recorded: &outcome}}})
	if err == nil {
		err = h.Get(uctx, nil)
	}
	if contract.Refused(err) {
		// The process had the task closed meanwhile (or, after continuing as
		// new, no longer has it): the row stays the record.
		log.Info("re-sent completion refused by its process", "task", u.TaskID, "error", err)
		return false, nil
	}
	return err == nil, err
}
