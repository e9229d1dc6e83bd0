package domain

import (
	"fmt"
	"time"
)

// KindPlanTaskDone: the owner unit's head reports a plan task done.
const KindPlanTaskDone TaskKind = "plan.done"

// Plan kinds: 1 overall, thematic and sector plans per campaign.
var PlanKinds = []string{"overall", "thematic", "sector"}

// PlanTaskInput is a plan task as a leader writes it: the four clears —
// deadline (时间清), content (任务清), owner unit (责任清), measures (措施清).
type PlanTaskInput struct {
	Content   string     `json:"content"`
	OwnerUnit string     `json:"owner_unit"`
	Deadline  *time.Time `json:"deadline"`
	Measures  string     `json:"measures"`
}

// Validate refuses a plan task without any of its four clears, or with text
// that cannot be stored, or a deadline that is not after now and on or before
// the last day a plan task may run to (latest).
func (p *PlanTaskInput) Validate(now, latest time.Time, v *ValidationError) {
	const four = "（时间清、任务清、责任清、措施清）"
	for _, f := range []struct {
		name string
		val  *string
	}{{"content", &p.Content}, {"measures", &p.Measures}, {"owner_unit", &p.OwnerUnit}} {
		v.Text(f.name, f.val, true, 5000)
		if len(v.Fields) > 0 && v.Fields[len(v.Fields)-1].Field == f.name && v.Fields[len(v.Fields)-1].Detail == MsgRequired {
			v.Fields[len(v.Fields)-1].Detail = MsgRequired + four
		}
	}
	switch {
	case p.Deadline == nil:
		v.Add("deadline", MsgRequired+four)
	case !p.Deadline.After(now):
		v.Add("deadline", MsgFuture)
	case p.Deadline.After(latest):
		v.Add("deadline", "应不晚于 "+latest.Format(time.RFC3339))
	}
	v.Sort()
}

// DefaultPlanLadder escalates a plan task not done by its deadline: reminders a
// week and a day before and on it, a notice at +7 days, an interview at +15.
func DefaultPlanLadder() Ladder {
	return Ladder{{Offset: days(-7), Action: ActionRemind}, {Offset: days(-1), Action: ActionRemind}, {Offset: 0, Action: ActionRemind},
		{Offset: days(7), Action: ActionNotice}, {Offset: days(15), Action: ActionInterview}}
}

// PlanTaskWorkflowID is plan-task/{id}.
func PlanTaskWorkflowID(id int64) string { return fmt.Sprintf("plan-task/%d", id) }

// PlanTaskSpec is what a plan task process needs.
type PlanTaskSpec struct {
	ID           int64     `json:"id"`
	CampaignID   string    `json:"campaign_id"`
	PlanTitle    string    `json:"plan_title"`
	Content      string    `json:"content"`
	Measures     string    `json:"measures"`
	OwnerUnitID  int64     `json:"owner_unit_id"`
	OwnerCode    string    `json:"owner_code,omitempty"`
	IssuerUnitID int64     `json:"issuer_unit_id"`
	Deadline     time.Time `json:"deadline"`
	Ladder       Ladder    `json:"ladder"`
	// Clock is the campaign's clock (nil: real time).
	Clock *Clock `json:"clock,omitempty"`
	// PlanID, CreatedBy and CreatedAt let the process write its own row.
	PlanID    int64     `json:"plan_id,omitempty"`
	CreatedBy string    `json:"created_by,omitempty"`
	CreatedAt time.Time `json:"created_at,omitempty"`
}
