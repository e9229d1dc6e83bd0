package activities

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/store"
)

// RecordAssignment writes the assignment as created, with its audit row and
// its assigner's request key (idempotent on its id): a crash of the API after
// the process started, before its own transaction committed, leaves the row.
func (a *Activities) RecordAssignment(ctx context.Context, in contract.AssignmentRecord) error {
	ladder, err := json.Marshal(in.Ladder)
	if err != nil {
		return err
	}
	row := store.Assignment{ID: in.ID, Title: in.Title, Content: in.Content, DueAt: in.DueAt, IssuerUnitID: in.IssuerUnitID,
		AssignerID: in.AssignerID, AssigneeUnitID: in.AssigneeUnitID, ReviewerUnitID: in.ReviewerUnitID,
		ReviewerRole: in.ReviewerRole.String(), Ladder: ladder, CreatedAt: in.CreatedAt}
	if in.IdempotencyKey != "" {
		row.IdempotencyKey = &in.IdempotencyKey
	}
	return a.inTx(ctx, func(tx *sqlx.Tx) error {
		inserted, err := store.UpsertAssignment(ctx, tx, row)
		if err != nil || !inserted {
			return err
		}
		_, err = store.Append(ctx, tx, store.Event{Key: fmt.Sprintf("assignment.created:%d", in.ID), At: in.CreatedAt, Actor: in.AssignerKey,
			Action: "assignment.created", SubjectType: "assignment", SubjectID: fmt.Sprint(in.ID), UnitID: in.AssigneeUnitID,
			After: map[string]any{"title": in.Title, "due_at": in.DueAt, "assignee_unit_id": in.AssigneeUnitID}})
		return err
	})
}
