package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
)

// PlanTask runs one plan task (时间清、任务清、责任清、措施清): the owner unit's
// head reports it done by the deadline (or asks the issuing side for more time);
// past the deadline and not done, it runs the plan ladder.
func PlanTask(ctx workflow.Context, in contract.PlanTaskInput) (string, error) {
	b := &board{Clock: in.Clock}
	res, err := planTask(withActivityOptions(ctx), b, in)
	return res, b.settle(ctx, err)
}

func planTask(ctx workflow.Context, b *board, in contract.PlanTaskInput) (string, error) {
	id := contract.PlanTaskID(in.ID)
	if err := b.install(ctx); err != nil {
		return "", err
	}
	// The process writes its own row first (a crash between its start and the API's commit converges).
	if err := dbStep(ctx, localStep, contract.ActRecordPlanTask, in, nil); err != nil {
		return "", err
	}
	l := newLadder(id, in.Ladder)
	title := in.PlanTitle + "：" + in.Content
	t, err := b.escalated(ctx, domain.TaskSpec{
		ID: contract.TaskID(id, "done", 1), WorkflowID: id, Kind: domain.KindPlanTaskDone, Title: title,
		SubjectType: "plan-task", SubjectID: fmt.Sprint(in.ID), CampaignID: in.CampaignID,
		UnitID: in.OwnerUnitID, Role: domain.RoleUnitHead, IssuerUnitID: in.IssuerUnitID, DueAt: in.Deadline,
		Context: domain.TaskContext{Content: in.Content, Measures: in.Measures},
	}, approver{UnitID: in.IssuerUnitID, Role: domain.RoleSafetyOffice}, &l,
		rungTarget{Title: title, SubjectType: "plan-task", SubjectID: fmt.Sprint(in.ID), CampaignID: in.CampaignID, UnitID: in.OwnerUnitID, IssuerUnitID: in.IssuerUnitID})
	if err != nil {
		return "", err
	}
	if err := workflow.ExecuteActivity(ctx, contract.ActPlanTaskDone, contract.PlanTaskDoneInput{ID: in.ID, By: t.CompletedBy, At: t.CompletedAt}).Get(ctx, nil); err != nil {
		return "", err
	}
	if err := setState(ctx, domain.PlanTaskDone.String()); err != nil {
		return "", err
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return "", err
	}
	return "done", nil
}
