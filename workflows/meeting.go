package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
)

// MeetingMinutes runs a periodic meeting of a campaign's policy (the 麟北矿区
// technical exchange meeting, the 联防联治 meetings): when the meeting's day
// comes the organising unit's head gets a task to record it — minutes,
// attendees, decisions (POST /meetings with the task) — by the rule's
// deadline, the rule's ladder pressing it; the recorded meeting answers the
// task. Its decisions run as assigned matters of their own.
func MeetingMinutes(ctx workflow.Context, in contract.MeetingMinutesInput) (int64, error) {
	b := &board{Clock: in.Clock}
	res, err := meetingMinutes(withActivityOptions(ctx), b, in)
	return res, b.settle(ctx, err)
}

func meetingMinutes(ctx workflow.Context, b *board, in contract.MeetingMinutesInput) (int64, error) {
	id := contract.MeetingMinutesID(in.CampaignID, in.Rule, in.Period)
	if err := b.install(ctx); err != nil {
		return 0, err
	}
	var plan contract.MeetingMinutesPlan
	if err := dbStep(ctx, localStep, contract.ActPlanMeetingMinutes, in, &plan); err != nil {
		return 0, err
	}
	l := newLadder(id, plan.Ladder)
	title := "会议纪要：" + plan.Title + "（" + in.Period + "）"
	target := rungTarget{Title: title, SubjectType: domain.SubjectMeeting, SubjectID: id, CampaignID: in.CampaignID,
		UnitID: plan.OrganiserUnitID, IssuerUnitID: plan.IssuerUnitID}
	t, err := b.escalated(ctx, domain.TaskSpec{
		ID: contract.TaskID(id, "minutes", 1), WorkflowID: id, Kind: domain.KindMeetingMinutes, Title: title,
		SubjectType: domain.SubjectMeeting, SubjectID: id, CampaignID: in.CampaignID,
		UnitID: plan.OrganiserUnitID, Role: domain.RoleUnitHead, IssuerUnitID: plan.IssuerUnitID, DueAt: plan.DueAt,
		Context: domain.TaskContext{Content: domain.MeetingKindNames[plan.Kind] + "：" + plan.Title, MeetingKind: plan.Kind},
	}, approver{UnitID: plan.IssuerUnitID, Role: domain.RoleSafetyOffice}, &l, target)
	if err != nil {
		return 0, err
	}
	if err := setState(ctx, domain.StatusApproved.String()); err != nil {
		return 0, err
	}
	return t.Outcome.MeetingID, finish(ctx)
}
