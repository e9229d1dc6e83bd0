// Package workflows holds zeren's processes: deterministic code only. This file
// is the contract: the task queue, every workflow, Update, Signal and Query name,
// the workflow-ID builders, and the input and result of each.
package workflows

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/zeren-county/zeren/internal/domain"
)

// DefaultTaskQueue is the queue zeren's worker polls unless temporal.yaml says otherwise.
const DefaultTaskQueue = "zeren"

// Workflow type names, as registered with the worker.
const (
	// SystemCheckWorkflow proves the whole loop: API → Temporal → worker → PostgreSQL → answer.
	SystemCheckWorkflow = "SystemCheck"
)

// SystemCheckID is the workflow id of one system check, by request id.
func SystemCheckID(requestID string) string { return "system-check/" + requestID }

// SystemCheckInput asks the worker to look at the database and answer.
type SystemCheckInput struct {
	// RequestedBy is the person key of who asked.
	RequestedBy string `json:"requested_by"`
}

// SystemCheckResult is what the worker found.
type SystemCheckResult struct {
	// Units and People are counts read from PostgreSQL by an activity.
	Units  int `json:"units"`
	People int `json:"people"`
	// SchemaVersion is the newest applied migration.
	SchemaVersion int64 `json:"schema_version"`
	// CheckedAt is workflow time when the answer was made.
	CheckedAt time.Time `json:"checked_at"`
	// RequestedBy echoes the input.
	RequestedBy string `json:"requested_by"`
}

// AssignmentWorkflow runs an assigned matter (交办事项): the unit completes, the assigner reviews.
const AssignmentWorkflow = "Assignment"

// Update and query names shared by every process built on human tasks.
const (
	// UpdateCompleteTask completes one open human task with its kind's payload.
	UpdateCompleteTask = "complete-task"
	// UpdateRequestExtension asks the issuing unit for a later deadline (申请延期).
	UpdateRequestExtension = "request-extension"
	// QueryTasks answers the process's human tasks and fired rungs.
	QueryTasks = "tasks"
	// UpdateCampaignPause tells a process its campaign paused (hold the ladders) or resumed (shift deadlines).
	UpdateCampaignPause = "campaign-pause"
)

// CampaignPauseRequest is the campaign-pause Update's argument: Paused holds
// the process's ladders; a resume releases them and moves every open task's
// deadline by ShiftBy, once per Key.
type CampaignPauseRequest struct {
	Paused  bool          `json:"paused"`
	ShiftBy time.Duration `json:"shift_by,omitempty"`
	Key     string        `json:"key,omitempty"`
}

// Application error types a workflow's validators and handlers return; the API maps them.
const (
	ErrNoSuchTask       = "NoSuchTask"
	ErrTaskClosed       = "TaskClosed"
	ErrWrongKind        = "WrongKind"
	ErrInvalidPayload   = "InvalidPayload"
	ErrExtensionPending = "ExtensionPending"
	ErrNotExtendable    = "NotExtendable"
	ErrBadDeadline      = "BadDeadline"
	// ErrDataRejected: the database refused the data for good (activities.ErrTypeDataRejected).
	ErrDataRejected = "DataRejected"
)

// AssignmentID is the workflow id of assignment n.
func AssignmentID(n int64) string { return fmt.Sprintf("assignment/%d", n) }

// TaskID is the deterministic id of a process's human task: the workflow id with
// "." for "/", the step, and the round (e.g. "assignment.42.complete.1").
func TaskID(workflowID, step string, round int) string {
	return fmt.Sprintf("%s.%s.%d", strings.ReplaceAll(workflowID, "/", "."), step, round)
}

// CompleteTaskRequest is the complete-task Update's argument.
type CompleteTaskRequest struct {
	TaskID string `json:"task_id"`
	// Kind must match the task's kind.
	Kind      string          `json:"kind"`
	PersonID  int64           `json:"person_id"`
	PersonKey string          `json:"person_key"`
	Payload   json.RawMessage `json:"payload"`
	// SubmittedAt is when zeren received the completion (campaign time): the
	// task's completion time, unless the process hears of it earlier. A delay
	// between the request and the workflow is not the unit's lateness.
	SubmittedAt time.Time `json:"submitted_at,omitempty"`
}

// CompleteTaskResult is what the complete-task Update answers once the outcome is recorded.
type CompleteTaskResult struct {
	TaskID      string            `json:"task_id"`
	Kind        string            `json:"kind"`
	Status      string            `json:"status"`
	Outcome     domain.Completion `json:"outcome"`
	CompletedAt time.Time         `json:"completed_at"`
	CompletedBy string            `json:"completed_by"`
}

// ExtensionRequest is the request-extension Update's argument.
type ExtensionRequest struct {
	TaskID    string    `json:"task_id"`
	PersonID  int64     `json:"person_id"`
	PersonKey string    `json:"person_key"`
	Reason    string    `json:"reason"`
	DueAt     time.Time `json:"due_at"`
}

// ExtensionResult names the approval task the issuing unit now holds.
type ExtensionResult struct {
	DecisionTaskID string `json:"decision_task_id"`
}

// AssignmentInput starts an assigned matter.
type AssignmentInput struct {
	ID             int64         `json:"id"`
	Title          string        `json:"title"`
	Content        string        `json:"content"`
	DueAt          time.Time     `json:"due_at"`
	IssuerUnitID   int64         `json:"issuer_unit_id"`
	AssignerID     int64         `json:"assigner_id"`
	AssignerKey    string        `json:"assigner_key"`
	AssigneeUnitID int64         `json:"assignee_unit_id"`
	ReviewerUnitID int64         `json:"reviewer_unit_id"`
	ReviewerRole   domain.Role   `json:"reviewer_role"`
	ReviewerID     int64         `json:"reviewer_id,omitempty"`
	Ladder         domain.Ladder `json:"ladder"`
	// ReviewPeriod is how long the reviewer has; default 5 days.
	ReviewPeriod   time.Duration `json:"review_period,omitempty"`
	IdempotencyKey string        `json:"idempotency_key,omitempty"`
	CreatedAt      time.Time     `json:"created_at"`
}

// AssignmentResult is how an assigned matter ended.
type AssignmentResult struct {
	Status     string    `json:"status"`
	Rounds     int       `json:"rounds"`
	ApprovedAt time.Time `json:"approved_at"`
}

// TasksView is the QueryTasks answer.
type TasksView struct {
	Tasks []TaskView `json:"tasks"`
	Fired []string   `json:"fired"`
}

// TaskView is one human task as the workflow holds it.
type TaskView struct {
	ID     string    `json:"id"`
	Kind   string    `json:"kind"`
	Status string    `json:"status"`
	DueAt  time.Time `json:"due_at"`
}

// Pledge workflows: one per pledge, and one per campaign year that issues the county's.
const (
	// PledgeWorkflow runs one target-responsibility pledge: sign → countersign → in force → cascade.
	PledgeWorkflow = "Pledge"
	// PledgeYearWorkflow issues the county's pledges of a year and waits for the whole cascade.
	PledgeYearWorkflow = "PledgeYear"
)

// PledgeID is the workflow id of a pledge: pledge/{campaign}/{year}/{unit}.
func PledgeID(campaign string, year int, unitCode string) string {
	return domain.PledgeWorkflowID(campaign, year, unitCode)
}

// PledgeYearID is the workflow id of a campaign year's pledges.
func PledgeYearID(campaign string, year int) string {
	return fmt.Sprintf("pledges/%s/%d", campaign, year)
}

// PledgeInput is one pledge to run.
type PledgeInput = domain.PledgeSpec

// PledgeResult is how a pledge ended, and how many pledges it cascaded to.
type PledgeResult struct {
	Status  string `json:"status"`
	Rounds  int    `json:"rounds"`
	Cascade int    `json:"cascade"`
}

// PledgeYearInput issues a year's pledges from the county.
type PledgeYearInput struct {
	CampaignID   string `json:"campaign_id"`
	Year         int    `json:"year"`
	IssuerUnitID int64  `json:"issuer_unit_id"`
}

// PledgeYearResult counts the pledges in force at the end of the cascade.
type PledgeYearResult struct {
	Pledges int `json:"pledges"`
}

// Monthly report workflows.
const (
	// MonthlyReportWorkflow runs one unit's report for one month: submit → review (accept or return, loop).
	MonthlyReportWorkflow = "MonthlyReport"
	// ReportMonthWorkflow starts every reporting unit's report for a month and waits for them.
	ReportMonthWorkflow = "ReportMonth"
)

// ReportID is report/{campaign}/{unit}/{YYYY-MM}.
func ReportID(campaign, unitCode, period string) string {
	return domain.ReportWorkflowID(campaign, unitCode, period)
}

// ReportMonthID is the workflow id of a campaign month's reports.
func ReportMonthID(campaign, period string) string {
	return fmt.Sprintf("reports/%s/%s", campaign, period)
}

// ReportInput is one monthly report to run.
type ReportInput = domain.ReportSpec

// ReportResult says how a report ended: when accepted, after how many rounds, how late.
type ReportResult struct {
	Status      string    `json:"status"`
	Rounds      int       `json:"rounds"`
	AcceptedAt  time.Time `json:"accepted_at"`
	LateSeconds int64     `json:"late_seconds"`
}

// ReportMonthInput starts a month's reports.
type ReportMonthInput struct {
	CampaignID string `json:"campaign_id"`
	Period     string `json:"period"`
}

// ReportMonthResult counts the month's reports and the late ones.
type ReportMonthResult struct {
	Reports int `json:"reports"`
	Late    int `json:"late"`
}

// InterviewWorkflow runs a summons interview (约谈): schedule → acknowledge → minutes → commitments → confirm.
const InterviewWorkflow = "Interview"

// InterviewID is interview/{id}.
func InterviewID(id int64) string { return domain.InterviewWorkflowID(id) }

// InterviewInput is one interview to run.
type InterviewInput = domain.InterviewSpec

// InterviewResult says how an interview ended: closed, or merged into
// another interview of the unit for the same reason (MergedInto).
type InterviewResult struct {
	Status     string `json:"status"`
	Rounds     int    `json:"rounds"`
	MergedInto int64  `json:"merged_into,omitempty"`
}

// PlanTaskWorkflow runs one plan task: its owner reports it done by the deadline, the ladder escalating.
const PlanTaskWorkflow = "PlanTask"

// PlanTaskID is plan-task/{id}.
func PlanTaskID(id int64) string { return domain.PlanTaskWorkflowID(id) }

// PlanTaskInput is one plan task to run.
type PlanTaskInput = domain.PlanTaskSpec

// AssessmentWorkflow runs a campaign year's assessment: compute, leader approval (return → recompute), publish, interviews.
const AssessmentWorkflow = "Assessment"

// AssessmentID is assessment/{campaign}/{year}.
func AssessmentID(campaign string, year int) string {
	return domain.AssessmentWorkflowID(campaign, year)
}

// AssessmentInput is one year to assess.
type AssessmentInput struct {
	CampaignID   string `json:"campaign_id"`
	Year         int    `json:"year"`
	LeaderUnitID int64  `json:"leader_unit_id"`
	// Clock is the campaign's clock (nil: real time).
	Clock *domain.Clock `json:"clock,omitempty"`
}

// AssessmentResult is the published ranking.
type AssessmentResult struct {
	Rounds  int                   `json:"rounds"`
	Results []domain.AssessedUnit `json:"results"`
}

// Campaign workflow: the calendar of a three-year campaign.
const (
	// CampaignWorkflow runs the campaign's calendar: pledges each year, reports each month, the assessment after each year.
	CampaignWorkflow = "Campaign"
	// UpdatePause, UpdateResume and UpdateEnd steer a campaign.
	UpdatePause  = "pause"
	UpdateResume = "resume"
	UpdateEnd    = "end"
	// QueryProgress answers a campaign's CampaignProgress.
	QueryProgress = "progress"
)

// CampaignID is campaign/{id}.
func CampaignID(id string) string { return "campaign/" + id }

// CalendarEvent is one thing the campaign starts at a time: a year's pledges,
// a month's reports, a year's assessment.
type CalendarEvent struct {
	At       time.Time `json:"at"`
	Kind     string    `json:"kind"` // pledges, reports, assessment
	Year     int       `json:"year"`
	Period   string    `json:"period,omitempty"`
	Workflow string    `json:"workflow"`
}

// CampaignInput starts (or continues) a campaign; Next, Paused and PausedFor carry state across continue-as-new.
type CampaignInput struct {
	ID           string          `json:"id"`
	LeaderUnitID int64           `json:"leader_unit_id"`
	Calendar     []CalendarEvent `json:"calendar"`
	Next         int             `json:"next"`
	// PausedFor is the total time the campaign has been paused: every later event moves by it.
	PausedFor time.Duration `json:"paused_for"`
	Paused    bool          `json:"paused"`
	PausedAt  time.Time     `json:"paused_at"`
	Ended     bool          `json:"ended"`
	// Clock is the campaign's clock (nil: real time); calendar times and pauses are campaign time.
	Clock *domain.Clock `json:"clock,omitempty"`
}

// CampaignProgress is what the progress query answers.
type CampaignProgress struct {
	Next      int            `json:"next"`
	Total     int            `json:"total"`
	NextEvent *CalendarEvent `json:"next_event,omitempty"`
	Last      *CalendarEvent `json:"last,omitempty"`
	Paused    bool           `json:"paused"`
	Ended     bool           `json:"ended"`
	PausedFor time.Duration  `json:"paused_for"`
}
