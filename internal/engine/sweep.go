package engine

import (
	"context"
	"errors"
	"log/slog"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/zeren-county/zeren/contract"
)

// StartMaterialSweep starts the county's daily check of the rescue materials'
// inventories (contract.MaterialSweepWorkflow) unless it runs already: every
// worker calls it at start, and the second start is a no-op.
func StartMaterialSweep(ctx context.Context, c client.Client, taskQueue string, log *slog.Logger) {
	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: contract.MaterialSweepID, TaskQueue: taskQueue,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes:                    contract.SearchAttributesOf(contract.MaterialSweepWorkflow, contract.SweepInput{}),
	}, contract.MaterialSweepWorkflow, contract.SweepInput{})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) && ctx.Err() == nil {
		log.Warn("start the materials sweep", "error", err)
	}
}
