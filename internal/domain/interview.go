package domain

import (
	"bytes"
	"encoding/json"
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
	// KindInterviewFulfil: the interviewee reports the commitments done, by their deadline (the ladder presses it).
	KindInterviewFulfil TaskKind = "interview.fulfil"
	// KindInterviewConfirm: the safety office confirms the commitments are done, or returns them.
	KindInterviewConfirm TaskKind = "interview.confirm"
)

// How long each step of an interview has.
const (
	// InterviewScheduleDays: the safety office schedules the interview within 3 days of the summons.
	InterviewScheduleDays = 3
	// InterviewMinutesDays: the minutes are recorded within a day after the interview.
	InterviewMinutesDays = 1
	// InterviewCommitmentsDays: the interviewee submits commitments within 7 days of the minutes.
	InterviewCommitmentsDays = 7
	// InterviewConfirmDays: the safety office confirms (or returns) a fulfilment within 5 days.
	InterviewConfirmDays = 5
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
	UnitCode     string `json:"unit_code,omitempty"`
	UnitName     string `json:"unit_name"`
	Reason       string `json:"reason"`
	OfficeUnitID int64  `json:"office_unit_id"`
	Ladder       Ladder `json:"ladder"`
	// Clock is the campaign's clock (nil: real time).
	Clock *Clock `json:"clock,omitempty"`
	// What the process writes as its own row if the summons' transaction did
	// not commit: the reason key it groups by, who summoned it (ladder,
	// ranking, manual), the first summons' key and words, and when.
	ReasonKey    string    `json:"reason_key,omitempty"`
	Source       string    `json:"source,omitempty"`
	FirstTrigger string    `json:"first_trigger,omitempty"`
	Label        string    `json:"label,omitempty"`
	CreatedAt    time.Time `json:"created_at,omitempty"`
}

// DefaultInterviewLadder escalates late commitments: reminders a day before and
// on their deadline, a public notice a week after it.
func DefaultInterviewLadder() Ladder {
	return Ladder{{Offset: days(-1), Action: ActionRemind}, {Offset: 0, Action: ActionRemind}, {Offset: days(7), Action: ActionNotice}}
}

// InterviewCompletion are the interview payload fields of a Completion.
type InterviewCompletion struct {
	ScheduledAt    *time.Time   `json:"scheduled_at,omitempty"`
	Place          string       `json:"place,omitempty"`
	Leader         string       `json:"leader,omitempty"`
	Note           string       `json:"note,omitempty"`
	Minutes        string       `json:"minutes,omitempty"`
	Commitments    []Commitment `json:"commitments,omitempty"`
	CommitmentsDue *time.Time   `json:"commitments_due,omitempty"`
}

// Commitment is one written rectification commitment; Item names the
// interview item (a summons that joined the interview) it answers. In JSON an
// unnamed commitment is a plain string, as it always was.
type Commitment struct {
	Item int64  `json:"item,omitempty"`
	Text string `json:"text"`
}

// MarshalJSON writes an unnamed commitment as a plain string.
func (c Commitment) MarshalJSON() ([]byte, error) {
	if c.Item == 0 {
		return json.Marshal(c.Text)
	}
	type plain Commitment
	return json.Marshal(plain(c))
}

// UnmarshalJSON reads a plain string or {"item": N, "text": "…"}.
func (c *Commitment) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*c = Commitment{Text: s}
		return nil
	}
	type plain Commitment
	var p plain
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return &PlainError{`应为文字，或 {"item": 事项编号, "text": "承诺内容"}`}
	}
	*c = Commitment(p)
	return nil
}

// InterviewItem is one summons an interview answers: what triggered it, in
// words an official reads (which report, which period, which rung).
type InterviewItem struct {
	ID    int64  `json:"id"`
	Label string `json:"label"`
}
