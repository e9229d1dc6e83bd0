package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
)

// enforcementCase is the state of one case's steps.
type enforcementCase struct {
	In      contract.CaseInput
	ID      string
	Board   board
	Ladders []ladder
}

// caseSteps are the steps after filing (立案), each a task of the authority's
// inspectors: 调查取证, 告知, 决定 (its decision and fine), 执行, 结案.
var caseSteps = []struct {
	Status domain.Status
	Kind   domain.TaskKind
	Step   string
	Title  string
}{
	{domain.CaseInvestigating, domain.KindCaseStep, "investigate", "调查取证"},
	{domain.CaseNotified, domain.KindCaseStep, "notify", "告知"},
	{domain.CaseDecided, domain.KindCaseDecide, "decide", "作出处罚决定"},
	{domain.CaseExecuting, domain.KindCaseStep, "execute", "执行"},
	{domain.CaseClosed, domain.KindCaseStep, "close", "结案"},
}

// EnforcementCase runs a filed case through its steps, each due StepDays
// after the last with its ladder on the authority.
func EnforcementCase(ctx workflow.Context, in contract.CaseInput) (contract.CaseResult, error) {
	if in.StepDays <= 0 {
		in.StepDays = 15
	}
	id := contract.CaseID(in.ID)
	s := &enforcementCase{In: in, ID: id}
	for _, st := range caseSteps {
		s.Ladders = append(s.Ladders, newLadder(id+"#"+st.Step, in.Ladder))
	}
	res, err := s.run(withActivityOptions(ctx))
	return res, s.Board.settle(ctx, err)
}

// stop issues the stop order of a decision to stop production and starts its
// lifting (复产申请 → 复产验收 → 批准), which outlives the case.
func (s *enforcementCase) stop(ctx workflow.Context, done *humanTask) error {
	var out contract.CaseStopResult
	in := contract.CaseStopInput{CaseID: s.In.ID, By: done.CompletedBy, At: done.CompletedAt}
	if err := workflow.ExecuteActivity(ctx, contract.ActIssueCaseStop, in).Get(ctx, &out); err != nil {
		return err
	}
	return startDetached(ctx, contract.StopOrderID(out.Lifting.ID), contract.StopOrderWorkflow, out.Lifting)
}

func (s *enforcementCase) run(ctx workflow.Context) (contract.CaseResult, error) {
	in := s.In
	if err := s.Board.install(ctx); err != nil {
		return contract.CaseResult{}, err
	}
	subject := fmt.Sprint(in.ID)
	var res contract.CaseResult
	for i, st := range caseSteps {
		t := domain.TaskSpec{ID: contract.TaskID(s.ID, st.Step, 1), WorkflowID: s.ID, Kind: st.Kind, Title: st.Title + "：" + in.Title,
			SubjectType: domain.SubjectCase, SubjectID: subject, UnitID: in.AuthorityUnitID, Role: domain.RoleInspector,
			IssuerUnitID: in.AuthorityUnitID, DueAt: s.Board.now(ctx).Add(domain.Days(in.StepDays)),
			Context: domain.TaskContext{Content: in.Title}}
		target := rungTarget{Title: t.Title, SubjectType: domain.SubjectCase, SubjectID: subject, UnitID: in.AuthorityUnitID, IssuerUnitID: in.AuthorityUnitID}
		done, err := s.Board.step(ctx, t, approver{}, &s.Ladders[i], target)
		if err != nil {
			return res, err
		}
		if err := s.Board.record(ctx, domain.SubjectCase, subject, st.Status, 1, done); err != nil {
			return res, err
		}
		if st.Kind == domain.KindCaseDecide {
			res.Decision = done.Outcome.Decision
			if done.Outcome.Decision == domain.CaseDecisionStop &&
				workflow.GetVersion(ctx, contract.CaseStopVersion, workflow.DefaultVersion, 1) == 1 {
				if err := s.stop(ctx, done); err != nil {
					return res, err
				}
			}
		}
		res.ClosedAt = done.CompletedAt
	}
	return res, finish(ctx)
}
