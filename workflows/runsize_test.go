package workflows_test

import (
	"time"

	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/workflow"
)

// runSizes counts, for each run of one workflow type in the time-skipping
// environment (which keeps no event history), the commands the run issues, and
// bounds the events its history holds from them.
type runSizes struct {
	interceptor.WorkerInterceptorBase
	workflowType string
	runs         []*runSize
}

type runSize struct {
	timers, children, activities, updates, markers int
}

// events is an upper bound on the run's history: its start and its close, a
// started and a fired (or cancelled) event per timer, an initiated and a
// started (and a completed) per child, scheduled/started/completed per
// activity, accepted/completed per Update, a marker per version check, and
// three events per workflow task, of which there is at most one per wake-up.
func (r *runSize) events() int {
	wakeups := 1 + r.timers + r.children + r.activities + r.updates
	return 2 + 2*r.timers + 3*r.children + 3*r.activities + 2*r.updates + r.markers + 3*wakeups
}

func (s *runSizes) largest() (most int) {
	for _, r := range s.runs {
		most = max(most, r.events())
	}
	return most
}

func (s *runSizes) InterceptWorkflow(ctx workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	if workflow.GetInfo(ctx).WorkflowType.Name != s.workflowType {
		return next
	}
	r := &runSize{}
	s.runs = append(s.runs, r)
	return &sizeInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}, r: r}
}

type sizeInbound struct {
	interceptor.WorkflowInboundInterceptorBase
	r *runSize
}

func (i *sizeInbound) Init(outbound interceptor.WorkflowOutboundInterceptor) error {
	return i.Next.Init(&sizeOutbound{WorkflowOutboundInterceptorBase: interceptor.WorkflowOutboundInterceptorBase{Next: outbound}, r: i.r})
}

func (i *sizeInbound) ExecuteUpdate(ctx workflow.Context, in *interceptor.UpdateInput) (any, error) {
	i.r.updates++
	return i.Next.ExecuteUpdate(ctx, in)
}

type sizeOutbound struct {
	interceptor.WorkflowOutboundInterceptorBase
	r *runSize
}

func (o *sizeOutbound) NewTimer(ctx workflow.Context, d time.Duration) workflow.Future {
	o.r.timers++
	return o.Next.NewTimer(ctx, d)
}

func (o *sizeOutbound) Sleep(ctx workflow.Context, d time.Duration) error {
	o.r.timers++
	return o.Next.Sleep(ctx, d)
}

func (o *sizeOutbound) AwaitWithTimeout(ctx workflow.Context, d time.Duration, condition func() bool) (bool, error) {
	o.r.timers++
	return o.Next.AwaitWithTimeout(ctx, d, condition)
}

func (o *sizeOutbound) ExecuteActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	o.r.activities++
	return o.Next.ExecuteActivity(ctx, activityType, args...)
}

func (o *sizeOutbound) ExecuteChildWorkflow(ctx workflow.Context, childWorkflowType string, args ...any) workflow.ChildWorkflowFuture {
	o.r.children++
	return o.Next.ExecuteChildWorkflow(ctx, childWorkflowType, args...)
}

func (o *sizeOutbound) RequestCancelExternalWorkflow(ctx workflow.Context, workflowID, runID string) workflow.Future {
	o.r.activities++ // initiated, requested: counted like an activity
	return o.Next.RequestCancelExternalWorkflow(ctx, workflowID, runID)
}

func (o *sizeOutbound) GetVersion(ctx workflow.Context, changeID string, minSupported, maxSupported workflow.Version) workflow.Version {
	o.r.markers++
	return o.Next.GetVersion(ctx, changeID, minSupported, maxSupported)
}
