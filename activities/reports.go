package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// ReportSpecsInput asks for the month's reports of a campaign.
type ReportSpecsInput struct {
	CampaignID string `json:"campaign_id"`
	Period     string `json:"period"`
}

// ReportSpecs builds one report per reporting unit (departments, towns,
// enterprises), due by the campaign's report policy, reviewed by the safety office.
func (a *Activities) ReportSpecs(ctx context.Context, in ReportSpecsInput) ([]domain.ReportSpec, error) {
	c, err := store.CampaignByID(ctx, a.Store.DB, in.CampaignID)
	if err != nil {
		return nil, err
	}
	policy := c.FullPolicy().Report
	due, err := policy.ReportDeadline(in.Period, c.Location())
	if err != nil {
		return nil, err
	}
	office, err := store.SafetyOfficeUnit(ctx, a.Store.DB)
	if err != nil {
		return nil, err
	}
	units, err := store.ReportingUnits(ctx, a.Store.DB, c.ID)
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
			UnitID: u.ID, UnitCode: u.Code, UnitName: u.Name, OfficeUnitID: office, DueAt: due, Ladder: policy.Ladder, ReviewDays: 5, Clock: c.Clock(),
			PlanTasks: planTasks})
	}
	return specs, nil
}

// RecordReport writes a due report and its audit row, once.
func (a *Activities) RecordReport(ctx context.Context, spec domain.ReportSpec, at time.Time) error {
	return a.Store.InTx(ctx, func(tx *sqlx.Tx) error {
		inserted, err := store.InsertReport(ctx, tx, spec, at)
		if err != nil || !inserted {
			return err
		}
		_, err = store.Append(ctx, tx, store.Event{Key: "report.due:" + spec.ID, At: at, Actor: store.ActorEngine, Action: "report.due",
			SubjectType: "report", SubjectID: spec.ID, UnitID: spec.UnitID, After: map[string]any{"period": spec.Period, "due_at": spec.DueAt}})
		return err
	})
}

// SetReportState records a step of a report with its audit row, once per round and status.
func (a *Activities) SetReportState(ctx context.Context, u store.ReportUpdate) error {
	key := fmt.Sprintf("report.%s:%s:%d", u.Status, u.ID, u.Round)
	return a.recordOnce(ctx, key, func(tx *sqlx.Tx) error {
		before, after, err := store.UpdateReport(ctx, tx, u)
		if err != nil {
			return err
		}
		_, err = store.Append(ctx, tx, store.Event{Key: key, At: u.At, Actor: u.By, Action: "report." + u.Status,
			SubjectType: "report", SubjectID: u.ID, UnitID: after.UnitID,
			Before: map[string]any{"status": before.Status}, After: map[string]any{"status": after.Status, "round": u.Round, "comment": u.Comment, "late_seconds": after.LateSeconds}})
		return err
	})
}
