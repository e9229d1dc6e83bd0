package activities

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// RecordPolicyDocument writes a policy document's version and its units, with
// its audit row, if the API's transaction did not (a crash between the start
// of the process and the commit): every process has its row. Idempotent on the id.
func (a *Activities) RecordPolicyDocument(ctx context.Context, spec domain.PolicyDocumentSpec) error {
	taskIDs := make([]string, len(spec.Units))
	for i, u := range spec.Units {
		taskIDs[i] = contract.DocumentAckTaskID(spec.ID, u.UnitID)
	}
	return a.inTx(ctx, func(tx *sqlx.Tx) error {
		inserted, err := store.InsertPolicyDocument(ctx, tx, spec, taskIDs)
		if err != nil || !inserted {
			return err
		}
		return AppendDocumentIssued(ctx, tx, spec)
	})
}

// AppendDocumentIssued writes a version's audit row (once, by its key): the API and RecordPolicyDocument share it.
func AppendDocumentIssued(ctx context.Context, tx sqlx.ExtContext, spec domain.PolicyDocumentSpec) error {
	codes := make([]string, len(spec.Units))
	for i, u := range spec.Units {
		codes[i] = u.Code
	}
	_, err := store.Append(ctx, tx, store.Event{Key: fmt.Sprintf("policy-document.issued:%d", spec.ID), At: spec.CreatedAt, Actor: spec.IssuedBy,
		Action: "policy-document.issued", SubjectType: domain.SubjectPolicyDocument, SubjectID: fmt.Sprint(spec.ID), UnitID: spec.IssuerUnitID,
		After: map[string]any{"title": spec.Title, "number": spec.Number, "version": spec.Version, "series_id": spec.SeriesID,
			"due_at": spec.DueAt, "units": codes, "supersedes": spec.Supersedes}})
	return err
}

// DocumentAcknowledged records one unit's acknowledgement with its audit row
// and, for the last unit's, the version as acknowledged by all; once each.
func (a *Activities) DocumentAcknowledged(ctx context.Context, in contract.DocumentAcknowledgedInput) error {
	return a.inTx(ctx, func(tx *sqlx.Tx) error {
		recorded, err := store.RecordDocumentAck(ctx, tx, in.DocumentID, in.UnitID, in.By, in.At, in.Comment)
		if err != nil {
			return err
		}
		if recorded {
			if _, err := store.Append(ctx, tx, store.Event{Key: fmt.Sprintf("policy-document.acknowledged:%d:%d", in.DocumentID, in.UnitID), At: in.At,
				Actor: in.By, Action: "policy-document.acknowledged", SubjectType: domain.SubjectPolicyDocument, SubjectID: fmt.Sprint(in.DocumentID),
				TaskID: in.TaskID, UnitID: in.UnitID, After: map[string]any{"comment": in.Comment}}); err != nil {
				return err
			}
		}
		if !in.All {
			return nil
		}
		_, err = store.MarkDocumentAcknowledged(ctx, tx, in.DocumentID, in.At)
		return err
	})
}
