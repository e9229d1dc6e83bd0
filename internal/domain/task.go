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
	KindInterviewSchedule, KindInterviewAcknowledge, KindInterviewMinutes, KindInterviewCommitments, KindInterviewConfirm,
	KindPlanTaskDone, KindAssessmentApprove}

// Extendable says whether the assignee of this kind may ask for more time.
func (k TaskKind) Extendable() bool {
	return k == KindAssignmentComplete || k == KindReportSubmit || k == KindPlanTaskDone
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

// Task statuses.
const (
	TaskOpen      = "open"
	TaskCompleted = "completed"
	TaskCancelled = "cancelled"
)

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
}

const (
	maxText        = 20000
	maxAttachments = 50
)

// DecodeCompletion reads and validates a completion payload for a kind: unknown
// fields, wrong types and broken rules are a ValidationError naming the field.
func DecodeCompletion(kind TaskKind, raw []byte) (Completion, error) {
	var c Completion
	v := &ValidationError{}
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	var body map[string]json.RawMessage
	if err := dec.Decode(&body); err != nil {
		v.Add("payload", "must be a JSON object")
		return c, v
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		v.Add("payload", "must be one JSON object")
		return c, v
	}
	allowed := map[TaskKind][]string{
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
		KindInterviewConfirm:     {"decision", "comment"},
		KindPlanTaskDone:         {"result", "attachments"},
		KindAssessmentApprove:    {"decision", "comment"},
	}[kind]
	if allowed == nil {
		v.Add("kind", fmt.Sprintf("unknown task kind %q", kind))
		return c, v
	}
	for k, val := range body {
		if !slices.Contains(allowed, k) {
			field := k
			if field == "" {
				field = "payload"
			}
			v.Add(field, fmt.Sprintf("unknown field %q for %s", k, kind))
			continue
		}
		var err error
		switch k {
		case "result":
			err = json.Unmarshal(val, &c.Result)
		case "attachments":
			err = json.Unmarshal(val, &c.Attachments)
		case "decision":
			err = json.Unmarshal(val, &c.Decision)
		case "comment":
			err = json.Unmarshal(val, &c.Comment)
		case "targets":
			err = json.Unmarshal(val, &c.Targets)
		case "scheduled_at":
			err = json.Unmarshal(val, &c.ScheduledAt)
		case "commitments_due":
			err = json.Unmarshal(val, &c.CommitmentsDue)
		case "place":
			err = json.Unmarshal(val, &c.Place)
		case "leader":
			err = json.Unmarshal(val, &c.Leader)
		case "note":
			err = json.Unmarshal(val, &c.Note)
		case "minutes":
			err = json.Unmarshal(val, &c.Minutes)
		case "commitments":
			err = json.Unmarshal(val, &c.Commitments)
		case "figures", "progress", "problems", "next_steps":
			if c.Report == nil {
				c.Report = &Report{}
			}
			err = decodeReportField(k, val, c.Report, v)
		}
		if err != nil {
			v.Add(k, "wrong type")
		}
	}
	if len(v.Fields) > 0 {
		v.Sort()
		return c, v
	}
	c.Result = strings.TrimSpace(c.Result)
	c.Comment = strings.TrimSpace(c.Comment)
	switch kind {
	case KindAssignmentComplete, KindPlanTaskDone:
		checkText(v, "result", c.Result, true)
		if len(c.Attachments) > maxAttachments {
			v.Add("attachments", fmt.Sprintf("at most %d", maxAttachments))
		}
		for i, a := range c.Attachments {
			if strings.TrimSpace(a.Name) == "" {
				v.Add(fmt.Sprintf("attachments[%d].name", i), "required")
			}
			if strings.TrimSpace(a.Ref) == "" {
				v.Add(fmt.Sprintf("attachments[%d].ref", i), "required")
			}
		}
	case KindAssignmentReview:
		checkApproval(v, c, DecisionApprove)
	case KindPledgeSign:
		switch c.Decision {
		case DecisionSign:
			if len(c.Targets) > 0 {
				v.Add("targets", "only with decision propose")
			}
		case DecisionPropose:
			ValidateTargets("targets", c.Targets, v)
			checkText(v, "comment", c.Comment, true)
		default:
			v.Add("decision", "must be sign or propose")
		}
		checkText(v, "comment", c.Comment, false)
	case KindPledgeCountersign:
		checkApproval(v, c, DecisionApprove)
	case KindReportSubmit:
		if c.Report == nil {
			c.Report = &Report{}
		}
		c.Report.Validate(v)
	case KindReportReview:
		checkApproval(v, c, DecisionAccept)
	case KindInterviewSchedule:
		if c.ScheduledAt == nil {
			v.Add("scheduled_at", "required")
		}
		checkText(v, "place", c.Place, true)
		checkText(v, "leader", c.Leader, true)
	case KindInterviewAcknowledge:
		checkText(v, "note", c.Note, false)
	case KindInterviewMinutes:
		checkText(v, "minutes", c.Minutes, true)
	case KindInterviewCommitments:
		if len(c.Commitments) == 0 {
			v.Add("commitments", "at least one commitment")
		}
		for i := range c.Commitments {
			c.Commitments[i] = strings.TrimSpace(c.Commitments[i])
			checkText(v, fmt.Sprintf("commitments[%d]", i), c.Commitments[i], true)
		}
		if c.CommitmentsDue == nil {
			v.Add("commitments_due", "required")
		}
	case KindInterviewConfirm:
		checkApproval(v, c, DecisionConfirm)
	case KindAssessmentApprove:
		checkApproval(v, c, DecisionApprove)
	case KindExtensionDecide:
		if c.Decision != DecisionApprove && c.Decision != DecisionRefuse {
			v.Add("decision", "must be approve or refuse")
		}
		checkText(v, "comment", c.Comment, false)
	}
	return c, v.Err()
}

func checkText(v *ValidationError, field, s string, required bool) {
	v.Text(field, &s, required, maxText)
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
	ExtensionOf  string     `json:"extension_of,omitempty"`
	Reason       string     `json:"reason,omitempty"`
	RequestedDue *time.Time `json:"requested_due,omitempty"`
}

// decodeReportField reads one field of a report strictly: unknown keys, unknown
// hazard sources and wrong types are named by their path.
func decodeReportField(k string, raw json.RawMessage, r *Report, v *ValidationError) error {
	switch k {
	case "problems":
		return json.Unmarshal(raw, &r.Problems)
	case "next_steps":
		return json.Unmarshal(raw, &r.NextSteps)
	case "progress":
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		return dec.Decode(&r.Progress)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return err
	}
	ints := map[string]*int{
		"inspections": &r.Figures.Inspections, "units_inspected": &r.Figures.UnitsInspected,
		"violations_filed": &r.Figures.ViolationsFiled, "stop_orders": &r.Figures.StopOrders,
		"training_sessions": &r.Figures.TrainingSessions, "people_trained": &r.Figures.PeopleTrained,
	}
	hazards := map[string]*HazardCounts{"hazards_found": &r.Figures.HazardsFound, "hazards_rectified": &r.Figures.HazardsRectified}
	for name, val := range fields {
		if dst, ok := ints[name]; ok {
			if json.Unmarshal(val, dst) != nil {
				v.Add("figures."+name, "must be a whole number")
			}
			continue
		}
		h, ok := hazards[name]
		if !ok {
			v.Add("figures."+name, "unknown figure")
			continue
		}
		var bySource map[string]json.RawMessage
		if json.Unmarshal(val, &bySource) != nil {
			v.Add("figures."+name, "an object of counts by source: "+strings.Join(HazardSources, ", "))
			continue
		}
		dsts := map[string]*int{"ventilation": &h.Ventilation, "rock_burst": &h.RockBurst, "daily": &h.Daily, "other": &h.Other}
		for src, n := range bySource {
			dst, ok := dsts[src]
			if !ok {
				v.Add("figures."+name+"."+src, "unknown source: one of "+strings.Join(HazardSources, ", "))
				continue
			}
			if json.Unmarshal(n, dst) != nil {
				v.Add("figures."+name+"."+src, "must be a whole number")
			}
		}
	}
	return nil
}

// checkApproval checks an approval: the positive decision, or return with a
// required comment.
func checkApproval(v *ValidationError, c Completion, positive string) {
	switch c.Decision {
	case positive:
	case DecisionReturn:
		checkText(v, "comment", c.Comment, true)
	default:
		v.Add("decision", "must be "+positive+" or return")
	}
	checkText(v, "comment", c.Comment, false)
}
