package workflows

import (
	"fmt"
	"github.com/zeren-county/zeren/contract"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/internal/domain"
)

// report is the state of one monthly report.
type report struct {
	In contract.ReportInput
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
func MonthlyReport(ctx workflow.Context, in contract.ReportInput) (contract.ReportResult, error) {
	s := &report{In: in, Due: in.DueAt, Board: board{Clock: in.Clock}, Ladder: newLadder(in.ID, in.Ladder)}
	res, err := s.run(withActivityOptions(ctx))
	return res, s.Board.settle(ctx, err)
}

func (s *report) run(ctx workflow.Context) (contract.ReportResult, error) {
	in := s.In
	if err := s.Board.install(ctx); err != nil {
		return contract.ReportResult{}, err
	}
	if err := workflow.ExecuteActivity(ctx, contract.ActRecordReport, contract.RecordReportInput{Spec: in, At: s.Board.now(ctx)}).Get(ctx, nil); err != nil {
		return contract.ReportResult{}, err
	}
	title := fmt.Sprintf("报送%s三年行动工作进展（%s）", in.UnitName, in.Period)
	// A report's lateness counts in the year of its period (December's, late in January, in December's year).
	year, _ := strconv.Atoi(strings.SplitN(in.Period, "-", 2)[0])
	target := rungTarget{Title: title, SubjectType: "report", SubjectID: in.ID, CampaignID: in.CampaignID, UnitID: in.UnitID, IssuerUnitID: in.OfficeUnitID, Year: year}
	returnComment := ""
	for s.Round = 1; ; s.Round++ {
		submit, err := s.Board.escalated(ctx, domain.TaskSpec{
			ID: contract.TaskID(in.ID, "submit", s.Round), WorkflowID: in.ID, Kind: domain.KindReportSubmit, Title: title,
			SubjectType: "report", SubjectID: in.ID, CampaignID: in.CampaignID,
			UnitID: in.UnitID, Role: domain.RoleUnitHead, IssuerUnitID: in.OfficeUnitID, DueAt: s.Due,
			Context: domain.TaskContext{Round: s.Round, ReturnComment: returnComment, PlanTasks: in.PlanTasks},
		}, approver{UnitID: in.OfficeUnitID, Role: domain.RoleSafetyOffice}, &s.Ladder, target)
		if err != nil {
			return contract.ReportResult{}, err
		}
		s.Due = submit.Spec.DueAt
		if err := s.setState(ctx, contract.ReportStep{Status: domain.ReportSubmitted, By: submit.CompletedBy, Report: submit.Outcome.Report}); err != nil {
			return contract.ReportResult{}, err
		}
		review, err := s.Board.openTask(ctx, domain.TaskSpec{
			ID: contract.TaskID(in.ID, "review", s.Round), WorkflowID: in.ID, Kind: domain.KindReportReview, Title: "审核：" + title,
			SubjectType: "report", SubjectID: in.ID, CampaignID: in.CampaignID,
			UnitID: in.OfficeUnitID, Role: domain.RoleSafetyOffice, IssuerUnitID: in.UnitID,
			DueAt:   s.Board.now(ctx).Add(time.Duration(in.ReviewDays) * 24 * time.Hour),
			Context: domain.TaskContext{Round: s.Round},
		}, approver{})
		if err != nil {
			return contract.ReportResult{}, err
		}
		if err := s.Board.wait(ctx, review); err != nil {
			return contract.ReportResult{}, err
		}
		if review.Outcome.Decision == domain.DecisionAccept {
			if err := s.setState(ctx, contract.ReportStep{Status: domain.ReportAccepted, By: review.CompletedBy}); err != nil {
				return contract.ReportResult{}, err
			}
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return contract.ReportResult{}, err
			}
			late := int64(0)
			if review.CompletedAt.After(s.Due) {
				late = int64(review.CompletedAt.Sub(s.Due) / time.Second)
			}
			return contract.ReportResult{Status: domain.ReportAccepted, Rounds: s.Round, AcceptedAt: review.CompletedAt, LateSeconds: late}, nil
		}
		returnComment = review.Outcome.Comment
		if err := s.setState(ctx, contract.ReportStep{Status: domain.ReportReturned, By: review.CompletedBy, Comment: returnComment}); err != nil {
			return contract.ReportResult{}, err
		}
	}
}

func (s *report) setState(ctx workflow.Context, u contract.ReportStep) error {
	u.ID, u.Round, u.At = s.In.ID, s.Round, s.Board.now(ctx)
	return workflow.ExecuteActivity(ctx, contract.ActSetReportState, u).Get(ctx, nil)
}

// ReportMonth starts every reporting unit's report for a month (abandoned on
// close, so they outlive it) and waits until all are accepted. A county's
// reports are its children; past contract.DefaultMaxChildReports (a province) they
// are started from an activity and counted from the database once a day.
func ReportMonth(ctx workflow.Context, in contract.ReportMonthInput) (contract.ReportMonthResult, error) {
	ctx = withActivityOptions(ctx)
	specsIn := contract.ReportSpecsInput{CampaignID: in.CampaignID, Period: in.Period}
	var specs []domain.ReportSpec
	// Version 1: plan first; too many reports for children are started by an activity.
	if workflow.GetVersion(ctx, "report-month-fan-out", workflow.DefaultVersion, 1) >= 1 {
		var plan contract.ReportPlan
		if err := workflow.ExecuteActivity(ctx, contract.ActPlanReports, specsIn).Get(ctx, &plan); err != nil {
			return contract.ReportMonthResult{}, err
		}
		if plan.Specs == nil && plan.Total > 0 {
			return reportsFromActivity(ctx, specsIn, plan.Clock)
		}
		specs = plan.Specs
	} else if err := workflow.ExecuteActivity(ctx, contract.ActReportSpecs, specsIn).Get(ctx, &specs); err != nil {
		return contract.ReportMonthResult{}, err
	}
	ids := make([]string, len(specs))
	inputs := make([]any, len(specs))
	for i, spec := range specs {
		ids[i], inputs[i] = spec.ID, spec
	}
	results, _, err := runChildren[contract.ReportResult](ctx, contract.MonthlyReportWorkflow, ids, inputs)
	res := contract.ReportMonthResult{Reports: len(results)}
	for _, r := range results {
		if r.LateSeconds > 0 {
			res.Late++
		}
	}
	return res, err
}

// reportsFromActivity starts a province's reports from an activity and counts
// them from the database once a campaign day until all are accepted.
func reportsFromActivity(ctx workflow.Context, in contract.ReportSpecsInput, clock *domain.Clock) (contract.ReportMonthResult, error) {
	long := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Hour, HeartbeatTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute},
	})
	res, err := tallyUntilAccepted(ctx, long, in, clock)
	if err != nil && ctx.Err() != nil {
		// Cancelled: the reports are not this workflow's children, so cancel them here.
		dctx, _ := workflow.NewDisconnectedContext(long)
		_ = workflow.ExecuteActivity(dctx, contract.ActCancelReportProcesses, in).Get(dctx, nil)
	}
	return res, err
}

func tallyUntilAccepted(ctx, long workflow.Context, in contract.ReportSpecsInput, clock *domain.Clock) (contract.ReportMonthResult, error) {
	var n int
	if err := workflow.ExecuteActivity(long, contract.ActStartReportProcesses, in).Get(ctx, &n); err != nil {
		return contract.ReportMonthResult{}, err
	}
	for {
		var t contract.ReportTally
		if err := workflow.ExecuteActivity(ctx, contract.ActTallyReports, in).Get(ctx, &t); err != nil {
			return contract.ReportMonthResult{}, err
		}
		if t.Reports >= n && t.Accepted >= t.Reports {
			return contract.ReportMonthResult{Reports: t.Reports, Late: t.Late}, nil
		}
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			// A month kept open long by a unit that does not report: start afresh
			// (the reports already started are left as they are).
			return contract.ReportMonthResult{}, workflow.NewContinueAsNewError(ctx, contract.ReportMonthWorkflow, contract.ReportMonthInput{CampaignID: in.CampaignID, Period: in.Period})
		}
		if err := workflow.Sleep(ctx, clock.Wall(24*time.Hour)); err != nil {
			return contract.ReportMonthResult{}, err
		}
	}
}
