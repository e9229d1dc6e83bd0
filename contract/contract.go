// Package contract is everything that crosses Temporal: the task queue, every
// workflow, Update, Query and activity name, the workflow-ID builders, and the
// input, result and error type of each. The API, the workflows and the
// activities import it; it imports only internal/domain. Every payload is a
// json-tagged struct of its own (or a domain type): no database row crosses
// Temporal, so a change in internal/store never changes a running history.
//
// The contract is v1: a change that alters what a running process does goes
// behind workflow.GetVersion, and the saved histories of earlier runs replay.
package contract

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

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
	// ErrDataRejected: the database refused an activity's data for good (text it
	// cannot store, a number out of range, a broken constraint): not retried.
	ErrDataRejected = "DataRejected"
)

// Refused says whether an Update's error is the process's own answer — it
// refused (or failed) the Update — rather than Temporal not delivering it.
func Refused(err error) bool {
	var app *temporal.ApplicationError
	return errors.As(err, &app)
}

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
	// Recorded, set only by the engine re-sending a completion whose row its
	// handler wrote before the process lost the Update, is the outcome as the
	// row holds it (checked when it was first sent); Payload is then empty.
	Recorded *domain.Completion `json:"recorded,omitempty"`
	// WithNextSteps asks the process to take its next steps (the review step,
	// the reviewer's task) in the workflow task that completes the task and to
	// answer after them, instead of answering first (LocalStepsAsAsked). The
	// API asks for it while other completions are under way: one history write
	// per completion instead of four, for a few milliseconds more on this one.
	WithNextSteps bool `json:"with_next_steps,omitempty"`
}

// CompleteTaskResult is what the complete-task Update answers once the outcome is recorded.
type CompleteTaskResult struct {
	TaskID      string            `json:"task_id"`
	Kind        string            `json:"kind"`
	Status      domain.Status     `json:"status"`
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

// AssignmentInput starts an assigned matter: the record its process writes
// (its fields flatten into the same JSON object) and how it is reviewed.
type AssignmentInput struct {
	AssignmentRecord
	// CampaignID and Clock: a matter of a campaign (a campaign meeting's
	// decision) runs on the campaign's clock; none: real time.
	CampaignID string        `json:"campaign_id,omitempty"`
	Clock      *domain.Clock `json:"clock,omitempty"`
	ReviewerID int64         `json:"reviewer_id,omitempty"`
	// ReviewPeriod is how long the reviewer has; default 5 days.
	ReviewPeriod time.Duration `json:"review_period,omitempty"`
}

// AssignmentResult is how an assigned matter ended.
type AssignmentResult struct {
	Status     domain.Status `json:"status"`
	Rounds     int           `json:"rounds"`
	ApprovedAt time.Time     `json:"approved_at"`
}

// TasksView is the QueryTasks answer.
type TasksView struct {
	Tasks []TaskView `json:"tasks"`
	Fired []string   `json:"fired"`
}

// TaskView is one human task as the workflow holds it.
type TaskView struct {
	ID     string        `json:"id"`
	Kind   string        `json:"kind"`
	Status domain.Status `json:"status"`
	DueAt  time.Time     `json:"due_at"`
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
	Status  domain.Status `json:"status"`
	Rounds  int           `json:"rounds"`
	Cascade int           `json:"cascade"`
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

// MeetingMinutesWorkflow runs a periodic meeting of a campaign's policy: the
// organising unit's task to record the meeting, the ladder pressing it.
const MeetingMinutesWorkflow = "MeetingMinutes"

// MeetingMinutesID is meeting/{campaign}/{rule}/{period}.
func MeetingMinutesID(campaign string, rule int, period string) string {
	return fmt.Sprintf("meeting/%s/%d/%s", campaign, rule, period)
}

// MeetingMinutesInput is a periodic meeting the calendar reached: its rule
// (an index in the campaign policy's meetings), its period and the time it is held.
type MeetingMinutesInput struct {
	CampaignID string        `json:"campaign_id"`
	Rule       int           `json:"rule"`
	Period     string        `json:"period"`
	At         time.Time     `json:"at"`
	Clock      *domain.Clock `json:"clock,omitempty"`
}

// MeetingMinutesPlan is what a periodic meeting's process needs of its rule:
// the meeting's kind and title, the organising unit, the minutes' deadline and ladder.
type MeetingMinutesPlan struct {
	Kind            string        `json:"kind"`
	Title           string        `json:"title"`
	OrganiserUnitID int64         `json:"organiser_unit_id"`
	IssuerUnitID    int64         `json:"issuer_unit_id"`
	DueAt           time.Time     `json:"due_at"`
	Ladder          domain.Ladder `json:"ladder"`
}

// ReportInput is one monthly report to run.
type ReportInput = domain.ReportSpec

// ReportResult says how a report ended: when accepted, after how many rounds, how late.
type ReportResult struct {
	Status      domain.Status `json:"status"`
	Rounds      int           `json:"rounds"`
	AcceptedAt  time.Time     `json:"accepted_at"`
	LateSeconds int64         `json:"late_seconds"`
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
	Status     domain.Status `json:"status"`
	Rounds     int           `json:"rounds"`
	MergedInto int64         `json:"merged_into,omitempty"`
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

// CampaignInput starts (or continues) a campaign; Next, Paused and PausedFor carry state across continue-as-new.
type CampaignInput struct {
	ID           string                 `json:"id"`
	LeaderUnitID int64                  `json:"leader_unit_id"`
	Calendar     []domain.CalendarEvent `json:"calendar"`
	Next         int                    `json:"next"`
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
	Next      int                   `json:"next"`
	Total     int                   `json:"total"`
	NextEvent *domain.CalendarEvent `json:"next_event,omitempty"`
	Last      *domain.CalendarEvent `json:"last,omitempty"`
	Paused    bool                  `json:"paused"`
	Ended     bool                  `json:"ended"`
	PausedFor time.Duration         `json:"paused_for"`
}

// Activity names, as the worker registers the methods of activities.Activities.
const (
	ActCensus                  = "Census"
	ActCreateTask              = "CreateTask"
	ActCompleteTask            = "CompleteTask"
	ActMoveTaskDue             = "MoveTaskDue"
	ActCancelTask              = "CancelTask"
	ActFireRung                = "FireRung"
	ActRecordStep              = "RecordStep"
	ActRecordAssignment        = "RecordAssignment"
	ActPledgeSpecs             = "PledgeSpecs"
	ActPlanPledges             = "PlanPledges"
	ActStartPledgeProcesses    = "StartPledgeProcesses"
	ActCancelPledgeProcesses   = "CancelPledgeProcesses"
	ActTallyPledges            = "TallyPledges"
	ActRecordPledge            = "RecordPledge"
	ActPlanReports             = "PlanReports"
	ActStartReportProcesses    = "StartReportProcesses"
	ActCancelReportProcesses   = "CancelReportProcesses"
	ActTallyReports            = "TallyReports"
	ActRecordReport            = "RecordReport"
	ActRecordInterview         = "RecordInterview"
	ActInterviewItems          = "InterviewItems"
	ActRecordPlanTask          = "RecordPlanTask"
	ActPlanTaskDone            = "PlanTaskDone"
	ActComputeAssessment       = "ComputeAssessment"
	ActPublishAssessment       = "PublishAssessment"
	ActSteerCampaignProcesses  = "SteerCampaignProcesses"
	ActEndCampaign             = "EndCampaign"
	ActCancelCampaignProcesses = "CancelCampaignProcesses"
	ActListHazard              = "ListHazard"
	ActStopHazardsOpen         = "StopHazardsOpen"
	ActIssueCaseStop           = "IssueCaseStop"
	ActPlanMeetingMinutes      = "PlanMeetingMinutes"
)

// Activities lists every activity name: the worker must register each.
var Activities = []string{ActCensus, ActCreateTask, ActCompleteTask, ActMoveTaskDue, ActCancelTask, ActFireRung, ActRecordStep,
	ActRecordAssignment, ActPledgeSpecs, ActRecordPledge,
	ActPlanPledges, ActStartPledgeProcesses, ActCancelPledgeProcesses, ActTallyPledges,
	ActPlanReports, ActStartReportProcesses, ActCancelReportProcesses, ActTallyReports, ActRecordReport,
	ActRecordInterview, ActInterviewItems, ActRecordPlanTask, ActPlanTaskDone,
	ActComputeAssessment, ActPublishAssessment, ActSteerCampaignProcesses, ActEndCampaign, ActCancelCampaignProcesses,
	ActListHazard, ActStopHazardsOpen, ActIssueCaseStop, ActPlanMeetingMinutes,
	ActRecordPolicyDocument, ActDocumentAcknowledged,
	ActRecordLoan, ActLoanStep, ActMoveLoanMaterials, ActAlertCheck, ActCloseAlert, ActSweepMaterials,
	ActRecordDrill, ActDrillPrepared, ActDrillEvaluated, ActDrillClosed}

// Census is a count of the organisation and the schema version.
type Census struct {
	Units         int   `json:"units"`
	People        int   `json:"people"`
	SchemaVersion int64 `json:"schema_version"`
}

// CompleteTaskInput is a completion the workflow has accepted.
type CompleteTaskInput struct {
	TaskID    string            `json:"task_id"`
	PersonID  int64             `json:"person_id"`
	PersonKey string            `json:"person_key"`
	Outcome   domain.Completion `json:"outcome"`
	UpdateID  string            `json:"update_id"`
	At        time.Time         `json:"at"`
}

// MoveDueInput moves a task's deadline: an approved extension, a campaign's
// pause, an outage's grace.
type MoveDueInput struct {
	TaskID string    `json:"task_id"`
	DueAt  time.Time `json:"due_at"`
	// DecisionTaskID keys the move: the decision task, the pause, the outage.
	DecisionTaskID string    `json:"decision_task_id"`
	PersonKey      string    `json:"person_key"`
	At             time.Time `json:"at"`
	// Reason is recorded with the move (e.g. 系统故障顺延).
	Reason string `json:"reason,omitempty"`
}

// Step is a step of a subject under a process — an assigned matter, a report,
// a pledge, an interview — as the task that made it answered; recorded once
// per subject, status and round, with its audit row.
type Step struct {
	Subject string            `json:"subject"` // domain.SubjectAssignment, …
	ID      string            `json:"id"`
	Status  domain.Status     `json:"status"`
	Round   int               `json:"round"`
	By      string            `json:"by"`
	At      time.Time         `json:"at"`
	Outcome domain.Completion `json:"outcome"`
}

// AssessmentComputed is a year's computed results and how long the leader has to approve them.
type AssessmentComputed struct {
	Results      []domain.AssessedUnit `json:"results"`
	ApprovalDays int                   `json:"approval_days"`
}

// CancelTaskInput closes a task nobody needs to do any more.
type CancelTaskInput struct {
	TaskID string    `json:"task_id"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// FireRungInput is one rung of a ladder firing for one subject.
type FireRungInput struct {
	// Key is the ladder's stable key; Key#Index is the rung's idempotency key.
	Key          string      `json:"key"`
	Index        int         `json:"index"`
	Rung         domain.Rung `json:"rung"`
	WorkflowID   string      `json:"workflow_id"`
	TaskID       string      `json:"task_id"`
	Title        string      `json:"title"`
	SubjectType  string      `json:"subject_type"`
	SubjectID    string      `json:"subject_id"`
	CampaignID   string      `json:"campaign_id,omitempty"`
	UnitID       int64       `json:"unit_id"`
	IssuerUnitID int64       `json:"issuer_unit_id"`
	DueAt        time.Time   `json:"due_at"`
	At           time.Time   `json:"at"`
	// Year is the assessment year a deduction counts in: the year of the period
	// or pledge the task concerns (0: the deadline's year, in the campaign's zone).
	Year int `json:"year,omitempty"`
	// Grace asks the activity, before a penalty, whether the deadline fell in
	// an engine outage; if so it answers the grace instead of firing.
	Grace bool `json:"grace,omitempty"`
}

// RungKey is the idempotency key of one rung of one ladder.
func RungKey(ladderKey string, index int) string { return ladderKey + "#" + strconv.Itoa(index) }

// FireRungResult names the interview an interview rung summoned, and whether
// the workflow must start its process; or the grace an outage gives the task
// instead of the rung; or why the rung was not fired.
type FireRungResult struct {
	Summons *SummonResult `json:"summons,omitempty"`
	Grace   *Grace        `json:"grace,omitempty"`
	Skipped string        `json:"skipped,omitempty"`
}

// Grace moves a task's deadline because it fell in an engine outage.
type Grace struct {
	// Key names the outage and the task, so the move is recorded once.
	Key     string        `json:"key"`
	ShiftBy time.Duration `json:"shift_by"`
	Reason  string        `json:"reason"`
}

// OutageReason is the reason an outage grace is recorded with.
const OutageReason = "系统故障顺延"

// SummonResult says which interview a summons joined, and whether it is new
// (then the caller starts its process with Spec).
type SummonResult struct {
	InterviewID int64                `json:"interview_id"`
	Created     bool                 `json:"created"`
	Spec        domain.InterviewSpec `json:"spec"`
}

// AssignmentRecord is an assigned matter as its process records it.
type AssignmentRecord struct {
	ID             int64         `json:"id"`
	Title          string        `json:"title"`
	Content        string        `json:"content"`
	DueAt          time.Time     `json:"due_at"`
	IssuerUnitID   int64         `json:"issuer_unit_id"`
	AssignerID     int64         `json:"assigner_id"`
	AssignerKey    string        `json:"assigner_key"`
	AssigneeUnitID int64         `json:"assignee_unit_id"`
	AssigneeCode   string        `json:"assignee_code,omitempty"` // the assignee unit's code: its ZerenUnit
	ReviewerUnitID int64         `json:"reviewer_unit_id"`
	ReviewerRole   domain.Role   `json:"reviewer_role"`
	Ladder         domain.Ladder `json:"ladder"`
	// IdempotencyKey is the assigner's request key: a retried request finds the matter by it.
	IdempotencyKey string    `json:"idempotency_key,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
}

// PledgeSignersInput asks for the pledges an issuer signs in a year.
type PledgeSignersInput struct {
	CampaignID   string `json:"campaign_id"`
	Year         int    `json:"year"`
	IssuerUnitID int64  `json:"issuer_unit_id"`
	Level        int    `json:"level"`
	// Now is workflow (wall) time; the campaign's clock turns it into campaign time.
	Now time.Time `json:"now"`
}

// PledgePlan is how an issuer's pledges fan out: the specs themselves for a
// county (started as child processes), or only their number when there are
// too many for one workflow's children and one payload (a province's 2,500
// specs are 2.9 MB, over Temporal's 2 MiB): then StartPledgeProcesses starts
// them through the client.
type PledgePlan struct {
	Specs []domain.PledgeSpec `json:"specs,omitempty"`
	Total int                 `json:"total"`
	Clock *domain.Clock       `json:"clock,omitempty"`
}

// PledgeTally counts an issuer's pledges of a year: issued, in force, and
// (for the year's result) every pledge of the campaign's year.
type PledgeTally struct {
	Pledges int `json:"pledges"`
	InForce int `json:"in_force"`
	Year    int `json:"year"`
}

// RecordPledgeInput is an issued pledge to record.
type RecordPledgeInput struct {
	Spec domain.PledgeSpec `json:"spec"`
	At   time.Time         `json:"at"`
}

// ReportSpecsInput asks for the month's reports of a campaign.
type ReportSpecsInput struct {
	CampaignID string `json:"campaign_id"`
	Period     string `json:"period"`
}

// ReportPlan is how a month's reports fan out: the specs themselves for a
// county (started as child processes), or only their number when there are
// too many for one workflow's history and children (a province): then
// StartReportProcesses starts them through the client.
type ReportPlan struct {
	Specs []domain.ReportSpec `json:"specs,omitempty"`
	Total int                 `json:"total"`
	Clock *domain.Clock       `json:"clock,omitempty"`
}

// ReportTally counts a month's reports: all, accepted, and accepted late.
type ReportTally struct {
	Reports  int `json:"reports"`
	Accepted int `json:"accepted"`
	Late     int `json:"late"`
}

// RecordReportInput is a due report to record.
type RecordReportInput struct {
	Spec domain.ReportSpec `json:"spec"`
	At   time.Time         `json:"at"`
}

// RecordInterviewResult says whether the interview's process has work: 0, or
// the other interview of the unit for the same reason that its summons joined.
type RecordInterviewResult struct {
	MergedInto int64 `json:"merged_into,omitempty"`
}

// PlanTaskDoneInput records a plan task done.
type PlanTaskDoneInput struct {
	ID int64     `json:"id"`
	By string    `json:"by"`
	At time.Time `json:"at"`
}

// AssessmentStep names a campaign year's assessment at one of its rounds.
type AssessmentStep struct {
	CampaignID string    `json:"campaign_id"`
	Year       int       `json:"year"`
	Round      int       `json:"round"`
	By         string    `json:"by,omitempty"`
	At         time.Time `json:"at"`
}

// SteerInput tells a campaign's processes it paused or resumed.
type SteerInput struct {
	CampaignID string        `json:"campaign_id"`
	Paused     bool          `json:"paused"`
	ShiftBy    time.Duration `json:"shift_by"`
	Key        string        `json:"key"`
}

// EndCampaignInput ends a campaign at At (campaign time).
type EndCampaignInput struct {
	CampaignID string    `json:"campaign_id"`
	At         time.Time `json:"at"`
	By         string    `json:"by,omitempty"`
}

// CancelProcessesInput names the workflows to cancel besides a campaign's
// processes with open tasks.
type CancelProcessesInput struct {
	CampaignID string   `json:"campaign_id"`
	Also       []string `json:"also,omitempty"`
	Reason     string   `json:"reason"`
}

// Hazards, stop orders and enforcement cases (issue 13).
const (
	HazardWorkflow    = "Hazard"
	StopOrderWorkflow = "StopOrder"
	CaseWorkflow      = "EnforcementCase"
)

// HazardID is a hazard's process: hazard/{id}.
func HazardID(id int64) string { return fmt.Sprintf("hazard/%d", id) }

// StopOrderID is the process that lifts a stop order: stop-order/{id}.
func StopOrderID(id int64) string { return fmt.Sprintf("stop-order/%d", id) }

// CaseID is an enforcement case's process: case/{id}.
func CaseID(id int64) string { return fmt.Sprintf("case/%d", id) }

// HazardInput starts a hazard's closed loop. A general hazard: the unit
// rectifies by the deadline → the finding body verifies (复查) → closed or
// returned. A major one: the unit's 五到位 plan → the supervising department
// approves or returns it → listed for county supervision (挂牌督办, the named
// leader) with a public notice → rectification → verification by the
// supervising department → closed.
type HazardInput struct {
	ID       int64     `json:"id"`
	Title    string    `json:"title"`
	UnitID   int64     `json:"unit_id"`
	UnitCode string    `json:"unit_code,omitempty"`
	Level    string    `json:"level"`
	Deadline time.Time `json:"deadline"`
	FoundAt  time.Time `json:"found_at"`
	// FinderUnitID verifies a general hazard in the role VerifierRole.
	FinderUnitID int64       `json:"finder_unit_id"`
	VerifierRole domain.Role `json:"verifier_role"`
	// SupervisorUnitID is the supervising department: it approves a major
	// hazard's plan and verifies its rectification, as its unit head.
	SupervisorUnitID int64 `json:"supervisor_unit_id"`
	// CountyUnitID sends the letters of a listed hazard; LeaderID supervises it.
	CountyUnitID int64               `json:"county_unit_id"`
	LeaderID     int64               `json:"leader_id,omitempty"`
	Policy       domain.HazardPolicy `json:"policy"`
	CampaignID   string              `json:"campaign_id,omitempty"`
	// Clock: the loop runs on this campaign clock (a drill's problem on a
	// campaign's clock); nil, as for POST /hazards, is real time.
	Clock *domain.Clock `json:"clock,omitempty"`
}

// HazardResult is how a hazard's loop ended.
type HazardResult struct {
	Status   domain.Status `json:"status"`
	Rounds   int           `json:"rounds"`
	ClosedAt time.Time     `json:"closed_at"`
}

// ListHazardInput lists a major hazard for county supervision with its public notice.
type ListHazardInput struct {
	HazardID     int64     `json:"hazard_id"`
	LeaderID     int64     `json:"leader_id"`
	IssuerUnitID int64     `json:"issuer_unit_id"`
	UnitID       int64     `json:"unit_id"`
	Title        string    `json:"title"`
	At           time.Time `json:"at"`
}

// StopOrderInput starts the lifting of a stop order: the unit applies to
// resume (复产申请) once the hazards behind it are closed → the supervising
// department accepts on site (复产验收) → a county leader approves → lifted.
type StopOrderInput struct {
	ID               int64  `json:"id"`
	Title            string `json:"title"`
	UnitID           int64  `json:"unit_id"`
	UnitCode         string `json:"unit_code,omitempty"`
	SupervisorUnitID int64  `json:"supervisor_unit_id"`
	CountyUnitID     int64  `json:"county_unit_id"`
	// StepDays is how long each decision may take; default 5.
	StepDays int           `json:"step_days,omitempty"`
	Ladder   domain.Ladder `json:"ladder,omitempty"`
}

// StopOrderResult is when a stop order was lifted.
type StopOrderResult struct {
	Rounds   int       `json:"rounds"`
	LiftedAt time.Time `json:"lifted_at"`
}

// CaseInput starts an enforcement case's steps (调查取证 → 告知 → 决定 → 执行 → 结案), each a
// task of the authority with a ladder.
type CaseInput struct {
	ID              int64         `json:"id"`
	Title           string        `json:"title"`
	UnitID          int64         `json:"unit_id"`
	UnitCode        string        `json:"unit_code,omitempty"`
	AuthorityUnitID int64         `json:"authority_unit_id"`
	StepDays        int           `json:"step_days,omitempty"`
	Ladder          domain.Ladder `json:"ladder,omitempty"`
}

// CaseStopInput asks for the stop order an enforcement decision to stop
// production (decision stop) issues against the case's unit.
type CaseStopInput struct {
	CaseID int64     `json:"case_id"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// CaseStopResult is the stop order issued (once per case) and the input of its lifting process.
type CaseStopResult struct {
	Lifting StopOrderInput `json:"lifting"`
}

// LocalStepsVersion is the change id under which a process's short database
// steps — its own row, its tasks' rows, its review steps, and an Update
// handler's CompleteTask, MoveTaskDue and CancelTask — run as local activities.
// At LocalStepsAnswerFirst (2) the workflow task that answers a completion's
// Update also ends before the process takes its next steps (the review step,
// the reviewer's task): the Update is answered once its own row is written.
// At LocalStepsAsAsked (3) a completion that asks for it
// (CompleteTaskRequest.WithNextSteps) is answered with its next steps instead.
const LocalStepsVersion = "local-db-steps"

const (
	// LocalStepsAnswerFirst is LocalStepsVersion's second version (see there).
	LocalStepsAnswerFirst = 2
	// LocalStepsAsAsked is LocalStepsVersion's third version (see there);
	// every GetVersion of that change id names it as the highest supported.
	LocalStepsAsAsked = 3
)

// PledgesFromActivityVersion is the change id under which an issuer's
// pledges are planned (PlanPledges) and, past the children's limit, started
// from an activity and tallied from the database, as a province's monthly
// reports are; histories before it asked PledgeSpecs for every spec.
const PledgesFromActivityVersion = "pledges-from-activity"

// CaseStopVersion is the change id under which a case's decision to stop
// production issues its stop order (histories before it recorded no order).
const CaseStopVersion = "case-decision-stops"

// CaseResult is a closed case.
type CaseResult struct {
	Decision string    `json:"decision"`
	ClosedAt time.Time `json:"closed_at"`
}

// Policy documents (制度, issue 15): one process per version of a document.
const (
	// PolicyDocumentWorkflow asks each named unit to acknowledge (签收) one
	// version of a policy document, a ladder beside each unit's task.
	PolicyDocumentWorkflow = "PolicyDocument"
	// ActRecordPolicyDocument writes the version and its units, if the API's transaction did not.
	ActRecordPolicyDocument = "RecordPolicyDocument"
	// ActDocumentAcknowledged records one unit's acknowledgement (audit) and,
	// with the last, the version acknowledged by all.
	ActDocumentAcknowledged = "DocumentAcknowledged"
)

// PolicyDocumentID is policy-document/{id}.
func PolicyDocumentID(id int64) string { return domain.PolicyDocumentWorkflowID(id) }

// PolicyDocumentInput is one version of a policy document to run.
type PolicyDocumentInput = domain.PolicyDocumentSpec

// PolicyDocumentResult counts a version's acknowledgements.
type PolicyDocumentResult struct {
	Units        int `json:"units"`
	Acknowledged int `json:"acknowledged"`
}

// DocumentAcknowledgedInput is one unit's acknowledgement as its task recorded it.
type DocumentAcknowledgedInput struct {
	DocumentID int64     `json:"document_id"`
	UnitID     int64     `json:"unit_id"`
	TaskID     string    `json:"task_id"`
	By         string    `json:"by"`
	At         time.Time `json:"at"`
	Comment    string    `json:"comment,omitempty"`
	// All is true for the last unit's: the version is acknowledged by every unit.
	All bool `json:"all,omitempty"`
}

// DocumentAckTaskID is the id of a unit's acknowledgement task of a policy document version.
func DocumentAckTaskID(documentID, unitID int64) string {
	return TaskID(PolicyDocumentID(documentID), "ack-"+strconv.FormatInt(unitID, 10), 1)
}

// Rescue materials (救援物资, issue 15 point 2): loans between mines and stock alerts.
const (
	// MaterialLoanWorkflow runs one loan: the owner approves, hands over, the borrower returns.
	MaterialLoanWorkflow = "MaterialLoan"
	// MaterialAlertWorkflow asks a mine to restock a low item or inspect an expired one.
	MaterialAlertWorkflow = "MaterialAlert"
	// ActRecordLoan writes the loan and its items, if the API's transaction did not.
	ActRecordLoan = "RecordLoan"
	// ActLoanStep records a loan's approval or refusal (status and audit), once.
	ActLoanStep = "LoanStep"
	// ActMoveLoanMaterials moves a loan's items (hand-over or return) in one
	// transaction, once; a hand-over of more than is in stock is refused
	// (ErrInsufficientStock, the fields as details). It answers the stock
	// alerts the movement opened.
	ActMoveLoanMaterials = "MoveLoanMaterials"
	// ActAlertCheck reads whether an alert's condition still holds.
	ActAlertCheck = "AlertCheck"
	// ActCloseAlert closes an alert whose condition is cleared.
	ActCloseAlert = "CloseAlert"
	// MaterialSweepWorkflow checks every inventory once a day (expiry dates
	// pass without a write) and starts the alerts it opens; one per county,
	// id MaterialSweepID, started by every worker (a second start is a no-op).
	MaterialSweepWorkflow = "MaterialSweep"
	// MaterialSweepID is the sweep's workflow id.
	MaterialSweepID = "material-sweep"
	// ActSweepMaterials opens the alerts every item due for one has not got open (idempotent) and answers them.
	ActSweepMaterials = "SweepMaterials"
	// ErrInsufficientStock refuses a hand-over of more than the owner holds.
	ErrInsufficientStock = "InsufficientStock"
)

// LoanID is loan/{id}.
func LoanID(id int64) string { return domain.LoanWorkflowID(id) }

// MaterialAlertID is material-alert/{id}.
func MaterialAlertID(id int64) string { return domain.MaterialAlertWorkflowID(id) }

// LoanInput is a loan to run.
type LoanInput = domain.LoanSpec

// LoanResult is how a loan ended.
type LoanResult struct {
	Status domain.Status `json:"status"`
	// ReturnHow: return or replace, for a returned loan.
	ReturnHow string `json:"return_how,omitempty"`
}

// LoanStepInput is a loan's approval or refusal as its task recorded it.
type LoanStepInput struct {
	LoanID  int64         `json:"loan_id"`
	Status  domain.Status `json:"status"`
	TaskID  string        `json:"task_id"`
	By      string        `json:"by"`
	At      time.Time     `json:"at"`
	Comment string        `json:"comment,omitempty"`
}

// Loan movement steps.
const (
	MoveHandover = "handover"
	MoveReturn   = "return"
)

// MoveInput is a loan's hand-over or return of all its items.
type MoveInput struct {
	LoanID int64     `json:"loan_id"`
	Step   string    `json:"step"` // handover | return
	How    string    `json:"how,omitempty"`
	Note   string    `json:"note,omitempty"`
	TaskID string    `json:"task_id"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// MoveResult lists the stock alerts a movement opened (their processes to start).
type MoveResult struct {
	Alerts []domain.AlertSpec `json:"alerts,omitempty"`
}

// AlertInput is a stock alert to run.
type AlertInput = domain.AlertSpec

// AlertCheck says whether an alert's condition still holds, and how.
type AlertCheck struct {
	Exists bool   `json:"exists"`
	Holds  bool   `json:"holds"`
	Detail string `json:"detail,omitempty"`
}

// AlertStepInput checks or closes an alert at a time (the process's).
type AlertStepInput struct {
	ID int64     `json:"id"`
	At time.Time `json:"at"`
	By string    `json:"by"`
}

// AlertResult is how many rounds an alert took.
type AlertResult struct {
	Rounds int  `json:"rounds"`
	Closed bool `json:"closed"`
}

// SweepInput is the daily sweep's state across Continue-As-New.
type SweepInput struct {
	// Runs counts the sweeps run so far (by every run of the workflow).
	Runs int `json:"runs"`
}

// Joint drills (联合演练, issue 15): one process per drill.
const (
	// DrillWorkflow asks each participating mine to prepare, the organiser to
	// record the drill and its evaluation, and runs each problem found as a
	// general hazard's loop; it ends when every one is closed.
	DrillWorkflow = "Drill"
	// ActRecordDrill writes the drill and its units, if the API's transaction did not.
	ActRecordDrill = "RecordDrill"
	// ActDrillPrepared records a mine's preparation (audit).
	ActDrillPrepared = "DrillPrepared"
	// ActDrillEvaluated records the drill's evaluation and opens a general
	// hazard per problem (once each), answering their loops' inputs.
	ActDrillEvaluated = "DrillEvaluated"
	// ActDrillClosed records that every problem of the drill is rectified.
	ActDrillClosed = "DrillClosed"
)

// DrillID is drill/{id}.
func DrillID(id int64) string { return domain.DrillWorkflowID(id) }

// DrillInput is a drill to run.
type DrillInput = domain.DrillSpec

// DrillResult is how a drill's process ended.
type DrillResult struct {
	Prepared int     `json:"prepared"`
	Hazards  []int64 `json:"hazards"`
}

// DrillPrepareTaskID is the id of a mine's preparation task of a drill.
func DrillPrepareTaskID(drillID, unitID int64) string {
	return TaskID(DrillID(drillID), "prepare-"+strconv.FormatInt(unitID, 10), 1)
}

// DrillEvaluateTaskID is the id of a drill's record-and-evaluation task.
func DrillEvaluateTaskID(drillID int64) string { return TaskID(DrillID(drillID), "evaluate", 1) }

// DrillPreparedInput is a mine's preparation as its task recorded it.
type DrillPreparedInput struct {
	DrillID int64     `json:"drill_id"`
	UnitID  int64     `json:"unit_id"`
	TaskID  string    `json:"task_id"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
	Result  string    `json:"result"`
}

// DrillEvaluatedInput is the organiser's record of a drill as its task recorded it.
type DrillEvaluatedInput struct {
	DrillID int64              `json:"drill_id"`
	TaskID  string             `json:"task_id"`
	By      string             `json:"by"`
	At      time.Time          `json:"at"`
	Record  domain.DrillRecord `json:"record"`
}

// DrillEvaluatedResult are the loops of the hazards the problems opened, in the problems' order.
type DrillEvaluatedResult struct {
	Hazards []HazardInput `json:"hazards"`
}

// DrillClosedInput closes a drill whose problems are all rectified.
type DrillClosedInput struct {
	DrillID int64     `json:"drill_id"`
	At      time.Time `json:"at"`
}
