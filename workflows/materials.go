package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
)

// materialLoan is the state of one loan of rescue materials.
type materialLoan struct {
	In     contract.LoanInput
	ID     string
	Board  board
	Ladder ladder // the owner's approval and hand-over
	Back   ladder // the borrower's return
	// Alerts are the stock alerts the hand-over opened, to start.
	Alerts []domain.AlertSpec
}

// MaterialLoan runs a loan of rescue materials (救援物资共享): the owning
// mine's head approves or refuses by a short deadline (hours for an
// emergency, days for a drill), the mine hands the materials over — the
// completion of that task moves the stock, or is refused when the stock is
// no longer there — and the borrower returns or replaces them by the return
// deadline, which moves them back. A ladder presses each late step: the
// emergency bureau's letter and notice come within hours for an emergency.
func MaterialLoan(ctx workflow.Context, in contract.LoanInput) (contract.LoanResult, error) {
	id := contract.LoanID(in.ID)
	s := &materialLoan{In: in, ID: id, Board: board{Clock: in.Clock, CancelReason: "借用流程已取消"},
		Ladder: newLadder(id, domain.LoanLadder(in.Purpose)), Back: newLadder(id+"/return", domain.ReturnLadder())}
	s.Board.beforeComplete = s.move
	res, err := s.run(withActivityOptions(ctx))
	return res, s.Board.settle(ctx, err)
}

func (s *materialLoan) run(ctx workflow.Context) (contract.LoanResult, error) {
	in := s.In
	if err := s.Board.install(ctx); err != nil {
		return contract.LoanResult{}, err
	}
	if err := dbStep(ctx, localStep, contract.ActRecordLoan, in, nil); err != nil {
		return contract.LoanResult{}, err
	}
	title := domain.LoanTitle(in)
	subject := fmt.Sprint(in.ID)
	content := domain.LoanContent(in)
	task := func(kind domain.TaskKind, step, prefix string, unit, issuer int64, due time.Time) domain.TaskSpec {
		return domain.TaskSpec{ID: contract.TaskID(s.ID, step, 1), WorkflowID: s.ID, Kind: kind, Title: prefix + title,
			SubjectType: domain.SubjectMaterialLoan, SubjectID: subject, CampaignID: in.CampaignID, UnitID: unit, Role: domain.RoleUnitHead,
			IssuerUnitID: issuer, DueAt: due, Context: domain.TaskContext{Content: content}}
	}
	target := func(prefix string, unit int64) rungTarget {
		return rungTarget{Title: prefix + title, SubjectType: domain.SubjectMaterialLoan, SubjectID: subject, CampaignID: in.CampaignID,
			UnitID: unit, IssuerUnitID: in.BureauUnitID}
	}
	approveIn, handoverIn := domain.LoanTiming(in.Purpose)

	approve, err := s.Board.step(ctx, task(domain.KindLoanApprove, "approve", "审批", in.OwnerUnitID, in.RequesterUnitID, s.Board.now(ctx).Add(approveIn)),
		approver{}, &s.Ladder, target("审批", in.OwnerUnitID))
	if err != nil {
		return contract.LoanResult{}, err
	}
	decided := domain.LoanApproved
	if approve.Outcome.Decision != domain.DecisionApprove {
		decided = domain.LoanRefused
	}
	step := contract.LoanStepInput{LoanID: in.ID, Status: decided, TaskID: approve.Spec.ID, By: approve.CompletedBy, At: approve.CompletedAt,
		Comment: approve.Outcome.Comment}
	if err := dbStep(ctx, localStep, contract.ActLoanStep, step, nil); err != nil {
		return contract.LoanResult{}, err
	}
	if err := setState(ctx, decided.String()); err != nil {
		return contract.LoanResult{}, err
	}
	if decided == domain.LoanRefused {
		return contract.LoanResult{Status: decided}, finish(ctx)
	}

	s.Ladder = newLadder(s.ID+"/handover", domain.LoanLadder(in.Purpose))
	handover, err := s.Board.step(ctx, task(domain.KindLoanHandover, "handover", "交付", in.OwnerUnitID, in.RequesterUnitID, s.Board.now(ctx).Add(handoverIn)),
		approver{}, &s.Ladder, target("交付", in.OwnerUnitID))
	if err != nil {
		return contract.LoanResult{}, err
	}
	if handover.Outcome.Decision == domain.DecisionUnable {
		// The owner cannot supply them (another loan took the last): the loan ends, nothing moved.
		step := contract.LoanStepInput{LoanID: in.ID, Status: domain.LoanUnsupplied, TaskID: handover.Spec.ID, By: handover.CompletedBy,
			At: handover.CompletedAt, Comment: handover.Outcome.Note}
		if err := dbStep(ctx, localStep, contract.ActLoanStep, step, nil); err != nil {
			return contract.LoanResult{}, err
		}
		if err := setState(ctx, domain.LoanUnsupplied.String()); err != nil {
			return contract.LoanResult{}, err
		}
		return contract.LoanResult{Status: domain.LoanUnsupplied}, finish(ctx)
	}
	if err := setState(ctx, domain.LoanHandedOver.String()); err != nil {
		return contract.LoanResult{}, err
	}
	// The owner left below its minimum stock: its restock processes.
	for _, a := range s.Alerts {
		if err := startDetached(ctx, contract.MaterialAlertID(a.ID), contract.MaterialAlertWorkflow, a); err != nil {
			return contract.LoanResult{}, err
		}
	}

	back, err := s.Board.step(ctx, task(domain.KindLoanReturn, "return", "归还", in.RequesterUnitID, in.OwnerUnitID,
		s.Board.now(ctx).Add(domain.Days(in.ReturnDays))), approver{}, &s.Back, target("归还", in.RequesterUnitID))
	if err != nil {
		return contract.LoanResult{}, err
	}
	if err := setState(ctx, domain.LoanReturned.String()); err != nil {
		return contract.LoanResult{}, err
	}
	return contract.LoanResult{Status: domain.LoanReturned, ReturnHow: back.Outcome.How}, finish(ctx)
}

// move carries out a hand-over's or a return's movement of stock in the
// completion's handler, before the task is completed: a hand-over the stock
// no longer covers is refused (InsufficientStock naming each short item) and
// the task stays open.
func (s *materialLoan) move(ctx workflow.Context, t *humanTask, c domain.Completion, by string, at time.Time) error {
	step := ""
	switch {
	case t.Spec.Kind == domain.KindLoanHandover && c.Decision == domain.DecisionUnable:
		return nil // nothing to move: the loan ends unsupplied
	case t.Spec.Kind == domain.KindLoanHandover:
		step = contract.MoveHandover
	case t.Spec.Kind == domain.KindLoanReturn:
		step = contract.MoveReturn
	default:
		return nil
	}
	var res contract.MoveResult
	in := contract.MoveInput{LoanID: s.In.ID, Step: step, How: c.How, Note: c.Note, TaskID: t.Spec.ID, By: by, At: at}
	if err := dbStep(ctx, handlerStep, contract.ActMoveLoanMaterials, in, &res); err != nil {
		var app *temporal.ApplicationError
		if errors.As(err, &app) && app.Type() == contract.ErrInsufficientStock {
			var fields []domain.FieldError
			if app.HasDetails() && app.Details(&fields) == nil {
				return temporal.NewApplicationErrorWithOptions(app.Message(), contract.ErrInsufficientStock,
					temporal.ApplicationErrorOptions{NonRetryable: true, Details: []any{fields}})
			}
			return appError(contract.ErrInsufficientStock, app.Message())
		}
		return err
	}
	s.Alerts = append(s.Alerts, res.Alerts...)
	return nil
}

// materialAlert is the state of one stock alert.
type materialAlert struct {
	In      contract.AlertInput
	ID      string
	Board   board
	Ladders []ladder // one per round
}

// MaterialAlert asks a mine to restock an item below its minimum stock, or
// to inspect (or replace) an expired one, by a deadline with a ladder. When
// the mine says it is done, the engine looks at the inventory: an item still
// low (or still expired) sends the task back for another round; a cleared
// one closes the alert, and a new alert for the item may open later.
func MaterialAlert(ctx workflow.Context, in contract.AlertInput) (contract.AlertResult, error) {
	id := contract.MaterialAlertID(in.ID)
	s := &materialAlert{In: in, ID: id, Board: board{CancelReason: "物资预警已取消"}}
	res, err := s.run(withActivityOptions(ctx))
	return res, s.Board.settle(ctx, err)
}

func (s *materialAlert) run(ctx workflow.Context) (contract.AlertResult, error) {
	in := s.In
	if err := s.Board.install(ctx); err != nil {
		return contract.AlertResult{}, err
	}
	check := func() (contract.AlertCheck, error) {
		var c contract.AlertCheck
		err := dbStep(ctx, localStep, contract.ActAlertCheck, contract.AlertStepInput{ID: in.ID, At: s.Board.now(ctx)}, &c)
		return c, err
	}
	c, err := check()
	if err != nil || !c.Exists {
		return contract.AlertResult{}, err // no alert row: the write that opened it was rolled back
	}
	kind := domain.KindMaterialRestock
	if in.Condition == domain.ConditionExpired {
		kind = domain.KindMaterialInspect
	}
	title := domain.AlertTitle(in.Condition, in.ItemName)
	subject := fmt.Sprint(in.ID)
	returned := ""
	round := 0
	for c.Holds {
		round++
		s.Ladders = append(s.Ladders, newLadder(fmt.Sprintf("%s/round/%d", s.ID, round), domain.AlertLadder()))
		spec := domain.TaskSpec{ID: contract.TaskID(s.ID, "fix", round), WorkflowID: s.ID, Kind: kind, Title: title,
			SubjectType: domain.SubjectMaterialAlert, SubjectID: subject, UnitID: in.UnitID, Role: domain.RoleUnitHead,
			IssuerUnitID: in.BureauUnitID, DueAt: s.Board.now(ctx).Add(domain.Days(domain.AlertDays)),
			Context: domain.TaskContext{Content: c.Detail, Round: round, ReturnComment: returned}}
		if _, err := s.Board.step(ctx, spec, approver{}, &s.Ladders[round-1], rungTarget{Title: title, SubjectType: domain.SubjectMaterialAlert,
			SubjectID: subject, UnitID: in.UnitID, IssuerUnitID: in.BureauUnitID}); err != nil {
			return contract.AlertResult{Rounds: round}, err
		}
		if c, err = check(); err != nil {
			return contract.AlertResult{Rounds: round}, err
		}
		returned = "库存记录显示问题仍在（" + c.Detail + "），请在库存中更新后再办结。"
	}
	if err := dbStep(ctx, localStep, contract.ActCloseAlert, contract.AlertStepInput{ID: in.ID, At: s.Board.now(ctx), By: domain.ActorEngine}, nil); err != nil {
		return contract.AlertResult{Rounds: round}, err
	}
	if err := setState(ctx, domain.InterviewClosed.String()); err != nil {
		return contract.AlertResult{Rounds: round}, err
	}
	return contract.AlertResult{Rounds: round, Closed: true}, finish(ctx)
}

// sweepRuns is how many daily sweeps one run makes before it continues as new.
const sweepRuns = 30

// MaterialSweep checks every inventory once a day at 01:00 in the county's
// zone: an expiry date passes without anyone writing the item, so a write's
// own check is not enough. Each item due for an alert that has none open gets
// one, and its process is started. It continues as new every 30 days.
func MaterialSweep(ctx workflow.Context, in contract.SweepInput) error {
	ctx = withActivityOptions(ctx)
	for i := 0; i < sweepRuns; i++ {
		var alerts []domain.AlertSpec
		if err := workflow.ExecuteActivity(ctx, contract.ActSweepMaterials, domain.Stored(workflow.Now(ctx))).Get(ctx, &alerts); err != nil {
			return err
		}
		for _, a := range alerts {
			if err := startDetached(ctx, contract.MaterialAlertID(a.ID), contract.MaterialAlertWorkflow, a); err != nil {
				return err
			}
		}
		in.Runs++
		now := workflow.Now(ctx).In(domain.DefaultZone)
		next := time.Date(now.Year(), now.Month(), now.Day(), 1, 0, 0, 0, domain.DefaultZone).AddDate(0, 0, 1)
		if err := workflow.Sleep(ctx, next.Sub(now)); err != nil {
			return err
		}
	}
	return workflow.NewContinueAsNewError(ctx, contract.MaterialSweepWorkflow, in)
}
