package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/temporal"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// RecordLoan writes a loan and its items with the audit row, if the API's
// transaction did not (a crash between the start and the commit). Idempotent on the id.
func (a *Activities) RecordLoan(ctx context.Context, spec domain.LoanSpec) error {
	return a.inTx(ctx, func(tx *sqlx.Tx) error {
		inserted, err := store.InsertLoan(ctx, tx, spec)
		if err != nil || !inserted {
			return err
		}
		return AppendLoanRequested(ctx, tx, spec)
	})
}

// AppendLoanRequested writes a loan's audit row (once, by its key): the API and RecordLoan share it.
func AppendLoanRequested(ctx context.Context, tx sqlx.ExtContext, spec domain.LoanSpec) error {
	_, err := store.Append(ctx, tx, store.Event{Key: fmt.Sprintf("material-loan.requested:%d", spec.ID), At: spec.CreatedAt, Actor: spec.RequestedBy,
		Action: "material-loan.requested", SubjectType: domain.SubjectMaterialLoan, SubjectID: fmt.Sprint(spec.ID), UnitID: spec.RequesterUnitID,
		After: map[string]any{"owner": spec.OwnerCode, "requester": spec.RequesterCode, "purpose": spec.Purpose, "reason": spec.Reason, "items": spec.Items}})
	return err
}

// LoanStep records a loan's approval or refusal, with its audit row, once.
func (a *Activities) LoanStep(ctx context.Context, in contract.LoanStepInput) error {
	return a.inTx(ctx, func(tx *sqlx.Tx) error {
		from := domain.LoanRequested // approved or refused
		if in.Status == domain.LoanUnsupplied {
			from = domain.LoanApproved // the hand-over could not be made
		}
		moved, err := store.SetLoanStatus(ctx, tx, in.LoanID, in.Status, in.At, from)
		if err != nil || !moved {
			return err
		}
		l, err := store.LoanByID(ctx, tx, in.LoanID)
		if err != nil {
			return err
		}
		_, err = store.Append(ctx, tx, store.Event{Key: fmt.Sprintf("material-loan.%s:%d", in.Status, in.LoanID), At: in.At, Actor: in.By,
			Action: "material-loan." + in.Status.String(), SubjectType: domain.SubjectMaterialLoan, SubjectID: fmt.Sprint(in.LoanID), TaskID: in.TaskID,
			UnitID: l.OwnerUnitID, Before: map[string]any{"status": from}, After: map[string]any{"status": in.Status, "comment": in.Comment}})
		return err
	})
}

// MoveLoanMaterials hands a loan's items over (owner's stock −, lent +) or
// takes them back, in one transaction with the loan's status and audit row,
// once. A hand-over of more than the owner holds moves nothing and fails
// without retrying (ErrInsufficientStock, each short item named as
// items[i].quantity in the details). It answers the stock alerts the
// movement opened (an owner left below its minimum).
func (a *Activities) MoveLoanMaterials(ctx context.Context, in contract.MoveInput) (contract.MoveResult, error) {
	var res contract.MoveResult
	err := a.inTx(ctx, func(tx *sqlx.Tx) error {
		res = contract.MoveResult{}
		from, to := domain.LoanApproved, domain.LoanHandedOver
		if in.Step == contract.MoveReturn {
			from, to = domain.LoanHandedOver, domain.LoanReturned
		}
		moved, err := store.SetLoanStatus(ctx, tx, in.LoanID, to, in.At, from)
		if err != nil || !moved {
			return err // moved before: a retry
		}
		ok, short, items, err := store.MoveLoanItems(ctx, tx, in.LoanID, in.Step, in.By, in.At)
		if err != nil {
			return err
		}
		if len(short) > 0 {
			v := &domain.ValidationError{}
			for _, s := range short {
				v.Add(fmt.Sprintf("items[%d].quantity", s.Position), fmt.Sprintf("库存不足：%s现有%d，借用%d", s.Name, s.Have, s.Want))
			}
			return temporal.NewNonRetryableApplicationError(v.Error(), contract.ErrInsufficientStock, nil, v.Fields)
		}
		if !ok {
			return nil
		}
		if in.Step == contract.MoveReturn && in.How != "" {
			if err := store.SetLoanReturnHow(ctx, tx, in.LoanID, in.How); err != nil {
				return err
			}
		}
		l, err := store.LoanByID(ctx, tx, in.LoanID)
		if err != nil {
			return err
		}
		list, err := store.LoanItems(ctx, tx, in.LoanID)
		if err != nil {
			return err
		}
		if _, err := store.Append(ctx, tx, store.Event{Key: fmt.Sprintf("material-loan.%s:%d", to, in.LoanID), At: in.At, Actor: in.By,
			Action: "material-loan." + to.String(), SubjectType: domain.SubjectMaterialLoan, SubjectID: fmt.Sprint(in.LoanID), TaskID: in.TaskID,
			UnitID: l.OwnerUnitID, Before: map[string]any{"status": from},
			After: map[string]any{"status": to, "items": list, "how": in.How, "note": in.Note}}); err != nil {
			return err
		}
		if in.Step != contract.MoveHandover {
			return nil
		}
		bureau, err := store.SafetyOfficeUnit(ctx, tx)
		if err != nil {
			return err
		}
		res.Alerts, err = store.OpenAlerts(ctx, tx, items, bureau, in.At)
		return err
	})
	return res, err
}

// AlertCheck says whether an alert is open and its condition still holds.
func (a *Activities) AlertCheck(ctx context.Context, in contract.AlertStepInput) (contract.AlertCheck, error) {
	exists, holds, detail, err := store.CheckAlert(ctx, a.Store.DB, in.ID, in.At)
	return contract.AlertCheck{Exists: exists, Holds: holds, Detail: detail}, err
}

// CloseAlert closes an alert whose condition is cleared, with its audit row, once.
func (a *Activities) CloseAlert(ctx context.Context, in contract.AlertStepInput) error {
	return a.inTx(ctx, func(tx *sqlx.Tx) error {
		closed, err := store.CloseAlert(ctx, tx, in.ID, in.At)
		if err != nil || !closed {
			return err
		}
		_, err = store.Append(ctx, tx, store.Event{Key: fmt.Sprintf("material-alert.closed:%d", in.ID), At: in.At, Actor: in.By,
			Action: "material-alert.closed", SubjectType: domain.SubjectMaterialAlert, SubjectID: fmt.Sprint(in.ID)})
		return err
	})
}

// SweepMaterials opens an alert for every item below its minimum or past its
// expiry date at at that has none open, and answers the new ones (their
// processes to start). Idempotent: a second sweep opens nothing more.
func (a *Activities) SweepMaterials(ctx context.Context, at time.Time) ([]domain.AlertSpec, error) {
	var out []domain.AlertSpec
	err := a.inTx(ctx, func(tx *sqlx.Tx) error {
		bureau, err := store.SafetyOfficeUnit(ctx, tx)
		if err != nil {
			return err
		}
		out, err = store.OpenAlerts(ctx, tx, nil, bureau, at)
		return err
	})
	return out, err
}
