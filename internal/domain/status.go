package domain

import (
	"database/sql/driver"
	"fmt"
	"slices"
)

// Status is where a record stands in its process: a task, an assigned matter,
// a report, a pledge, an interview, a plan task, an assessment. It is a value
// type with the set of names below, read with ParseStatus; in JSON and in the
// database it is its name.
type Status struct{ name string }

// Task statuses.
var (
	TaskOpen      = Status{"open"}
	TaskCompleted = Status{"completed"}
	TaskCancelled = Status{"cancelled"}
)

// Statuses of a subject under review (an assigned matter, a report, a pledge).
var (
	StatusOpen      = TaskOpen
	StatusSubmitted = Status{"submitted"}
	StatusReturned  = Status{"returned"}
	StatusApproved  = Status{"approved"}
)

// Report statuses.
var (
	ReportDue       = Status{"due"}
	ReportSubmitted = StatusSubmitted
	ReportReturned  = StatusReturned
	ReportAccepted  = Status{"accepted"}
)

// Pledge statuses.
var (
	PledgeIssued   = Status{"issued"}
	PledgeSigned   = Status{"signed"}
	PledgeReturned = StatusReturned
	PledgeInForce  = Status{"in_force"}
)

// Interview statuses, in the order an interview goes through them; a merged
// interview's summons joined another interview of its unit.
var (
	InterviewSummoned     = Status{"summoned"}
	InterviewScheduled    = Status{"scheduled"}
	InterviewAcknowledged = Status{"acknowledged"}
	InterviewHeld         = Status{"held"}
	InterviewCommitted    = Status{"committed"}
	InterviewFulfilled    = Status{"fulfilled"}
	InterviewReturned     = StatusReturned
	InterviewClosed       = Status{"closed"}
	InterviewMerged       = Status{"merged"}
)

// Plan task and assessment statuses.
var (
	PlanTaskDone        = Status{"done"}
	AssessmentComputed  = Status{"computed"}
	AssessmentPublished = Status{"published"}
)

// Hazard statuses: a general hazard goes open → submitted → closed (or
// returned, and submitted again); a major one open → planned (its 五到位 plan)
// → listed (挂牌督办, plan approved) → submitted → closed, a plan may be
// returned (plan_returned). Stop orders stand, are lifting (resumption asked)
// and lifted; a case's steps are its statuses.
var (
	HazardOpen         = TaskOpen
	HazardPlanned      = Status{"planned"}
	HazardPlanReturned = Status{"plan_returned"}
	HazardListed       = Status{"listed"}
	HazardSubmitted    = StatusSubmitted
	HazardReturned     = StatusReturned
	HazardClosed       = InterviewClosed
	StopStanding       = Status{"standing"}
	StopLifting        = Status{"lifting"}
	StopLifted         = Status{"lifted"}
	CaseFiled          = Status{"filed"}
	CaseInvestigating  = Status{"investigating"}
	CaseNotified       = Status{"notified"}
	CaseDecided        = Status{"decided"}
	CaseExecuting      = Status{"executing"}
	CaseClosed         = InterviewClosed
)

var statuses = []Status{TaskOpen, TaskCompleted, TaskCancelled, StatusSubmitted, StatusReturned, StatusApproved,
	ReportDue, ReportAccepted, PledgeIssued, PledgeSigned, PledgeInForce,
	InterviewSummoned, InterviewScheduled, InterviewAcknowledged, InterviewHeld, InterviewCommitted, InterviewFulfilled,
	InterviewClosed, InterviewMerged, PlanTaskDone, AssessmentComputed, AssessmentPublished,
	HazardPlanned, HazardPlanReturned, HazardListed, StopStanding, StopLifting, StopLifted,
	CaseFiled, CaseInvestigating, CaseNotified, CaseDecided, CaseExecuting,
	DocumentSuperseded,
	LoanRequested, LoanRefused, LoanHandedOver, LoanUnsupplied,
	DrillEvaluated}

// ParseStatus reads a status by its name.
func ParseStatus(s string) (Status, error) {
	i := slices.IndexFunc(statuses, func(x Status) bool { return x.name == s })
	if i < 0 {
		return Status{}, &PlainError{fmt.Sprintf("不认识的状态 %q", s)}
	}
	return statuses[i], nil
}

// String is the status's name.
func (s Status) String() string { return s.name }

// IsZero says the status was never set.
func (s Status) IsZero() bool { return s.name == "" }

// MarshalText writes the status's name.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.name), nil }

// UnmarshalText reads a status by its name.
// The empty text is the zero Status (none), as MarshalText writes it, so a
// document that says "no status" reads back.
func (s *Status) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*s = Status{}
		return nil
	}
	v, err := ParseStatus(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Scan reads a status column.
func (s *Status) Scan(src any) error {
	switch v := src.(type) {
	case string:
		return s.UnmarshalText([]byte(v))
	case []byte:
		return s.UnmarshalText(v)
	}
	return fmt.Errorf("status: cannot read %T", src)
}

// Value writes a status column.
func (s Status) Value() (driver.Value, error) { return s.name, nil }
