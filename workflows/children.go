package workflows

import (
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// runChildren starts one child per id, abandoned on close so each outlives a
// cancelled or continued parent, and waits for all of them. elsewhere[i] says
// child i was already running under its id (started by hand, or before), so
// there is no result of it here.
func runChildren[R any](ctx workflow.Context, workflowType string, ids []string, inputs []any) (results []R, elsewhere []bool, err error) {
	futures := make([]workflow.ChildWorkflowFuture, len(ids))
	for i, id := range ids {
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: id, ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_ABANDON})
		futures[i] = workflow.ExecuteChildWorkflow(cctx, workflowType, inputs[i])
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
	return results, elsewhere, errors.Join(errs...)
}
