package workflows

import (
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/contract"
)

// childBatch is how many children a process starts at once.
const childBatch = 200

// runChildren starts one child per id, abandoned on close so each outlives a
// cancelled or continued parent, and waits for all of them. elsewhere[i] says
// child i was already running under its id (started by hand, or before), so
// there is no result of it here.
func runChildren[R any](ctx workflow.Context, workflowType string, ids []string, inputs []any) (results []R, elsewhere []bool, err error) {
	// More than childBatch children start a batch at a time, each batch once
	// the one before has started, so neither the server nor a worker takes
	// thousands of starts in one workflow task.
	batched := len(ids) > childBatch
	futures := make([]workflow.ChildWorkflowFuture, len(ids))
	for i, id := range ids {
		if batched && i > 0 && i%childBatch == 0 {
			for _, f := range futures[i-childBatch : i] {
				_ = f.GetChildWorkflowExecution().Get(ctx, nil) // a failed start shows in its result below
			}
		}
		futures[i] = workflow.ExecuteChildWorkflow(childOptions(ctx, id, workflowType, inputs[i]), workflowType, inputs[i])
	}
	results, elsewhere = make([]R, len(ids)), make([]bool, len(ids))
	var errs []error
	for i, f := range futures {
		err := f.Get(ctx, &results[i])
		var started *temporal.ChildWorkflowExecutionAlreadyStartedError
		switch {
		case errors.As(err, &started):
			elsewhere[i] = true
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", ids[i], err))
		}
	}
	if ctx.Err() != nil {
		// Cancelled: the children were abandoned, so pass the cancellation on.
		cancelAll(ctx, ids)
	}
	return results, elsewhere, errors.Join(errs...)
}

// cancelAll asks each workflow to cancel, from a context that survives the
// caller's own cancellation. One already closed answers not-found: that is fine.
func cancelAll(ctx workflow.Context, ids []string) {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	for _, id := range ids {
		_ = workflow.RequestCancelExternalWorkflow(dctx, id, "").Get(dctx, nil)
	}
}

// startDetached starts a workflow as an abandoned child and waits only until it
// has started; one already running under the id is left as it is.
func startDetached(ctx workflow.Context, id, workflowType string, input any) error {
	err := workflow.ExecuteChildWorkflow(childOptions(ctx, id, workflowType, input), workflowType, input).GetChildWorkflowExecution().Get(ctx, nil)
	var started *temporal.ChildWorkflowExecutionAlreadyStartedError
	if errors.As(err, &started) {
		return nil
	}
	return err
}

// childOptions start a process as an abandoned child under its id, with the
// search attributes of its type and input (they are not part of the command
// a replay compares, so they change no history).
func childOptions(ctx workflow.Context, id, workflowType string, input any) workflow.Context {
	return workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: id, ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_ABANDON,
		TypedSearchAttributes: contract.SearchAttributesOf(workflowType, input)})
}
