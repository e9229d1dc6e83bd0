package domain

import (
	"fmt"
	"time"
)

// Interview task kinds, in the order the process asks for them.
const (
	// KindInterviewSchedule: the safety office sets the time, place and the leader who holds it.
	KindInterviewSchedule TaskKind = "interview.schedule"
	// KindInterviewAcknowledge: the interviewee unit's head acknowledges the summons.
	KindInterviewAcknowledge TaskKind = "interview.acknowledge"
	// KindInterviewMinutes: the safety office records the minutes once it is held.
	KindInterviewMinutes TaskKind = "interview.minutes"
	// KindInterviewCommitments: the interviewee submits written rectification commitments with a deadline.
	KindInterviewCommitments TaskKind = "interview.commitments"
	// KindInterviewConfirm: the safety office confirms the commitments are done, or returns them.
	KindInterviewConfirm TaskKind = "interview.confirm"
)

// Interview statuses.
const (
	InterviewSummoned     = "summoned"
	InterviewScheduled    = "scheduled"
	InterviewAcknowledged = "acknowledged"
	InterviewHeld         = "held"
	InterviewCommitted    = "committed"
	InterviewClosed       = "closed"
)

// Decision of the confirm step.
const DecisionConfirm = "confirm"

// InterviewWorkflowID is interview/{id}.
func InterviewWorkflowID(id int64) string { return fmt.Sprintf("interview/%d", id) }

// InterviewSpec is everything an interview process needs.
type InterviewSpec struct {
	ID           int64  `json:"id"`
	CampaignID   string `json:"campaign_id,omitempty"`
	UnitID       int64  `json:"unit_id"`
	UnitName     string `json:"unit_name"`
	Reason       string `json:"reason"`
	OfficeUnitID int64  `json:"office_unit_id"`
	Ladder       Ladder `json:"ladder"`
	// Clock is the campaign's clock (nil: real time).
	Clock *Clock `json:"clock,omitempty"`
}

// DefaultInterviewLadder escalates late commitments: reminders a day before and
// on their deadline, a public notice a week after it.
func DefaultInterviewLadder() Ladder {
	return Ladder{{Offset: days(-1), Action: ActionRemind}, {Offset: 0, Action: ActionRemind}, {Offset: days(7), Action: ActionNotice}}
}

// InterviewCompletion are the interview payload fields of a Completion.
type InterviewCompletion struct {
	ScheduledAt    *time.Time `json:"scheduled_at,omitempty"`
	Place          string     `json:"place,omitempty"`
	Leader         string     `json:"leader,omitempty"`
	Note           string     `json:"note,omitempty"`
	Minutes        string     `json:"minutes,omitempty"`
	Commitments    []string   `json:"commitments,omitempty"`
	CommitmentsDue *time.Time `json:"commitments_due,omitempty"`
}
