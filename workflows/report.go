package workflows

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
)

// report is the state of one monthly report.
type report struct {
	In     contract.ReportInput
	Board  board
	Ladder ladder
}

// MonthlyReport runs one unit's report for a month: the unit's head submits it
// by the deadline while the lateness ladder runs; the safety office accepts it
// or returns it with a comment, and the unit revises and resubmits under the
// original deadline. A report accepted after its deadline is recorded as late.
func MonthlyReport(ctx workflow.Context, in contract.ReportInput) (contract.ReportResult, error) {
	s := &report{In: in, Board: board{Clock: in.Clock}, Ladder: newLadder(in.ID, in.Ladder)}
	res, err := s.run(withActivityOptions(ctx))
	return res, s.Board.settle(ctx, err)
}

func (s *report) run(ctx workflow.Context) (contract.ReportResult, error) {
	in := s.In
	if err := s.Board.install(ctx); err != nil {
		return contract.ReportResult{}, err
	}
	if err := dbStep(ctx, localStep, contract.ActRecordReport, contract.RecordReportInput{Spec: in, At: s.Board.now(ctx)}, nil); err != nil {
		return contract.ReportResult{}, err
	}
	title := fmt.Sprintf("报送%s三年行动工作进展（%s）", in.UnitName, in.Period)
	task := func(kind domain.TaskKind, step string, round int) domain.TaskSpec {
		return domain.TaskSpec{ID: contract.TaskID(in.ID, step, round), WorkflowID: in.ID, Kind: kind, Title: title,
			SubjectType: domain.SubjectReport, SubjectID: in.ID, CampaignID: in.CampaignID}
	}
	// A report's lateness counts in the year of its period (December's, late in January, in December's year).
	year, _ := strconv.Atoi(strings.SplitN(in.Period, "-", 2)[0])
	loop := &reviewLoop{
		Subject: domain.SubjectReport, ID: in.ID, Due: in.DueAt,
		Submit: func(round int, returned string, due time.Time) domain.TaskSpec {
			t := task(domain.KindReportSubmit, "submit", round)
			t.UnitID, t.Role, t.IssuerUnitID, t.DueAt = in.UnitID, domain.RoleUnitHead, in.OfficeUnitID, due
			t.Context = domain.TaskContext{Round: round, ReturnComment: returned, PlanTasks: in.PlanTasks}
			return t
		},
		Approver: approver{UnitID: in.OfficeUnitID, Role: domain.RoleSafetyOffice},
		Ladder:   &s.Ladder,
		Target: rungTarget{Title: title, SubjectType: domain.SubjectReport, SubjectID: in.ID, CampaignID: in.CampaignID,
			UnitID: in.UnitID, IssuerUnitID: in.OfficeUnitID, Year: year},
		Review: func(round int, _ *humanTask) domain.TaskSpec {
			t := task(domain.KindReportReview, "review", round)
			t.Title = "审核：" + title
			t.UnitID, t.Role, t.IssuerUnitID = in.OfficeUnitID, domain.RoleSafetyOffice, in.UnitID
			t.DueAt = s.Board.now(ctx).Add(time.Duration(in.ReviewDays) * 24 * time.Hour)
			t.Context = domain.TaskContext{Round: round}
			return t
		},
		Positive: domain.DecisionAccept, Submitted: domain.ReportSubmitted, Done: domain.ReportAccepted,
	}
	_, review, round, err := s.Board.reviewed(ctx, loop)
	if err != nil {
		return contract.ReportResult{}, err
	}
	if err := finish(ctx); err != nil {
		return contract.ReportResult{}, err
	}
	late := int64(0)
	if review.CompletedAt.After(loop.Due) {
		late = int64(review.CompletedAt.Sub(loop.Due) / time.Second)
	}
	return contract.ReportResult{Status: domain.ReportAccepted, Rounds: round, AcceptedAt: review.CompletedAt, LateSeconds: late}, nil
}

// ReportMonth starts every reporting unit's report for a month (abandoned on
// close, so they outlive it) and waits until all are accepted. A county's
// reports are its children; past the activities' limit of children (a
// province) they are started from an activity and counted from the database
// once a day.
func ReportMonth(ctx workflow.Context, in contract.ReportMonthInput) (contract.ReportMonthResult, error) {
	ctx = withActivityOptions(ctx)
	specsIn := contract.ReportSpecsInput{CampaignID: in.CampaignID, Period: in.Period}
	var plan contract.ReportPlan
	if err := workflow.ExecuteActivity(ctx, contract.ActPlanReports, specsIn).Get(ctx, &plan); err != nil {
		return contract.ReportMonthResult{}, err
	}
	if plan.Specs == nil && plan.Total > 0 {
		return reportsFromActivity(ctx, specsIn, plan.Clock)
	}
	specs := plan.Specs
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

// startingOptions are those of an activity that starts thousands of
// processes through the client, heartbeating as it goes.
var startingOptions = workflow.ActivityOptions{
	StartToCloseTimeout: time.Hour, HeartbeatTimeout: time.Minute,
	RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute},
}

// reportsFromActivity starts a province's reports from an activity and counts
// them from the database once a campaign day until all are accepted.
func reportsFromActivity(ctx workflow.Context, in contract.ReportSpecsInput, clock *domain.Clock) (contract.ReportMonthResult, error) {
	long := workflow.WithActivityOptions(ctx, startingOptions)
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
