package workflows

import (
	"fmt"
	"github.com/zeren-county/zeren/contract"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/internal/domain"
)

// pledge is the state of one target-responsibility pledge (安全生产目标责任书).
type pledge struct {
	In          contract.PledgeInput
	Board       board
	SignLadder  ladder
	CountLadder ladder
	Round       int
}

// Pledge runs one pledge: the signer unit's head signs (or proposes changed
// targets with a comment) by the deadline; the issuer unit's head countersigns
// (accepting a proposal) or returns it with a comment, which sends it back to
// the signer under the same deadline; once in force, the pledges of the units
// the signer supervises start (the cascade), and this process waits for them.
// Each step has the policy's ladder beside it.
func Pledge(ctx workflow.Context, in contract.PledgeInput) (contract.PledgeResult, error) {
	s := &pledge{In: in, Board: board{Clock: in.Clock}, SignLadder: newLadder(in.ID+"#sign", in.Ladder), CountLadder: newLadder(in.ID+"#countersign", in.Ladder)}
	res, err := s.run(withActivityOptions(ctx))
	return res, s.Board.settle(ctx, err)
}

func (s *pledge) run(ctx workflow.Context) (contract.PledgeResult, error) {
	if err := s.Board.install(ctx); err != nil {
		return contract.PledgeResult{}, err
	}
	if err := workflow.ExecuteActivity(ctx, contract.ActRecordPledge, contract.RecordPledgeInput{Spec: s.In, At: s.Board.now(ctx)}).Get(ctx, nil); err != nil {
		return contract.PledgeResult{}, err
	}
	in := s.In
	title := fmt.Sprintf("签订%d年度安全生产目标责任书", in.Year)
	signTarget := rungTarget{Title: title, SubjectType: "pledge", SubjectID: in.ID, CampaignID: in.CampaignID, UnitID: in.SignerUnitID, IssuerUnitID: in.IssuerUnitID, Year: in.Year}
	countTarget := rungTarget{Title: fmt.Sprintf("会签%s%d年度安全生产目标责任书", in.SignerName, in.Year), SubjectType: "pledge", SubjectID: in.ID, CampaignID: in.CampaignID, UnitID: in.IssuerUnitID, IssuerUnitID: in.IssuerUnitID, Year: in.Year}
	returnComment := ""
	for s.Round = 1; ; s.Round++ {
		sign, err := s.step(ctx, domain.TaskSpec{
			ID: contract.TaskID(in.ID, "sign", s.Round), Kind: domain.KindPledgeSign, Title: title,
			UnitID: in.SignerUnitID, Role: domain.RoleUnitHead, IssuerUnitID: in.IssuerUnitID, DueAt: in.DueAt,
			Context: domain.TaskContext{Content: in.IssuerName + "与" + in.SignerName + "签订", Round: s.Round, ReturnComment: returnComment},
		}, &s.SignLadder, signTarget)
		if err != nil {
			return contract.PledgeResult{}, err
		}
		proposal := sign.Outcome.Targets
		if err := s.setState(ctx, contract.PledgeStep{Status: domain.PledgeSigned, By: sign.CompletedBy, Proposal: proposal, Comment: sign.Outcome.Comment}); err != nil {
			return contract.PledgeResult{}, err
		}
		counter, err := s.step(ctx, domain.TaskSpec{
			ID: contract.TaskID(in.ID, "countersign", s.Round), Kind: domain.KindPledgeCountersign, Title: countTarget.Title,
			UnitID: in.IssuerUnitID, Role: domain.RoleUnitHead, IssuerUnitID: in.SignerUnitID,
			DueAt:   s.Board.now(ctx).Add(time.Duration(in.CountersignDays) * 24 * time.Hour),
			Context: domain.TaskContext{Content: sign.Outcome.Comment, Round: s.Round},
		}, &s.CountLadder, countTarget)
		if err != nil {
			return contract.PledgeResult{}, err
		}
		if counter.Outcome.Decision == domain.DecisionApprove {
			if err := s.setState(ctx, contract.PledgeStep{Status: domain.PledgeInForce, By: counter.CompletedBy, Targets: proposal}); err != nil {
				return contract.PledgeResult{}, err
			}
			break
		}
		returnComment = counter.Outcome.Comment
		if err := s.setState(ctx, contract.PledgeStep{Status: domain.PledgeReturned, By: counter.CompletedBy, Comment: returnComment}); err != nil {
			return contract.PledgeResult{}, err
		}
	}
	n, err := cascade(ctx, contract.PledgeSignersInput{CampaignID: in.CampaignID, Year: in.Year, IssuerUnitID: in.SignerUnitID, Level: in.Level + 1, Now: workflow.Now(ctx)})
	if err != nil {
		return contract.PledgeResult{}, err
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return contract.PledgeResult{}, err
	}
	return contract.PledgeResult{Status: domain.PledgeInForce, Rounds: s.Round, Cascade: n}, nil
}

// step opens a pledge task with the ladder beside it and waits for both.
func (s *pledge) step(ctx workflow.Context, spec domain.TaskSpec, l *ladder, target rungTarget) (*humanTask, error) {
	spec.WorkflowID, spec.SubjectType, spec.SubjectID, spec.CampaignID = s.In.ID, "pledge", s.In.ID, s.In.CampaignID
	return s.Board.escalated(ctx, spec, approver{}, l, target)
}

func (s *pledge) setState(ctx workflow.Context, u contract.PledgeStep) error {
	u.ID, u.Round, u.At = s.In.ID, s.Round, s.Board.now(ctx)
	return workflow.ExecuteActivity(ctx, contract.ActSetPledgeState, u).Get(ctx, nil)
}

// cascade starts the pledges an issuer signs with the units under it and waits
// for all of them. They are abandoned on close, so a cancelled parent leaves
// them running; one already started (by hand, or by an earlier run) is left as is.
func cascade(ctx workflow.Context, in contract.PledgeSignersInput) (int, error) {
	var specs []domain.PledgeSpec
	if err := workflow.ExecuteActivity(ctx, contract.ActPledgeSpecs, in).Get(ctx, &specs); err != nil {
		return 0, err
	}
	ids := make([]string, len(specs))
	inputs := make([]any, len(specs))
	for i, spec := range specs {
		ids[i], inputs[i] = spec.ID, spec
	}
	results, elsewhere, err := runChildren[contract.PledgeResult](ctx, contract.PledgeWorkflow, ids, inputs)
	n := 0
	for i, res := range results {
		if elsewhere[i] {
			n++ // someone else runs it
		} else {
			n += 1 + res.Cascade
		}
	}
	return n, err
}

// PledgeYear issues the county's pledges of a campaign year (departments and
// towns) and waits until the whole cascade is in force.
func PledgeYear(ctx workflow.Context, in contract.PledgeYearInput) (contract.PledgeYearResult, error) {
	ctx = withActivityOptions(ctx)
	n, err := cascade(ctx, contract.PledgeSignersInput{CampaignID: in.CampaignID, Year: in.Year, IssuerUnitID: in.IssuerUnitID, Level: 1, Now: workflow.Now(ctx)})
	return contract.PledgeYearResult{Pledges: n}, err
}
