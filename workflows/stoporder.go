package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
)

// resumeWindow is how long the unit's application to resume stays open: a
// unit may stand stopped as long as its rectification takes.
const resumeWindow = 365 * 24 * time.Hour

// stopOrder is the state of lifting one stop order.
type stopOrder struct {
	In     contract.StopOrderInput
	ID     string
	Board  board
	Ladder ladder
}

// StopOrder lifts a stop order (停产整顿): the unit applies to resume once the
// hazards behind the order are closed (an application while one is open is
// sent back at once), the supervising department accepts on site, a county
// leader approves; any return sends the unit back to apply again.
func StopOrder(ctx workflow.Context, in contract.StopOrderInput) (contract.StopOrderResult, error) {
	if in.StepDays <= 0 {
		in.StepDays = 5
	}
	id := contract.StopOrderID(in.ID)
	s := &stopOrder{In: in, ID: id, Ladder: newLadder(id, in.Ladder)}
	res, err := s.run(withActivityOptions(ctx))
	return res, s.Board.settle(ctx, err)
}

func (s *stopOrder) run(ctx workflow.Context) (contract.StopOrderResult, error) {
	in := s.In
	if err := s.Board.install(ctx); err != nil {
		return contract.StopOrderResult{}, err
	}
	subject := fmt.Sprint(in.ID)
	task := func(kind domain.TaskKind, step string, round int, title string, unit int64, role domain.Role, due time.Time) domain.TaskSpec {
		return domain.TaskSpec{ID: contract.TaskID(s.ID, step, round), WorkflowID: s.ID, Kind: kind, Title: title,
			SubjectType: domain.SubjectStopOrder, SubjectID: subject, UnitID: unit, Role: role, IssuerUnitID: in.SupervisorUnitID, DueAt: due}
	}
	returned := ""
	for round := 1; ; round++ {
		apply := task(domain.KindStopResume, "resume", round, "复产申请："+in.Title, in.UnitID, domain.RoleUnitHead, s.Board.now(ctx).Add(resumeWindow))
		apply.Context = domain.TaskContext{Content: in.Title, Round: round, ReturnComment: returned}
		applied, err := s.Board.step(ctx, apply, approver{}, nil, rungTarget{})
		if err != nil {
			return contract.StopOrderResult{}, err
		}
		var open int
		if err := workflow.ExecuteActivity(ctx, contract.ActStopHazardsOpen, in.ID).Get(ctx, &open); err != nil {
			return contract.StopOrderResult{}, err
		}
		if open > 0 {
			returned = fmt.Sprintf("停产整顿所涉隐患尚有%d条未销号，销号后再申请复产。", open)
			continue
		}
		if err := s.Board.record(ctx, domain.SubjectStopOrder, subject, domain.StopLifting, round, applied); err != nil {
			return contract.StopOrderResult{}, err
		}
		due := s.Board.now(ctx).Add(domain.Days(in.StepDays))
		accept := task(domain.KindStopAccept, "accept", round, "复产验收："+in.Title, in.SupervisorUnitID, domain.RoleUnitHead, due)
		accept.IssuerUnitID = in.CountyUnitID
		accept.Context = domain.TaskContext{Content: in.Title, Round: round, Result: applied.Outcome.Result, Attachments: applied.Outcome.Attachments}
		target := rungTarget{Title: "复产验收：" + in.Title, SubjectType: domain.SubjectStopOrder, SubjectID: subject, UnitID: in.SupervisorUnitID, IssuerUnitID: in.CountyUnitID}
		accepted, err := s.Board.step(ctx, accept, approver{}, &s.Ladder, target)
		if err != nil {
			return contract.StopOrderResult{}, err
		}
		if accepted.Outcome.Decision != domain.DecisionApprove {
			returned = accepted.Outcome.Comment
			if err := s.Board.record(ctx, domain.SubjectStopOrder, subject, domain.StopStanding, round, accepted); err != nil {
				return contract.StopOrderResult{}, err
			}
			continue
		}
		approve := task(domain.KindStopApprove, "approve", round, "批准复产："+in.Title, in.CountyUnitID, domain.RoleLeader, s.Board.now(ctx).Add(domain.Days(in.StepDays)))
		approve.Context = domain.TaskContext{Content: in.Title, Round: round, Result: applied.Outcome.Result}
		approved, err := s.Board.step(ctx, approve, approver{}, nil, rungTarget{})
		if err != nil {
			return contract.StopOrderResult{}, err
		}
		if approved.Outcome.Decision != domain.DecisionApprove {
			returned = approved.Outcome.Comment
			if err := s.Board.record(ctx, domain.SubjectStopOrder, subject, domain.StopStanding, round, approved); err != nil {
				return contract.StopOrderResult{}, err
			}
			continue
		}
		if err := s.Board.record(ctx, domain.SubjectStopOrder, subject, domain.StopLifted, round, approved); err != nil {
			return contract.StopOrderResult{}, err
		}
		if err := finish(ctx); err != nil {
			return contract.StopOrderResult{}, err
		}
		return contract.StopOrderResult{Rounds: round, LiftedAt: approved.CompletedAt}, nil
	}
}
