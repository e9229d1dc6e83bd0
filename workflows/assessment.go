package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
)

// Assessment runs a campaign year's assessment: every unit's score from the
// ledger, graded, the one-vote veto applied, ranked within its kind; a leader
// approves the results or returns them (the results are computed again, after
// corrections); approved results are published and frozen, and the heads of the
// bottom units of each kind are summoned to interviews.
func Assessment(ctx workflow.Context, in contract.AssessmentInput) (contract.AssessmentResult, error) {
	b := &board{Clock: in.Clock}
	res, err := assess(withActivityOptions(ctx), b, in)
	return res, b.settle(ctx, err)
}

func assess(ctx workflow.Context, b *board, in contract.AssessmentInput) (contract.AssessmentResult, error) {
	id := contract.AssessmentID(in.CampaignID, in.Year)
	if err := b.install(ctx); err != nil {
		return contract.AssessmentResult{}, err
	}
	for round := 1; ; round++ {
		var computed contract.AssessmentComputed
		if err := workflow.ExecuteActivity(ctx, contract.ActComputeAssessment, contract.AssessmentStep{CampaignID: in.CampaignID, Year: in.Year, Round: round, At: b.now(ctx)}).Get(ctx, &computed); err != nil {
			return contract.AssessmentResult{}, err
		}
		if err := setState(ctx, domain.AssessmentComputed.String()); err != nil {
			return contract.AssessmentResult{}, err
		}
		title := fmt.Sprintf("审定%d年度安全生产目标责任考核结果", in.Year)
		t, err := b.openTask(ctx, domain.TaskSpec{ID: contract.TaskID(id, "approve", round), WorkflowID: id, Kind: domain.KindAssessmentApprove, Title: title,
			SubjectType: "assessment", SubjectID: fmt.Sprintf("%s/%d", in.CampaignID, in.Year), CampaignID: in.CampaignID,
			UnitID: in.LeaderUnitID, Role: domain.RoleLeader, IssuerUnitID: in.LeaderUnitID, DueAt: b.now(ctx).Add(time.Duration(computed.ApprovalDays) * 24 * time.Hour),
			Context: domain.TaskContext{Round: round}}, approver{})
		if err != nil {
			return contract.AssessmentResult{}, err
		}
		if err := b.wait(ctx, t); err != nil {
			return contract.AssessmentResult{}, err
		}
		if t.Outcome.Decision != domain.DecisionApprove {
			continue
		}
		var summons []contract.SummonResult
		if err := workflow.ExecuteActivity(ctx, contract.ActPublishAssessment, contract.AssessmentStep{CampaignID: in.CampaignID, Year: in.Year, Round: round, By: t.CompletedBy, At: b.now(ctx)}).Get(ctx, &summons); err != nil {
			return contract.AssessmentResult{}, err
		}
		if err := setState(ctx, domain.AssessmentPublished.String()); err != nil {
			return contract.AssessmentResult{}, err
		}
		for _, s := range summons {
			if s.Created {
				if err := startInterview(ctx, s.Spec); err != nil {
					return contract.AssessmentResult{}, err
				}
			}
		}
		if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
			return contract.AssessmentResult{}, err
		}
		return contract.AssessmentResult{Rounds: round, Results: computed.Results}, nil
	}
}
