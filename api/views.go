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

// startAnswer answers a request to start a process named by what it does.
type startAnswer struct {
	WorkflowID string `json:"workflow_id"`
	Started    bool   `json:"started"`
}

// campaignView is a campaign as the API shows it: its days as dates.
type campaignView struct {
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

func viewCampaign(c store.Campaign) campaignView {
	return campaignView{
		ID: c.ID, Name: c.Name, TimeZone: c.TimeZone,
		StartsOn: c.StartsOn.Format(time.DateOnly), EndsOn: c.EndsOn.Format(time.DateOnly),
		Policy: c.Policy, CreatedAt: c.CreatedAt, ClockSpeed: c.ClockSpeed, ClockAnchor: c.ClockAnchor, EndedAt: c.EndedAt,
	}
}

// campaignList is the campaigns, newest first.
type campaignList struct {
	Campaigns []campaignSummary `json:"campaigns"`
}

// campaignSummary is a campaign as a list shows it: its record and its time now.
type campaignSummary struct {
	campaignView
	Now time.Time `json:"now"`
}

// campaignState is one campaign: its record, its time and phase, its
// calendar's progress while the process answers, and its task counts.
type campaignState struct {
	Campaign      campaignView               `json:"campaign"`
	Counts        store.CampaignCounts       `json:"counts"`
	Running       bool                       `json:"running"`
	Now           time.Time                  `json:"now"`
	Phase         string                     `json:"phase"`
	Phases        []domain.Phase             `json:"phases"`
	Participants  map[string]int             `json:"participants"`
	CurrentPeriod string                     `json:"current_period,omitempty"`
	Progress      *contract.CampaignProgress `json:"progress,omitempty"`
}

// accidentRecorded is an accident recorded against a unit's year.
type accidentRecorded struct {
	ID         int64  `json:"id"`
	Unit       string `json:"unit"`
	Year       int    `json:"year"`
	OccurredOn string `json:"occurred_on"`
	Reason     string `json:"reason"`
}

// interviewSummoned answers a summons: the interview, and whether the summons
// joined one already open for the unit.
type interviewSummoned struct {
	Interview store.Interview `json:"interview"`
	Joined    bool            `json:"joined"`
}

type interviewList struct {
	Interviews []store.Interview `json:"interviews"`
}

type unitList struct {
	Units []*unitNode `json:"units"`
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

type planList struct {
	Plans []store.Plan `json:"plans"`
}

// pledgeView is a pledge and whether it is past its deadline in campaign time.
type pledgeView struct {
	Pledge  store.Pledge `json:"pledge"`
	Overdue bool         `json:"overdue"`
}

type pledgeList struct {
	Pledges []pledgeView `json:"pledges"`
}

// pledgeProgress counts a year's pledges per level.
type pledgeProgress struct {
	CampaignID string                 `json:"campaign_id"`
	Year       int                    `json:"year"`
	Levels     []store.PledgeProgress `json:"levels"`
}

type reportList struct {
	Reports []store.Report `json:"reports"`
}

type noticeList struct {
	Notices []store.NoticeRow `json:"notices"`
}

// scoreBoard is every reporting unit's score for a year.
type scoreBoard struct {
	CampaignID string            `json:"campaign_id"`
	Year       int               `json:"year"`
	BaseScore  float64           `json:"base_score"`
	Units      []store.UnitScore `json:"units"`
}

// extensionRequested answers a request for more time: the decision task it opened.
type extensionRequested struct {
	TaskID         string    `json:"task_id"`
	DecisionTaskID string    `json:"decision_task_id"`
	RequestedDueAt time.Time `json:"requested_due_at"`
}

// taskDetail is one task with its subject, timeline, comments and notifications.
type taskDetail struct {
	Task          store.Task           `json:"task"`
	Overdue       bool                 `json:"overdue"`
	CanAct        bool                 `json:"can_act"`
	Subject       *store.Assignment    `json:"subject"`
	Timeline      []timelineEntry      `json:"timeline"`
	Comments      []store.Comment      `json:"comments"`
	Notifications []store.Notification `json:"notifications"`
}

// inbox is a page of the caller's tasks with its badge counts.
type inbox struct {
	Tasks         []store.Task         `json:"tasks"`
	NextCursor    string               `json:"next_cursor"`
	Counts        inboxCounts          `json:"counts"`
	Notifications []store.Notification `json:"notifications"`
	CampaignTime  map[string]time.Time `json:"campaign_time"`
}

type inboxCounts struct {
	Total   int                `json:"total"`
	Overdue int                `json:"overdue"`
	ByKind  []store.InboxCount `json:"by_kind"`
}
