package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// TaskKind names what a human task asks for; each kind has its own payload.
type TaskKind string

// The task kinds.
const (
	// KindAssignmentComplete: the assignee unit's head reports the result of an assigned matter.
	KindAssignmentComplete TaskKind = "assignment.complete"
	// KindAssignmentReview: the assigner approves the result or returns it with a comment.
	KindAssignmentReview TaskKind = "assignment.review"
	// KindExtensionDecide: the issuing unit approves or refuses a request for more time (申请延期).
	KindExtensionDecide TaskKind = "extension.decide"
)

// TaskKinds lists every kind.
var TaskKinds = []TaskKind{KindAssignmentComplete, KindAssignmentReview, KindExtensionDecide, KindPledgeSign, KindPledgeCountersign, KindReportSubmit, KindReportReview,
	KindInterviewSchedule, KindInterviewAcknowledge, KindInterviewMinutes, KindInterviewCommitments, KindInterviewFulfil, KindInterviewConfirm,
	KindPlanTaskDone, KindAssessmentApprove,
	KindHazardRectify, KindHazardVerify, KindHazardPlan, KindHazardApprovePlan, KindStopResume, KindStopAccept, KindStopApprove,
	KindCaseStep, KindCaseDecide, KindMeetingMinutes,
	KindDocumentAcknowledge,
	KindLoanApprove, KindLoanHandover, KindLoanReturn, KindMaterialRestock, KindMaterialInspect,
	KindDrillPrepare, KindDrillEvaluate}

// ExtensionDecisionDays is how long the issuing unit has to decide a request for more time.
const ExtensionDecisionDays = 3

// Extendable says whether the assignee of this kind may ask for more time.
func (k TaskKind) Extendable() bool {
	return k == KindAssignmentComplete || k == KindReportSubmit || k == KindPlanTaskDone || k == KindInterviewFulfil || k == KindHazardRectify
}

// ParseTaskKind checks a kind name.
func ParseTaskKind(s string) (TaskKind, error) {
	for _, k := range TaskKinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown task kind %q", s)
}

// Decisions of approval tasks.
const (
	DecisionApprove = "approve"
	DecisionReturn  = "return"
	DecisionRefuse  = "refuse"
	DecisionAccept  = "accept"
)

// Attachment is a reference to a file kept elsewhere (a document system).
type Attachment struct {
	Name string `json:"name"`
	Ref  string `json:"ref"`
}

// Completion is a validated completion payload, whatever the kind.
type Completion struct {
	// Result and Attachments: assignment.complete.
	Result      string       `json:"result,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
	// Targets: a pledge signer's proposed changes.
	Targets []Target `json:"targets,omitempty"`
	// Interview steps.
	InterviewCompletion
	// Report: a monthly report.
	Report *Report `json:"report,omitempty"`
	// Decision and Comment: approvals.
	Decision string `json:"decision,omitempty"`
	Comment  string `json:"comment,omitempty"`
	// Plan: a major hazard's 五到位 plan.
	Plan *Plan `json:"plan,omitempty"`
	// Number and Fine: an enforcement case's step (its document's number) and decision.
	Number string   `json:"number,omitempty"`
	Fine   *float64 `json:"fine,omitempty"`
	// MeetingID: the meeting recorded for a periodic meeting's minutes task.
	MeetingID int64 `json:"meeting_id,omitempty"`
	// How: a loan's return — return (归还) or replace (更换补充).
	How string `json:"how,omitempty"`
	// Drill: a joint drill's record and evaluation (drill.evaluate).
	Drill *DrillRecord `json:"drill,omitempty"`
}

const (
	maxText        = 20000
	maxAttachments = 50
)

// completionFields are the payload fields each kind takes.
var completionFields = map[TaskKind][]string{
	KindAssignmentComplete:   {"result", "attachments"},
	KindAssignmentReview:     {"decision", "comment"},
	KindExtensionDecide:      {"decision", "comment"},
	KindPledgeSign:           {"decision", "targets", "comment"},
	KindPledgeCountersign:    {"decision", "comment"},
	KindReportSubmit:         {"figures", "progress", "problems", "next_steps"},
	KindReportReview:         {"decision", "comment"},
	KindInterviewSchedule:    {"scheduled_at", "place", "leader"},
	KindInterviewAcknowledge: {"note"},
	KindInterviewMinutes:     {"minutes"},
	KindInterviewCommitments: {"commitments", "commitments_due"},
	KindInterviewFulfil:      {"result", "attachments"},
	KindInterviewConfirm:     {"decision", "comment"},
	KindPlanTaskDone:         {"result", "attachments"},
	KindAssessmentApprove:    {"decision", "comment"},
	KindHazardRectify:        {"result", "attachments"},
	KindHazardVerify:         {"decision", "comment"},
	KindHazardPlan:           {"measures", "funds", "deadline", "responsible", "contingency"},
	KindHazardApprovePlan:    {"decision", "comment"},
	KindStopResume:           {"result", "attachments"},
	KindStopAccept:           {"decision", "comment"},
	KindStopApprove:          {"decision", "comment"},
	KindCaseStep:             {"note", "number"},
	KindCaseDecide:           {"decision", "fine", "note", "number"},
	KindMeetingMinutes:       {"meeting_id"},
	KindDocumentAcknowledge:  {"comment"},
	KindLoanApprove:          {"decision", "comment"},
	KindLoanHandover:         {"decision", "note"},
	KindLoanReturn:           {"how", "note"},
	KindMaterialRestock:      {"note"},
	KindMaterialInspect:      {"note"},
	KindDrillPrepare:         {"result", "attachments"},
	KindDrillEvaluate:        {"held_on", "present", "evaluation", "problems"},
}

// DecodeCompletion reads and validates a completion payload for a kind: unknown
// fields, wrong types, text that cannot be stored and broken rules are a
// ValidationError naming the field.
func DecodeCompletion(kind TaskKind, raw []byte) (Completion, error) {
	var c Completion
	v := &ValidationError{}
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	var body map[string]json.RawMessage
	if err := dec.Decode(&body); err != nil || body == nil {
		v.Add("payload", MsgObject)
		return c, v
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		v.Add("payload", MsgOneJSONObject)
		return c, v
	}
	allowed := completionFields[kind]
	if allowed == nil {
		v.Add("kind", "不认识的待办类型")
		return c, v
	}
	for k, val := range body {
		if !slices.Contains(allowed, k) {
			field := k
			if field == "" || TextProblem(field) != "" {
				field = "payload"
			}
			v.Add(field, MsgUnknownField+"，此类待办可填："+strings.Join(allowed, "、"))
			continue
		}
		if kind == KindDrillEvaluate {
			decodeDrillField(k, val, &c, v)
			continue
		}
		switch k {
		case "result":
			DecodeField(v, k, val, &c.Result)
		case "attachments":
			DecodeField(v, k, val, &c.Attachments)
		case "decision":
			DecodeField(v, k, val, &c.Decision)
		case "comment":
			DecodeField(v, k, val, &c.Comment)
		case "targets":
			DecodeField(v, k, val, &c.Targets)
		case "scheduled_at":
			DecodeField(v, k, val, &c.ScheduledAt)
		case "commitments_due":
			DecodeField(v, k, val, &c.CommitmentsDue)
		case "place":
			DecodeField(v, k, val, &c.Place)
		case "leader":
			DecodeField(v, k, val, &c.Leader)
		case "note":
			DecodeField(v, k, val, &c.Note)
		case "minutes":
			DecodeField(v, k, val, &c.Minutes)
		case "commitments":
			DecodeField(v, k, val, &c.Commitments)
		case "measures", "funds", "deadline", "responsible", "contingency":
			if c.Plan == nil {
				c.Plan = &Plan{}
			}
			switch k {
			case "measures":
				DecodeField(v, k, val, &c.Plan.Measures)
			case "funds":
				DecodeField(v, k, val, &c.Plan.Funds)
			case "deadline":
				DecodeField(v, k, val, &c.Plan.Deadline)
			case "responsible":
				DecodeField(v, k, val, &c.Plan.Responsible)
			case "contingency":
				DecodeField(v, k, val, &c.Plan.Contingency)
			}
		case "number":
			DecodeField(v, k, val, &c.Number)
		case "fine":
			DecodeField(v, k, val, &c.Fine)
		case "meeting_id":
			DecodeField(v, k, val, &c.MeetingID)
		case "how":
			DecodeField(v, k, val, &c.How)
		case "figures", "progress", "problems", "next_steps":
			if c.Report == nil {
				c.Report = &Report{}
			}
			decodeReportField(k, val, c.Report, v)
		}
	}
	if len(v.Fields) > 0 {
		v.Sort()
		return c, v
	}
	switch kind {
	case KindAssignmentComplete, KindPlanTaskDone, KindInterviewFulfil, KindHazardRectify, KindStopResume, KindDrillPrepare:
		checkText(v, "result", &c.Result, true)
		if len(c.Attachments) > maxAttachments {
			v.Add("attachments", MsgAtMostItems(maxAttachments))
		}
		for i := range c.Attachments {
			a := &c.Attachments[i]
			v.Text(fmt.Sprintf("attachments[%d].name", i), &a.Name, true, 200)
			v.Text(fmt.Sprintf("attachments[%d].ref", i), &a.Ref, true, 2000)
		}
	case KindAssignmentReview, KindPledgeCountersign, KindAssessmentApprove, KindHazardVerify, KindHazardApprovePlan, KindStopAccept, KindStopApprove:
		checkApproval(v, &c, DecisionApprove)
	case KindPledgeSign:
		switch c.Decision {
		case DecisionSign:
			if len(c.Targets) > 0 {
				v.Add("targets", "只在 decision 为 propose（提出修改）时填写")
			}
			checkText(v, "comment", &c.Comment, false)
		case DecisionPropose:
			ValidateTargets("targets", c.Targets, v)
			checkText(v, "comment", &c.Comment, true)
		default:
			v.Add("decision", MsgOneOf(DecisionSign, DecisionPropose))
		}
	case KindReportSubmit:
		if c.Report == nil {
			c.Report = &Report{}
		}
		c.Report.Validate(v)
	case KindReportReview:
		checkApproval(v, &c, DecisionAccept)
	case KindInterviewSchedule:
		if c.ScheduledAt == nil {
			v.Add("scheduled_at", MsgRequired)
		}
		checkText(v, "place", &c.Place, true)
		checkText(v, "leader", &c.Leader, true)
	case KindHazardPlan:
		if c.Plan == nil {
			c.Plan = &Plan{}
		}
		c.Plan.Validate("", v)
	case KindCaseStep:
		checkText(v, "note", &c.Note, false)
		v.Text("number", &c.Number, false, 100)
	case KindCaseDecide:
		oneOf(v, "decision", c.Decision, CaseDecisions)
		if checkFine(v, c.Decision, c.Fine) && c.Fine != nil && c.Decision != "fine" && *c.Fine > 0 {
			v.Add("fine", "只有罚款决定填写金额")
		}
		checkText(v, "note", &c.Note, false)
		v.Text("number", &c.Number, true, 100)
	case KindInterviewAcknowledge:
		checkText(v, "note", &c.Note, false)
	case KindDocumentAcknowledge:
		v.Text("comment", &c.Comment, false, 2000)
	case KindDrillEvaluate:
		if c.Drill == nil {
			c.Drill = &DrillRecord{}
		}
		c.Drill.validate(v)
	case KindInterviewMinutes:
		checkText(v, "minutes", &c.Minutes, true)
	case KindInterviewCommitments:
		switch {
		case len(c.Commitments) == 0:
			v.Add("commitments", "至少一条整改承诺")
		case len(c.Commitments) > 100:
			v.Add("commitments", MsgAtMostItems(100))
		}
		for i := range c.Commitments {
			checkText(v, fmt.Sprintf("commitments[%d]", i), &c.Commitments[i].Text, true)
			if c.Commitments[i].Item < 0 {
				v.Add(fmt.Sprintf("commitments[%d].item", i), "应为约谈事项的编号")
			}
		}
		if c.CommitmentsDue == nil {
			v.Add("commitments_due", MsgRequired)
		}
	case KindInterviewConfirm:
		checkApproval(v, &c, DecisionConfirm)
	case KindMeetingMinutes:
		if c.MeetingID < 1 || c.MeetingID > 1<<53 {
			v.Add("meeting_id", "应为记录这次会议后得到的会议编号")
		}
	case KindLoanApprove:
		oneOf(v, "decision", c.Decision, []string{DecisionApprove, DecisionRefuse})
		checkText(v, "comment", &c.Comment, c.Decision == DecisionRefuse)
	case KindLoanHandover:
		if c.Decision != "" {
			oneOf(v, "decision", c.Decision, []string{DecisionHandover, DecisionUnable})
		}
		v.Text("note", &c.Note, c.Decision == DecisionUnable, 2000) // why it cannot be handed over
	case KindMaterialRestock, KindMaterialInspect:
		v.Text("note", &c.Note, false, 2000)
	case KindLoanReturn:
		oneOf(v, "how", c.How, []string{ReturnReturn, ReturnReplace})
		v.Text("note", &c.Note, false, 2000)
	case KindExtensionDecide:
		if c.Decision != DecisionApprove && c.Decision != DecisionRefuse {
			v.Add("decision", MsgOneOf(DecisionApprove, DecisionRefuse))
		}
		checkText(v, "comment", &c.Comment, false)
	}
	v.Sort()
	return c, v.Err()
}

// MaxAhead is how far ahead a time an official gives (an interview's date, a
// commitment's deadline, an extension) may lie.
const MaxAhead = 366 * 24 * time.Hour

// CheckTimes checks the times of a decoded completion against now (the
// process's time): an interview is scheduled, and commitments fall due, after
// now and within a year. The API and the Update validator both call it.
func (c Completion) CheckTimes(now time.Time) error {
	v := &ValidationError{}
	for field, at := range map[string]*time.Time{"scheduled_at": c.ScheduledAt, "commitments_due": c.CommitmentsDue} {
		if at != nil && (!at.After(now) || at.Sub(now) > MaxAhead) {
			v.Add(field, "应在当前时间之后一年以内（当前 "+now.Format(time.RFC3339)+"）")
		}
	}
	v.Sort()
	return v.Err()
}

// CheckItems checks that commitments answer every item of an interview that
// several summonses joined: with two or more items, each is named by at least
// one commitment (item); with one, unnamed commitments answer it.
func (c Completion) CheckItems(items []InterviewItem) error {
	v := &ValidationError{}
	known := map[int64]bool{}
	for _, it := range items {
		known[it.ID] = true
	}
	answered := map[int64]bool{}
	for i, cm := range c.Commitments {
		if cm.Item == 0 {
			continue
		}
		if !known[cm.Item] {
			v.Add(fmt.Sprintf("commitments[%d].item", i), "不是本次约谈的事项")
		}
		answered[cm.Item] = true
	}
	if len(items) >= 2 {
		for _, it := range items {
			if !answered[it.ID] {
				v.Add("commitments", fmt.Sprintf("缺少对事项 %d（%s）的整改承诺", it.ID, it.Label))
			}
		}
	}
	return v.Err()
}

// CheckExtension checks a request for more time (申请延期): a reason an
// official can read, and a new deadline after the current one and within a
// year of it. The API and the Update validator both call it.
func CheckExtension(reason string, due, current time.Time) error {
	v := &ValidationError{}
	v.Text("reason", &reason, true, 2000)
	switch {
	case due.IsZero():
		v.Add("due_at", MsgRequired)
	case !due.After(current):
		v.Add("due_at", "应晚于当前期限 "+current.Format(time.RFC3339))
	case due.Sub(current) > MaxAhead:
		v.Add("due_at", "延期不能超过一年")
	}
	v.Sort()
	return v.Err()
}

// CleanText is text as it is stored: trimmed, with CRLF line ends as LF.
func CleanText(s string) string { return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n")) }

func checkText(v *ValidationError, field string, s *string, required bool) {
	v.Text(field, s, required, maxText)
}

// TaskSpec is what a workflow asks of a person: who, what, by when. It becomes
// an inbox row.
type TaskSpec struct {
	ID         string   `json:"id"`
	WorkflowID string   `json:"workflow_id"`
	Kind       TaskKind `json:"kind"`
	Title      string   `json:"title"`
	// Subject is the record the task is about, e.g. ("assignment", "42").
	SubjectType string `json:"subject_type"`
	SubjectID   string `json:"subject_id"`
	CampaignID  string `json:"campaign_id,omitempty"`
	// The assignee: a role in a unit, optionally one person of it.
	UnitID   int64 `json:"unit_id"`
	Role     Role  `json:"role"`
	PersonID int64 `json:"person_id,omitempty"`
	// IssuerUnitID is the unit that asks (and approves extensions, sends letters).
	IssuerUnitID int64       `json:"issuer_unit_id"`
	DueAt        time.Time   `json:"due_at"`
	CreatedAt    time.Time   `json:"created_at"`
	Context      TaskContext `json:"context"`
}

// TaskContext is what the assignee needs to see beside the title.
type TaskContext struct {
	Content string `json:"content,omitempty"`
	Round   int    `json:"round,omitempty"`
	// For a review: the result under review.
	Result      string       `json:"result,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
	// For a returned item: the reviewer's comment.
	ReturnComment string `json:"return_comment,omitempty"`
	// Measures: a plan task's measures (措施).
	Measures string `json:"measures,omitempty"`
	// PlanTasks: for a monthly report, the open plan tasks the unit owns, to report progress on.
	PlanTasks []string `json:"plan_tasks,omitempty"`
	// For an extension decision: which task, why, and to when.
	// Items: for an interview's minutes and commitments, what summoned it.
	Items        []InterviewItem `json:"items,omitempty"`
	ExtensionOf  string          `json:"extension_of,omitempty"`
	Reason       string          `json:"reason,omitempty"`
	RequestedDue *time.Time      `json:"requested_due,omitempty"`
	// Ladder: the rungs that press this task past its deadline, for the task page.
	Ladder Ladder `json:"ladder,omitempty"`
	// MeetingKind: for a periodic meeting's minutes task, the meeting's kind.
	MeetingKind string `json:"meeting_kind,omitempty"`
	// Units and DrillAt: for a drill's record, the codes of its participating
	// units and when it was planned (the record's checks, the form's choices).
	Units     []string   `json:"units,omitempty"`
	UnitNames []string   `json:"unit_names,omitempty"`
	DrillAt   *time.Time `json:"drill_at,omitempty"`
}

// decodeReportField reads one field of a report strictly: unknown keys, unknown
// hazard sources and wrong types are named by their path.
func decodeReportField(k string, raw json.RawMessage, r *Report, v *ValidationError) {
	switch k {
	case "problems":
		DecodeField(v, k, raw, &r.Problems)
		return
	case "next_steps":
		DecodeField(v, k, raw, &r.NextSteps)
		return
	case "progress":
		DecodeField(v, k, raw, &r.Progress)
		return
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		v.Add("figures", MsgObject)
		return
	}
	ints := map[string]*int{
		"inspections": &r.Figures.Inspections, "units_inspected": &r.Figures.UnitsInspected,
		"violations_filed": &r.Figures.ViolationsFiled, "stop_orders": &r.Figures.StopOrders,
		"training_sessions": &r.Figures.TrainingSessions, "people_trained": &r.Figures.PeopleTrained,
	}
	hazards := map[string]*HazardCounts{"hazards_found": &r.Figures.HazardsFound, "hazards_rectified": &r.Figures.HazardsRectified}
	for name, val := range fields {
		if dst, ok := ints[name]; ok {
			DecodeField(v, "figures."+name, val, dst)
			continue
		}
		h, ok := hazards[name]
		if !ok {
			v.Add(figureField("figures.", name), MsgUnknownField)
			continue
		}
		var bySource map[string]json.RawMessage
		if json.Unmarshal(val, &bySource) != nil {
			v.Add("figures."+name, "应为按来源计数的对象："+strings.Join(HazardSources, "、"))
			continue
		}
		dsts := map[string]*int{"ventilation": &h.Ventilation, "rock_burst": &h.RockBurst, "daily": &h.Daily, "other": &h.Other}
		for src, n := range bySource {
			dst, ok := dsts[src]
			if !ok {
				v.Add(figureField("figures."+name+".", src), "不认识的隐患来源，应为以下之一："+strings.Join(HazardSources, "、"))
				continue
			}
			DecodeField(v, "figures."+name+"."+src, n, dst)
		}
	}
}

// figureField names an unknown key under prefix, or the prefix alone when the
// key itself is not text that can be shown.
func figureField(prefix, key string) string {
	if key == "" || TextProblem(key) != "" {
		return strings.TrimSuffix(prefix, ".")
	}
	return prefix + key
}

// checkApproval checks an approval: the positive decision, or return with a
// required comment.
func checkApproval(v *ValidationError, c *Completion, positive string) {
	switch c.Decision {
	case positive:
		checkText(v, "comment", &c.Comment, false)
	case DecisionReturn:
		checkText(v, "comment", &c.Comment, true)
	default:
		v.Add("decision", MsgOneOf(positive, DecisionReturn))
	}
}

// Subjects: what a process's steps are recorded against.
const (
	SubjectAssignment = "assignment"
	SubjectReport     = "report"
	SubjectPledge     = "pledge"
	SubjectInterview  = "interview"
	SubjectPlanTask   = "plan-task"
	SubjectAssessment = "assessment"
	SubjectHazard     = "hazard"
	SubjectStopOrder  = "stop-order"
	SubjectCase       = "case"
	SubjectMeeting    = "meeting"
)
