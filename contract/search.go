package contract

import (
	"strconv"

	"go.temporal.io/sdk/temporal"

	"github.com/zeren-county/zeren/internal/domain"
)

// Search attributes: what an operator finds zeren's processes by with
// Temporal's own tools (the CLI's `temporal workflow list --query`, the Web
// UI), e.g. ZerenUnit = "jcg" AND ZerenCampaign = "linyou-2020". The
// namespace must have each, of its type (`zeren temporal-setup`; `zeren dev`
// registers them itself). A process gets them when it starts, from its
// workflow type and input (SearchAttributesOf); it changes ZerenState itself
// as its state changes.
var (
	// SearchCampaign is the campaign the process belongs to (its id, e.g. linyou-2020).
	SearchCampaign = temporal.NewSearchAttributeKeyKeyword("ZerenCampaign")
	// SearchUnit is the code of the unit the process is about (the assignee,
	// the reporting or signing unit, the interviewed, the hazard's, the stop
	// order's or the case's unit; e.g. jcg).
	SearchUnit = temporal.NewSearchAttributeKeyKeyword("ZerenUnit")
	// SearchKind is the kind of process (ProcessKind: assignment, report, …).
	SearchKind = temporal.NewSearchAttributeKeyKeyword("ZerenKind")
	// SearchPeriod is a report's month (2021-03).
	SearchPeriod = temporal.NewSearchAttributeKeyKeyword("ZerenPeriod")
	// SearchYear is the campaign year a pledge, a report or an assessment counts in.
	SearchYear = temporal.NewSearchAttributeKeyInt64("ZerenYear")
	// SearchState is where the process stands: the status its last step
	// recorded (open, submitted, accepted, …), as the database has it.
	SearchState = temporal.NewSearchAttributeKeyKeyword("ZerenState")
)

// SearchAttributeKeys are every search attribute zeren sets, with their types.
var SearchAttributeKeys = []temporal.SearchAttributeKey{SearchCampaign, SearchUnit, SearchKind, SearchPeriod, SearchYear, SearchState}

// SearchStateVersion is the change id under which processes upsert ZerenState
// as their state changes (histories before it recorded no upsert).
const SearchStateVersion = "search-state"

// Campaign states (ZerenState of a campaign's process).
const (
	CampaignRunning   = "running"
	CampaignPaused    = "paused"
	CampaignEnded     = "ended"
	CampaignCompleted = "completed"
)

// processKinds is the ZerenKind of each workflow type.
var processKinds = map[string]string{
	SystemCheckWorkflow:    "system-check",
	AssignmentWorkflow:     "assignment",
	PledgeWorkflow:         "pledge",
	PledgeYearWorkflow:     "pledge-year",
	MonthlyReportWorkflow:  "report",
	ReportMonthWorkflow:    "report-month",
	InterviewWorkflow:      "interview",
	PlanTaskWorkflow:       "plan-task",
	AssessmentWorkflow:     "assessment",
	CampaignWorkflow:       "campaign",
	HazardWorkflow:         "hazard",
	StopOrderWorkflow:      "stop-order",
	CaseWorkflow:           "case",
	MeetingMinutesWorkflow: "meeting-minutes",
	PolicyDocumentWorkflow: "policy-document",
	MaterialLoanWorkflow:   "loan",
	MaterialAlertWorkflow:  "material-alert",
	MaterialSweepWorkflow:  "material-sweep",
	DrillWorkflow:          "drill",
}

// ProcessKind is the ZerenKind of a workflow type ("" for a type zeren does not run).
func ProcessKind(workflowType string) string { return processKinds[workflowType] }

// Search is what a process is found by; an empty field is not set.
type Search struct {
	Kind     string
	Campaign string
	Unit     string
	Period   string
	Year     int
	State    string
}

// SearchOf reads a process's search attributes from its workflow type and
// the input it starts with (as passed to the start, by value): its campaign,
// unit code, period and year, and the state it starts in.
func SearchOf(workflowType string, input any) Search {
	s := Search{Kind: ProcessKind(workflowType)}
	switch in := input.(type) {
	case AssignmentInput:
		s.Campaign, s.Unit, s.State = in.CampaignID, in.AssigneeCode, domain.StatusOpen.String()
	case domain.ReportSpec:
		s.Campaign, s.Unit, s.Period, s.State = in.CampaignID, in.UnitCode, in.Period, domain.ReportDue.String()
	case domain.PledgeSpec:
		s.Campaign, s.Unit, s.Year, s.State = in.CampaignID, in.SignerCode, in.Year, domain.PledgeIssued.String()
	case domain.InterviewSpec:
		s.Campaign, s.Unit, s.State = in.CampaignID, in.UnitCode, domain.InterviewSummoned.String()
	case domain.PlanTaskSpec:
		s.Campaign, s.Unit, s.State = in.CampaignID, in.OwnerCode, domain.StatusOpen.String()
	case HazardInput:
		s.Campaign, s.Unit, s.State = in.CampaignID, in.UnitCode, domain.HazardOpen.String()
	case StopOrderInput:
		s.Unit, s.State = in.UnitCode, domain.StopStanding.String()
	case CaseInput:
		s.Unit, s.State = in.UnitCode, domain.CaseFiled.String()
	case domain.PolicyDocumentSpec:
		s.Campaign, s.Unit, s.State = in.CampaignID, in.IssuerCode, domain.DocumentIssued.String()
	case domain.LoanSpec:
		s.Campaign, s.Unit, s.State = in.CampaignID, in.OwnerCode, domain.LoanRequested.String()
	case domain.AlertSpec:
		s.Unit, s.State = in.UnitCode, domain.StatusOpen.String()
	case domain.DrillSpec:
		s.Campaign, s.Unit, s.State, s.Year = in.CampaignID, in.OrganiserCode, domain.DrillPlanned.String(), in.Year
	case AssessmentInput:
		s.Campaign, s.Year = in.CampaignID, in.Year
	case PledgeYearInput:
		s.Campaign, s.Year = in.CampaignID, in.Year
	case ReportMonthInput:
		s.Campaign, s.Period = in.CampaignID, in.Period
	case MeetingMinutesInput:
		s.Campaign, s.Period, s.State = in.CampaignID, in.Period, domain.StatusOpen.String()
		s.Year = in.At.Year()
	case CampaignInput:
		s.Campaign, s.State = in.ID, CampaignRunning
		if in.Ended {
			s.State = CampaignEnded
		} else if in.Paused {
			s.State = CampaignPaused
		}
	}
	if s.Year == 0 && len(s.Period) == 7 {
		// A period's year ("2021-03": 2021) is the year it counts in.
		s.Year, _ = strconv.Atoi(s.Period[:4])
	}
	return s
}

// Attributes are s as Temporal's typed search attributes, empty fields left out.
func (s Search) Attributes() temporal.SearchAttributes {
	var set []temporal.SearchAttributeUpdate
	for _, kv := range []struct {
		key temporal.SearchAttributeKeyKeyword
		v   string
	}{{SearchKind, s.Kind}, {SearchCampaign, s.Campaign}, {SearchUnit, s.Unit}, {SearchPeriod, s.Period}, {SearchState, s.State}} {
		if kv.v != "" {
			set = append(set, kv.key.ValueSet(kv.v))
		}
	}
	if s.Year != 0 {
		set = append(set, SearchYear.ValueSet(int64(s.Year)))
	}
	return temporal.NewSearchAttributes(set...)
}

// SearchAttributesOf are the search attributes a process starts with: every
// start of a zeren process — by the API, an activity or a parent workflow —
// sets them from here.
func SearchAttributesOf(workflowType string, input any) temporal.SearchAttributes {
	return SearchOf(workflowType, input).Attributes()
}
