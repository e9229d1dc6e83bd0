package api

import (
	"time"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// The response bodies the API answers, each a typed struct held to
// api/openapi.yaml by the tests' validator (api/apitest). A store row is
// answered as it is only where the document describes that row.

// status is a liveness or readiness answer.
type status struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks,omitempty"`
}

// Started answers a request to start a process named by what it does.
type Started struct {
	WorkflowID string `json:"workflow_id"`
	Started    bool   `json:"started"`
}

// CampaignView is a campaign as the API shows it: its days as dates.
type CampaignView struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	TimeZone    string     `json:"time_zone"`
	StartsOn    string     `json:"starts_on"`
	EndsOn      string     `json:"ends_on"`
	Policy      store.JSON `json:"policy"`
	CreatedAt   time.Time  `json:"created_at"`
	ClockSpeed  float64    `json:"clock_speed"`
	ClockAnchor *time.Time `json:"clock_anchor,omitempty"`
	EndedAt     *time.Time `json:"ended_at,omitempty"`
}

func viewCampaign(c store.Campaign) CampaignView {
	return CampaignView{
		ID: c.ID, Name: c.Name, TimeZone: c.TimeZone,
		StartsOn: c.StartsOn.Format(time.DateOnly), EndsOn: c.EndsOn.Format(time.DateOnly),
		Policy: c.Policy, CreatedAt: c.CreatedAt, ClockSpeed: c.ClockSpeed, ClockAnchor: c.ClockAnchor, EndedAt: c.EndedAt,
	}
}

// CampaignList is the campaigns, newest first.
type CampaignList struct {
	Campaigns []CampaignSummary `json:"campaigns"`
}

// CampaignSummary is a campaign as a list shows it: its record and its time now.
type CampaignSummary struct {
	CampaignView
	Now time.Time `json:"now"`
}

// CampaignState is one campaign: its record, its time and phase, its
// calendar's progress while the process answers, and its task counts.
type CampaignState struct {
	Campaign      CampaignView               `json:"campaign"`
	Counts        store.CampaignCounts       `json:"counts"`
	Running       bool                       `json:"running"`
	Now           time.Time                  `json:"now"`
	Phase         string                     `json:"phase"`
	Phases        []domain.Phase             `json:"phases"`
	Participants  map[string]int             `json:"participants"`
	CurrentPeriod string                     `json:"current_period,omitempty"`
	Progress      *contract.CampaignProgress `json:"progress,omitempty"`
}

// AccidentRecorded is an accident recorded against a unit's year.
type AccidentRecorded struct {
	ID         int64  `json:"id"`
	Unit       string `json:"unit"`
	Year       int    `json:"year"`
	OccurredOn string `json:"occurred_on"`
	Reason     string `json:"reason"`
}

// InterviewSummoned answers a summons: the interview, and whether the summons
// joined one already open for the unit.
type InterviewSummoned struct {
	Interview store.Interview `json:"interview"`
	Joined    bool            `json:"joined"`
}

// InterviewList answers a list of interviews.
type InterviewList struct {
	Interviews []store.Interview `json:"interviews"`
}

// UnitList answers the unit tree.
type UnitList struct {
	Units []*UnitNode `json:"units"`
}

// systemCheck is what the worker found when the API asked it to look.
type systemCheck struct {
	Units         int       `json:"units"`
	People        int       `json:"people"`
	SchemaVersion int64     `json:"schema_version"`
	CheckedAt     time.Time `json:"checked_at"`
	RequestedBy   string    `json:"requested_by"`
	WorkflowID    string    `json:"workflow_id"`
}

// PlanList answers a campaign's plans.
type PlanList struct {
	Plans []store.Plan `json:"plans"`
}

// PledgeView is a pledge and whether it is past its deadline in campaign time.
type PledgeView struct {
	Pledge  store.Pledge `json:"pledge"`
	Overdue bool         `json:"overdue"`
}

// PledgeList answers a list of pledges.
type PledgeList struct {
	Pledges []PledgeView `json:"pledges"`
}

// PledgeProgressView counts a year's pledges per level.
type PledgeProgressView struct {
	CampaignID string                 `json:"campaign_id"`
	Year       int                    `json:"year"`
	Levels     []store.PledgeProgress `json:"levels"`
}

// ReportView is a monthly report with the figures its unit's records hold for
// its period now (store.ReportRecorded), which prefill its form; once it is
// submitted, the report also holds the figures recorded as of the submission
// (recorded_figures) and the corrections.
type ReportView struct {
	store.Report
	Recorded domain.Figures `json:"recorded"`
}

// ReportList answers a list of monthly reports.
type ReportList struct {
	Reports []store.Report `json:"reports"`
}

// NoticeList answers a list of public notices.
type NoticeList struct {
	Notices []store.NoticeRow `json:"notices"`
}

// ScoreBoard is every reporting unit's score for a year.
type ScoreBoard struct {
	CampaignID string       `json:"campaign_id"`
	Year       int          `json:"year"`
	BaseScore  float64      `json:"base_score"`
	Units      []ScoredUnit `json:"units"`
}

// ScoredUnit is a unit's score with its grade by the campaign's policy and,
// for a unit with a major accident in the year, the veto's reason (一票否决).
type ScoredUnit struct {
	store.UnitScore
	Grade string `json:"grade"`
	Veto  string `json:"veto,omitempty"`
}

// ExtensionRequested answers a request for more time: the decision task it opened.
type ExtensionRequested struct {
	TaskID         string    `json:"task_id"`
	DecisionTaskID string    `json:"decision_task_id"`
	RequestedDueAt time.Time `json:"requested_due_at"`
}

// TaskDetail is one task with its subject, timeline, comments and notifications.
type TaskDetail struct {
	Task          store.Task           `json:"task"`
	Overdue       bool                 `json:"overdue"`
	CanAct        bool                 `json:"can_act"`
	Subject       *store.Assignment    `json:"subject"`
	Timeline      []TimelineEntry      `json:"timeline"`
	Comments      []store.Comment      `json:"comments"`
	Notifications []store.Notification `json:"notifications"`

	// Report: for a monthly report's tasks, the report with the figures its
	// unit's records hold for its period now (report.recorded), to prefill the form.
	Report *ReportView `json:"report,omitempty"`
}

// Inbox is a page of the caller's tasks with its badge counts.
type Inbox struct {
	Tasks         []store.Task         `json:"tasks"`
	NextCursor    string               `json:"next_cursor"`
	Counts        InboxCounts          `json:"counts"`
	Notifications []store.Notification `json:"notifications"`
	CampaignTime  map[string]time.Time `json:"campaign_time"`
}

// InboxCounts are an inbox's badge counts.
type InboxCounts struct {
	Total   int                `json:"total"`
	Overdue int                `json:"overdue"`
	ByKind  []store.InboxCount `json:"by_kind"`
}

// InspectionList answers a list of inspections (without their visits).
type InspectionList struct {
	Inspections []store.Inspection `json:"inspections"`
}

// HazardList answers a list of hazards (隐患台账).
type HazardList struct {
	Hazards []store.Hazard `json:"hazards"`
}

// HazardDetail is a hazard with its evidence files and its loop so far (from the audit log).
type HazardDetail struct {
	Hazard   store.Hazard       `json:"hazard"`
	Files    []store.HazardFile `json:"files"`
	Timeline []TimelineEntry    `json:"timeline"`
}

// StopOrderList answers a list of stop orders, standing first.
type StopOrderList struct {
	StopOrders []store.StopOrder `json:"stop_orders"`
}

// CaseList answers a list of enforcement cases.
type CaseList struct {
	Cases []store.Case `json:"cases"`
}

// TrainingList answers a list of training sessions and the people they trained.
type TrainingList struct {
	Trainings []store.Training `json:"trainings"`
	// Trained is the sum of the listed sessions' people trained.
	Trained int `json:"trained"`
}

// PublicityList answers a list of publicity items.
type PublicityList struct {
	Publicity []store.Publicity `json:"publicity"`
}

// Statistics are the figures counted from the records over a period.
type Statistics struct {
	CampaignID string `json:"campaign_id"`
	From       string `json:"from"`
	To         string `json:"to"`
	store.Stats
}

// ProducerList answers the production units.
type ProducerList struct {
	ProductionUnits []ProducerView `json:"production_units"`
}

// timelineOf is the audit log's rows as a timeline.
func timelineOf(audit []store.AuditEntry) []TimelineEntry {
	out := make([]TimelineEntry, 0, len(audit))
	for _, a := range audit {
		out = append(out, TimelineEntry{At: a.At, Actor: a.Actor, Action: a.Action, TaskID: a.TaskID, Detail: a.After})
	}
	return out
}
