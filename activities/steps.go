package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/temporal"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// RecordStep records a step of a subject under review — an assigned matter, a
// report, a pledge, an interview — as the task that made it answered, with
// its audit row, once per subject, status and round: the one state activity
// of the review loop.
func (a *Activities) RecordStep(ctx context.Context, step contract.Step) error {
	key := fmt.Sprintf("%s.%s:%s:%d", step.Subject, step.Status, step.ID, step.Round)
	return a.recordOnce(ctx, key, func(tx *sqlx.Tx) error {
		before, after, unitID, err := applyStep(ctx, tx, step)
		if err != nil {
			return err
		}
		_, err = store.Append(ctx, tx, store.Event{Key: key, At: step.At, Actor: step.By, Action: step.Subject + "." + step.Status.String(),
			SubjectType: step.Subject, SubjectID: step.ID, UnitID: unitID,
			Before: map[string]any{"status": before}, After: map[string]any{"status": after, "round": step.Round, "comment": step.Outcome.Comment}})
		return err
	})
}

// applyStep writes the step on its subject's row and answers the status
// before and after it and the subject's unit.
func applyStep(ctx context.Context, tx *sqlx.Tx, step contract.Step) (before, after domain.Status, unitID int64, err error) {
	o := step.Outcome
	switch step.Subject {
	case domain.SubjectAssignment:
		id, err := strconv.ParseInt(step.ID, 10, 64)
		if err != nil {
			return before, after, 0, fmt.Errorf("assignment step: id %q: %w", step.ID, err)
		}
		var result *string
		var attachments json.RawMessage
		if step.Status == domain.StatusSubmitted {
			result = &o.Result
			// A submission replaces the last one's attachments: none is [], not null.
			list := o.Attachments
			if list == nil {
				list = []domain.Attachment{}
			}
			if attachments, err = json.Marshal(list); err != nil {
				return before, after, 0, err
			}
		}
		b, a, err := store.SetAssignmentState(ctx, tx, id, step.Status, result, attachments, step.At)
		return b.Status, a.Status, a.AssigneeUnitID, err
	case domain.SubjectReport:
		b, a, err := store.UpdateReport(ctx, tx, store.ReportUpdate{ID: step.ID, Status: step.Status, Round: step.Round, By: step.By, At: step.At,
			Report: o.Report, Comment: o.Comment})
		return b.Status, a.Status, a.UnitID, err
	case domain.SubjectPledge:
		b, a, err := store.UpdatePledge(ctx, tx, store.PledgeUpdate{ID: step.ID, Status: step.Status, Round: step.Round, By: step.By, At: step.At,
			Proposal: o.Targets, Comment: o.Comment})
		return b.Status, a.Status, a.SignerUnitID, err
	case domain.SubjectInterview:
		id, err := strconv.ParseInt(step.ID, 10, 64)
		if err != nil {
			return before, after, 0, fmt.Errorf("interview step: id %q: %w", step.ID, err)
		}
		b, a, err := store.UpdateInterview(ctx, tx, store.InterviewUpdate{ID: id, Status: step.Status, Step: o.InterviewCompletion, Result: o.Result, Comment: o.Comment, At: step.At})
		return b.Status, a.Status, a.UnitID, err
	case domain.SubjectHazard:
		id, err := strconv.ParseInt(step.ID, 10, 64)
		if err != nil {
			return before, after, 0, fmt.Errorf("hazard step: id %q: %w", step.ID, err)
		}
		var rectification *string
		if step.Status == domain.HazardSubmitted {
			rectification = &o.Result
		}
		b, a, err := store.SetHazardState(ctx, tx, id, step.Status, o.Plan, rectification, nil, step.At)
		return b.Status, a.Status, a.UnitID, err
	case domain.SubjectStopOrder:
		id, err := strconv.ParseInt(step.ID, 10, 64)
		if err != nil {
			return before, after, 0, fmt.Errorf("stop order step: id %q: %w", step.ID, err)
		}
		b, a, err := store.SetStopState(ctx, tx, id, step.Status, step.At)
		return b.Status, a.Status, a.UnitID, err
	case domain.SubjectCase:
		id, err := strconv.ParseInt(step.ID, 10, 64)
		if err != nil {
			return before, after, 0, fmt.Errorf("case step: id %q: %w", step.ID, err)
		}
		b, a, err := store.SetCaseStep(ctx, tx, id, step.Status, o.Decision, o.Fine, o.Number, step.At)
		return b.Step, a.Step, a.UnitID, err
	}
	return before, after, 0, temporal.NewNonRetryableApplicationError(fmt.Sprintf("a step of an unknown subject %q", step.Subject), contract.ErrDataRejected, nil)
}
