package activities

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/store"
)

// PlanMeetingMinutes reads a periodic meeting's rule from its campaign's
// policy: the organising unit, the minutes' deadline (the rule's days after
// the meeting) and ladder; the safety office issues the task. A rule the
// policy no longer has, or an organiser no unit has, is refused for good.
func (a *Activities) PlanMeetingMinutes(ctx context.Context, in contract.MeetingMinutesInput) (contract.MeetingMinutesPlan, error) {
	c, err := store.CampaignByID(ctx, a.Store.DB, in.CampaignID)
	if err != nil {
		return contract.MeetingMinutesPlan{}, err
	}
	rules := c.FullPolicy().Meetings
	if in.Rule < 0 || in.Rule >= len(rules) {
		return contract.MeetingMinutesPlan{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("campaign %s has no periodic meeting %d", in.CampaignID, in.Rule), contract.ErrDataRejected, nil)
	}
	r := rules[in.Rule].WithDefaults()
	organiser, err := store.UnitByCode(ctx, a.Store.DB, r.Organiser)
	if err != nil {
		return contract.MeetingMinutesPlan{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("periodic meeting %d: organiser %q: %v", in.Rule, r.Organiser, err), contract.ErrDataRejected, nil)
	}
	office, err := store.SafetyOfficeUnit(ctx, a.Store.DB)
	if err != nil {
		return contract.MeetingMinutesPlan{}, err
	}
	return contract.MeetingMinutesPlan{Kind: r.Kind, Title: r.Title, OrganiserUnitID: organiser.ID, IssuerUnitID: office,
		DueAt: r.MeetingDue(in.At), Ladder: *r.Ladder}, nil
}
