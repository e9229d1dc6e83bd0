package workflows

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// report is the state of one monthly report.
type report struct {
	In ReportInput
	// Due is the submission deadline: the spec's, moved by an approved extension or a campaign's pause.
	Due    time.Time
	Board  board
	Ladder ladder
	Round  int
}

// MonthlyReport runs one unit's report for a month: the unit's head submits it
// by the deadline while the lateness ladder runs; the safety office accepts it
// or returns it with a comment, and the unit revises and resubmits under the
// original deadline. A report accepted after its deadline is recorded as late.
func MonthlyReport(ctx workflow.Context, in ReportInput) (ReportResult, error) {
	s := &report{In: in, Due: in.DueAt, Board: board{Clock: in.Clock}, Ladder: newLadder(in.ID, in.Ladder)}
	res, err := s.run(withActivityOptions(ctx))
	return res, s.Board.settle(ctx, err)
}

func (s *report) run(ctx workflow.Context) (ReportResult, error) {
	in := s.In
	if err := s.Board.install(ctx); err != nil {
		return ReportResult{}, err
	}
	if err := workflow.ExecuteActivity(ctx, acts.RecordReport, in, s.Board.now(ctx)).Get(ctx, nil); err != nil {
		return ReportResult{}, err
	}
	title := fmt.Sprintf("报送%s三年行动工作进展（%s）", in.UnitName, in.Period)
	// A report's lateness counts in the year of its period (December's, late in January, in December's year).
	year, _ := strconv.Atoi(strings.SplitN(in.Period, "-", 2)[0])
	target := rungTarget{Title: title, SubjectType: "report", SubjectID: in.ID, CampaignID: in.CampaignID, UnitID: in.UnitID, IssuerUnitID: in.OfficeUnitID, Year: year}
	returnComment := ""
	for s.Round = 1; ; s.Round++ {
		submit, err := s.Board.escalated(ctx, domain.TaskSpec{
			ID: TaskID(in.ID, "submit", s.Round), WorkflowID: in.ID, Kind: domain.KindReportSubmit, Title: title,
			SubjectType: "report", SubjectID: in.ID, CampaignID: in.CampaignID,
			UnitID: in.UnitID, Role: domain.RoleUnitHead, IssuerUnitID: in.OfficeUnitID, DueAt: s.Due,
			Context: domain.TaskContext{Round: s.Round, ReturnComment: returnComment, PlanTasks: in.PlanTasks},
		}, approver{UnitID: in.OfficeUnitID, Role: domain.RoleSafetyOffice}, &s.Ladder, target)
		if err != nil {
			return ReportResult{}, err
		}
		s.Due = submit.Spec.DueAt
		if err := s.setState(ctx, store.ReportUpdate{Status: domain.ReportSubmitted, By: submit.CompletedBy, Report: submit.Outcome.Report}); err != nil {
			return ReportResult{}, err
		}
		review, err := s.Board.openTask(ctx, domain.TaskSpec{
			ID: TaskID(in.ID, "review", s.Round), WorkflowID: in.ID, Kind: domain.KindReportReview, Title: "审核：" + title,
			SubjectType: "report", SubjectID: in.ID, CampaignID: in.CampaignID,
			UnitID: in.OfficeUnitID, Role: domain.RoleSafetyOffice, IssuerUnitID: in.UnitID,
			DueAt:   s.Board.now(ctx).Add(time.Duration(in.ReviewDays) * 24 * time.Hour),
			Context: domain.TaskContext{Round: s.Round},
		}, approver{})
		if err != nil {
			return ReportResult{}, err
		}
		if err := s.Board.wait(ctx, review); err != nil {
			return ReportResult{}, err
		}
		if review.Outcome.Decision == domain.DecisionAccept {
			if err := s.setState(ctx, store.ReportUpdate{Status: domain.ReportAccepted, By: review.CompletedBy}); err != nil {
				return ReportResult{}, err
			}
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return ReportResult{}, err
			}
			late := int64(0)
			if review.CompletedAt.After(s.Due) {
				late = int64(review.CompletedAt.Sub(s.Due) / time.Second)
			}
			return ReportResult{Status: domain.ReportAccepted, Rounds: s.Round, AcceptedAt: review.CompletedAt, LateSeconds: late}, nil
		}
		returnComment = review.Outcome.Comment
		if err := s.setState(ctx, store.ReportUpdate{Status: domain.ReportReturned, By: review.CompletedBy, Comment: returnComment}); err != nil {
			return ReportResult{}, err
		}
	}
}

func (s *report) setState(ctx workflow.Context, u store.ReportUpdate) error {
	u.ID, u.Round, u.At = s.In.ID, s.Round, s.Board.now(ctx)
	return workflow.ExecuteActivity(ctx, acts.SetReportState, u).Get(ctx, nil)
}

// ReportMonth starts every reporting unit's report for a month (abandoned on
// close, so they outlive it) and waits until all are accepted. A county's
// reports are its children; past activities.DefaultMaxChildReports (a province) they
// are started from an activity and counted from the database once a day.
func ReportMonth(ctx workflow.Context, in ReportMonthInput) (ReportMonthResult, error) {
	ctx = withActivityOptions(ctx)
	specsIn := activities.ReportSpecsInput{CampaignID: in.CampaignID, Period: in.Period}
	var specs []domain.ReportSpec
	// Version 1: plan first; too many reports for children are started by an activity.
	if workflow.GetVersion(ctx, "report-month-fan-out", workflow.DefaultVersion, 1) >= 1 {
		var plan activities.ReportPlan
		if err := workflow.ExecuteActivity(ctx, acts.PlanReports, specsIn).Get(ctx, &plan); err != nil {
			return ReportMonthResult{}, err
		}
		if plan.Specs == nil && plan.Total > 0 {
			return reportsFromActivity(ctx, specsIn, plan.Clock)
		}
		specs = plan.Specs
	} else if err := workflow.ExecuteActivity(ctx, acts.ReportSpecs, specsIn).Get(ctx, &specs); err != nil {
		return ReportMonthResult{}, err
	}
	ids := make([]string, len(specs))
	inputs := make([]any, len(specs))
	for i, spec := range specs {
		ids[i], inputs[i] = spec.ID, spec
	}
	results, _, err := runChildren[ReportResult](ctx, MonthlyReportWorkflow, ids, inputs)
	res := ReportMonthResult{Reports: len(results)}
	for _, r := range results {
		if r.LateSeconds > 0 {
			res.Late++
		}
	}
	return res, err
}

// reportsFromActivity starts a province's reports from an activity and counts
// them from the database once a campaign day until all are accepted.
func reportsFromActivity(ctx workflow.Context, in activities.ReportSpecsInput, clock *domain.Clock) (ReportMonthResult, error) {
	long := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Hour, HeartbeatTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute},
	})
	res, err := tallyUntilAccepted(ctx, long, in, clock)
	if err != nil && ctx.Err() != nil {
		// Cancelled: the reports are not this workflow's children, so cancel them here.
		dctx, _ := workflow.NewDisconnectedContext(long)
		_ = workflow.ExecuteActivity(dctx, acts.CancelReportProcesses, in).Get(dctx, nil)
	}
	return res, err
}

func tallyUntilAccepted(ctx, long workflow.Context, in activities.ReportSpecsInput, clock *domain.Clock) (ReportMonthResult, error) {
	var n int
	if err := workflow.ExecuteActivity(long, acts.StartReportProcesses, in).Get(ctx, &n); err != nil {
		return ReportMonthResult{}, err
	}
	for {
		var t activities.ReportTally
		if err := workflow.ExecuteActivity(ctx, acts.TallyReports, in).Get(ctx, &t); err != nil {
			return ReportMonthResult{}, err
		}
		if t.Reports >= n && t.Accepted >= t.Reports {
			return ReportMonthResult{Reports: t.Reports, Late: t.Late}, nil
		}
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			// A month kept open long by a unit that does not report: start afresh
			// (the reports already started are left as they are).
			return ReportMonthResult{}, workflow.NewContinueAsNewError(ctx, ReportMonthWorkflow, ReportMonthInput{CampaignID: in.CampaignID, Period: in.Period})
		}
		if err := workflow.Sleep(ctx, clock.Wall(24*time.Hour)); err != nil {
			return ReportMonthResult{}, err
		}
	}
}
