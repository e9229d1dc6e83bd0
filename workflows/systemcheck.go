package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/contract"
)

// SystemCheck reads the organisation's census through an activity and answers.
func SystemCheck(ctx workflow.Context, in contract.SystemCheckInput) (contract.SystemCheckResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3},
	})
	var census contract.Census
	if err := workflow.ExecuteActivity(ctx, contract.ActCensus).Get(ctx, &census); err != nil {
		return contract.SystemCheckResult{}, err
	}
	return contract.SystemCheckResult{
		Units:         census.Units,
		People:        census.People,
		SchemaVersion: census.SchemaVersion,
		CheckedAt:     workflow.Now(ctx),
		RequestedBy:   in.RequestedBy,
	}, nil
}
