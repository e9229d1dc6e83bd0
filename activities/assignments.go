package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// RecordAssignment writes the assignment as created (idempotent on its id).
func (a *Activities) RecordAssignment(ctx context.Context, as store.Assignment, by string) error {
	return a.inTx(ctx, func(tx *sqlx.Tx) error {
		inserted, err := store.UpsertAssignment(ctx, tx, as)
		if err != nil || !inserted {
			return err
		}
		_, err = store.Append(ctx, tx, store.Event{Key: fmt.Sprintf("assignment.created:%d", as.ID), At: as.CreatedAt, Actor: by,
			Action: "assignment.created", SubjectType: "assignment", SubjectID: fmt.Sprint(as.ID), UnitID: as.AssigneeUnitID,
			After: map[string]any{"title": as.Title, "due_at": as.DueAt, "assignee_unit_id": as.AssigneeUnitID}})
		return err
	})
}

// AssignmentStateInput moves an assignment to a new status.
type AssignmentStateInput struct {
	ID        int64             `json:"id"`
	Round     int               `json:"round"`
	Status    string            `json:"status"`
	Outcome   domain.Completion `json:"outcome"`
	PersonKey string            `json:"person_key"`
	At        time.Time         `json:"at"`
}

// SetAssignmentState records submitted / returned / approved, with its audit row, once per round and status.
func (a *Activities) SetAssignmentState(ctx context.Context, in AssignmentStateInput) error {
	key := fmt.Sprintf("assignment.%s:%d:%d", in.Status, in.ID, in.Round)
	return a.inTx(ctx, func(tx *sqlx.Tx) error {
		var result *string
		var attachments json.RawMessage
		if in.Status == "submitted" {
			result = &in.Outcome.Result
			b, err := json.Marshal(in.Outcome.Attachments)
			if err != nil {
				return err
			}
			attachments = b
		}
		before, after, err := store.SetAssignmentState(ctx, tx, in.ID, in.Status, result, attachments, in.At)
		if err != nil {
			return err
		}
		_, err = store.Append(ctx, tx, store.Event{Key: key, At: in.At, Actor: in.PersonKey, Action: "assignment." + in.Status,
			SubjectType: "assignment", SubjectID: fmt.Sprint(in.ID), UnitID: after.AssigneeUnitID,
			Before: map[string]any{"status": before.Status}, After: map[string]any{"status": after.Status, "round": in.Round, "comment": in.Outcome.Comment}})
		return err
	})
}
