package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
)

// pledge is the state of one target-responsibility pledge (安全生产目标责任书).
type pledge struct {
	In          contract.PledgeInput
	Board       board
	SignLadder  ladder
	CountLadder ladder
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
	in := s.In
	if err := s.Board.install(ctx); err != nil {
		return contract.PledgeResult{}, err
	}
	if err := dbStep(ctx, localStep, contract.ActRecordPledge, contract.RecordPledgeInput{Spec: in, At: s.Board.now(ctx)}, nil); err != nil {
		return contract.PledgeResult{}, err
	}
	title := fmt.Sprintf("签订%d年度安全生产目标责任书", in.Year)
	countTitle := fmt.Sprintf("会签%s%d年度安全生产目标责任书", in.SignerName, in.Year)
	task := func(kind domain.TaskKind, step string, round int) domain.TaskSpec {
		return domain.TaskSpec{ID: contract.TaskID(in.ID, step, round), WorkflowID: in.ID, Kind: kind,
			SubjectType: domain.SubjectPledge, SubjectID: in.ID, CampaignID: in.CampaignID}
	}
	_, _, round, err := s.Board.reviewed(ctx, &reviewLoop{
		Subject: domain.SubjectPledge, ID: in.ID, Due: in.DueAt,
		Submit: func(round int, returned string, due time.Time) domain.TaskSpec {
			t := task(domain.KindPledgeSign, "sign", round)
			t.Title, t.UnitID, t.Role, t.IssuerUnitID, t.DueAt = title, in.SignerUnitID, domain.RoleUnitHead, in.IssuerUnitID, due
			t.Context = domain.TaskContext{Content: in.IssuerName + "与" + in.SignerName + "签订", Round: round, ReturnComment: returned}
			return t
		},
		Ladder: &s.SignLadder,
		Target: rungTarget{Title: title, SubjectType: domain.SubjectPledge, SubjectID: in.ID, CampaignID: in.CampaignID,
			UnitID: in.SignerUnitID, IssuerUnitID: in.IssuerUnitID, Year: in.Year},
		Review: func(round int, signed *humanTask) domain.TaskSpec {
			t := task(domain.KindPledgeCountersign, "countersign", round)
			t.Title, t.UnitID, t.Role, t.IssuerUnitID = countTitle, in.IssuerUnitID, domain.RoleUnitHead, in.SignerUnitID
			t.DueAt = s.Board.now(ctx).Add(time.Duration(in.CountersignDays) * 24 * time.Hour)
			t.Context = domain.TaskContext{Content: signed.Outcome.Comment, Round: round}
			return t
		},
		ReviewLadder: &s.CountLadder,
		ReviewTarget: rungTarget{Title: countTitle, SubjectType: domain.SubjectPledge, SubjectID: in.ID, CampaignID: in.CampaignID,
			UnitID: in.IssuerUnitID, IssuerUnitID: in.IssuerUnitID, Year: in.Year},
		Positive: domain.DecisionApprove, Submitted: domain.PledgeSigned, Done: domain.PledgeInForce,
	})
	if err != nil {
		return contract.PledgeResult{}, err
	}
	n, err := cascade(ctx, contract.PledgeSignersInput{CampaignID: in.CampaignID, Year: in.Year, IssuerUnitID: in.SignerUnitID, Level: in.Level + 1, Now: workflow.Now(ctx)})
	if err != nil {
		return contract.PledgeResult{}, err
	}
	if err := finish(ctx); err != nil {
		return contract.PledgeResult{}, err
	}
	return contract.PledgeResult{Status: domain.PledgeInForce, Rounds: round, Cascade: n}, nil
}

// cascade starts the pledges an issuer signs with the units under it and waits
// for all of them. They are abandoned on close, so a cancelled parent leaves
// them running; one already started (by hand, or by an earlier run) is left as is.
//
// Past the children's limit (a province's county issues 2,500) they are
// started from an activity and counted from the database once a campaign
// day until all are in force; the count is then the year's pledges so far.
func cascade(ctx workflow.Context, in contract.PledgeSignersInput) (int, error) {
	var specs []domain.PledgeSpec
	if workflow.GetVersion(ctx, contract.PledgesFromActivityVersion, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		if err := workflow.ExecuteActivity(ctx, contract.ActPledgeSpecs, in).Get(ctx, &specs); err != nil {
			return 0, err
		}
	} else {
		var plan contract.PledgePlan
		if err := workflow.ExecuteActivity(ctx, contract.ActPlanPledges, in).Get(ctx, &plan); err != nil {
			return 0, err
		}
		if plan.Specs == nil && plan.Total > 0 {
			return pledgesFromActivity(ctx, in, plan.Clock)
		}
		specs = plan.Specs
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

// pledgesFromActivity starts an issuer's pledges from an activity and counts
// them until all are in force; cancelled, it cancels those not yet in force.
func pledgesFromActivity(ctx workflow.Context, in contract.PledgeSignersInput, clock *domain.Clock) (int, error) {
	long := workflow.WithActivityOptions(ctx, startingOptions)
	n, err := tallyUntilInForce(ctx, long, in, clock)
	if err != nil && ctx.Err() != nil {
		dctx, _ := workflow.NewDisconnectedContext(long)
		_ = workflow.ExecuteActivity(dctx, contract.ActCancelPledgeProcesses, in).Get(dctx, nil)
	}
	return n, err
}

func tallyUntilInForce(ctx, long workflow.Context, in contract.PledgeSignersInput, clock *domain.Clock) (int, error) {
	var n int
	if err := workflow.ExecuteActivity(long, contract.ActStartPledgeProcesses, in).Get(ctx, &n); err != nil {
		return 0, err
	}
	for {
		var t contract.PledgeTally
		if err := workflow.ExecuteActivity(ctx, contract.ActTallyPledges, in).Get(ctx, &t); err != nil {
			return 0, err
		}
		if t.Pledges >= n && t.InForce >= t.Pledges {
			return t.Year, nil
		}
		if err := workflow.Sleep(ctx, clock.Wall(24*time.Hour)); err != nil {
			return 0, err
		}
	}
}

// PledgeYear issues the county's pledges of a campaign year (departments and
// towns) and waits until the whole cascade is in force.
func PledgeYear(ctx workflow.Context, in contract.PledgeYearInput) (contract.PledgeYearResult, error) {
	ctx = withActivityOptions(ctx)
	n, err := cascade(ctx, contract.PledgeSignersInput{CampaignID: in.CampaignID, Year: in.Year, IssuerUnitID: in.IssuerUnitID, Level: 1, Now: workflow.Now(ctx)})
	return contract.PledgeYearResult{Pledges: n}, err
}
