package activities

import (
	"context"
	"errors"

	"github.com/jmoiron/sqlx"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// DefaultMaxChildren is the most reports a month, or pledges an issuer,
// starts as its own children; above it they are started from an activity
// (Temporal caps pending children at 2,000 per workflow and a payload at 2 MB).
const DefaultMaxChildren = 500

func (a *Activities) maxChildren() int {
	if a.MaxChildren > 0 {
		return a.MaxChildren
	}
	return DefaultMaxChildren
}

// PlanReports counts the month's reports and, for a county, builds them.
func (a *Activities) PlanReports(ctx context.Context, in contract.ReportSpecsInput) (contract.ReportPlan, error) {
	c, units, err := a.reportingUnits(ctx, in)
	if err != nil {
		return contract.ReportPlan{}, err
	}
	plan := contract.ReportPlan{Total: len(units), Clock: c.Clock()}
	if len(units) > a.maxChildren() {
		return plan, nil
	}
	plan.Specs, err = a.reportSpecsOf(ctx, in, c, units)
	return plan, err
}

// StartReportProcesses starts every report of the month as its own process,
// sixteen at a time; one already started is left as it is, so a retry is safe.
func (a *Activities) StartReportProcesses(ctx context.Context, in contract.ReportSpecsInput) (int, error) {
	if a.Temporal == nil {
		return 0, errors.New("start report processes: the worker has no Temporal client")
	}
	specs, err := a.reportSpecs(ctx, in)
	if err != nil {
		return 0, err
	}
	err = a.startEach(ctx, contract.MonthlyReportWorkflow, len(specs), func(i int) (string, any) { return specs[i].ID, specs[i] })
	return len(specs), err
}

// startEach starts n processes of a type through the client, sixteen at a
// time, eagerly on this worker when it has room; one already started (an
// earlier attempt) is left as it is, so a retry is safe.
func (a *Activities) startEach(ctx context.Context, workflowType string, n int, process func(i int) (id string, input any)) error {
	queue := activity.GetInfo(ctx).TaskQueue
	return forEach(ctx, n, func(i int) error {
		id, input := process(i)
		_, err := a.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue,
			WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE, EnableEagerStart: true,
			TypedSearchAttributes: contract.SearchAttributesOf(workflowType, input)}, workflowType, input)
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		if errors.As(err, &started) {
			return nil
		}
		return err
	})
}

// CancelReportProcesses asks every report process of the month to cancel (its
// month was cancelled); one already closed is skipped.
func (a *Activities) CancelReportProcesses(ctx context.Context, in contract.ReportSpecsInput) error {
	if a.Temporal == nil {
		return errors.New("cancel report processes: the worker has no Temporal client")
	}
	ids, err := store.OpenReports(ctx, a.Store.DB, in.CampaignID, in.Period)
	if err != nil {
		return err
	}
	return a.cancelEach(ctx, ids)
}

// cancelEach asks each process to cancel, sixteen at a time; one already
// closed is skipped.
func (a *Activities) cancelEach(ctx context.Context, ids []string) error {
	return forEach(ctx, len(ids), func(i int) error {
		err := a.Temporal.CancelWorkflow(ctx, ids[i], "")
		var gone *serviceerror.NotFound
		if errors.As(err, &gone) {
			return nil
		}
		return err
	})
}

// TallyReports counts a month's reports from the database.
func (a *Activities) TallyReports(ctx context.Context, in contract.ReportSpecsInput) (contract.ReportTally, error) {
	t, err := store.TallyReports(ctx, a.Store.DB, in.CampaignID, in.Period)
	return contract.ReportTally{Reports: t.Reports, Accepted: t.Accepted, Late: t.Late}, err
}

// reportSpecs builds one report per reporting unit (departments, towns,
// enterprises), due by the campaign's report policy, reviewed by the safety office.
func (a *Activities) reportSpecs(ctx context.Context, in contract.ReportSpecsInput) ([]domain.ReportSpec, error) {
	c, units, err := a.reportingUnits(ctx, in)
	if err != nil {
		return nil, err
	}
	return a.reportSpecsOf(ctx, in, c, units)
}

// reportingUnits reads the campaign and its reporting units.
func (a *Activities) reportingUnits(ctx context.Context, in contract.ReportSpecsInput) (store.Campaign, []domain.Unit, error) {
	c, err := store.CampaignByID(ctx, a.Store.DB, in.CampaignID)
	if err != nil {
		return c, nil, err
	}
	units, err := store.ReportingUnits(ctx, a.Store.DB, c.ID)
	return c, units, err
}

// reportSpecsOf builds the month's reports of the campaign's units.
func (a *Activities) reportSpecsOf(ctx context.Context, in contract.ReportSpecsInput, c store.Campaign, units []domain.Unit) ([]domain.ReportSpec, error) {
	policy := c.FullPolicy().Report
	due, err := policy.ReportDeadline(in.Period, c.Location())
	if err != nil {
		return nil, err
	}
	office, err := store.SafetyOfficeUnit(ctx, a.Store.DB)
	if err != nil {
		return nil, err
	}
	specs := make([]domain.ReportSpec, 0, len(units))
	for _, u := range units {
		planTasks, err := store.OpenPlanTaskTitles(ctx, a.Store.DB, c.ID, u.ID)
		if err != nil {
			return nil, err
		}
		specs = append(specs, domain.ReportSpec{ID: domain.ReportWorkflowID(c.ID, u.Code, in.Period), CampaignID: c.ID, Period: in.Period,
			UnitID: u.ID, UnitCode: u.Code, UnitName: u.Name, OfficeUnitID: office, DueAt: due, Ladder: policy.Ladder, ReviewDays: policy.ReviewDays, Clock: c.Clock(),
			PlanTasks: planTasks})
	}
	return specs, nil
}

// RecordReport writes a due report and its audit row, once.
func (a *Activities) RecordReport(ctx context.Context, in contract.RecordReportInput) error {
	spec, at := in.Spec, in.At
	return a.inTx(ctx, func(tx *sqlx.Tx) error {
		inserted, err := store.InsertReport(ctx, tx, spec, at)
		if err != nil || !inserted {
			return err
		}
		_, err = store.Append(ctx, tx, store.Event{Key: "report.due:" + spec.ID, At: at, Actor: store.ActorEngine, Action: "report.due",
			SubjectType: "report", SubjectID: spec.ID, UnitID: spec.UnitID, After: map[string]any{"period": spec.Period, "due_at": spec.DueAt}})
		return err
	})
}
