package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/activities"
)

// SystemCheck reads the organisation's census through an activity and answers.
func SystemCheck(ctx workflow.Context, in SystemCheckInput) (SystemCheckResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3},
	})
	var a *activities.Activities
	var census activities.Census
	if err := workflow.ExecuteActivity(ctx, a.Census).Get(ctx, &census); err != nil {
		return SystemCheckResult{}, err
	}
	return SystemCheckResult{
		Units:         census.Units,
		People:        census.People,
		SchemaVersion: census.SchemaVersion,
		CheckedAt:     workflow.Now(ctx),
		RequestedBy:   in.RequestedBy,
	}, nil
}
