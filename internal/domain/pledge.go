package domain

import (
	"fmt"
	"math"
	"time"
)

// Pledge task kinds.
const (
	// KindPledgeSign: the signer unit's head signs the pledge, or proposes changes to its targets.
	KindPledgeSign TaskKind = "pledge.sign"
	// KindPledgeCountersign: the issuer unit's head countersigns, or returns it with a comment.
	KindPledgeCountersign TaskKind = "pledge.countersign"
)

// Signing decisions.
const (
	DecisionSign    = "sign"
	DecisionPropose = "propose"
)

// Target is one line of a pledge: what, measured how, to what value, weighing how much.
type Target struct {
	Text        string  `json:"text" yaml:"text"`
	Indicator   string  `json:"indicator" yaml:"indicator"`
	TargetValue string  `json:"target_value" yaml:"target_value"`
	Weight      float64 `json:"weight" yaml:"weight"`
}

// ValidateTargets checks a target list: one to 50 targets, each with text,
// indicator and target value (storable text), weights from 0 to 100 that sum to 100.
func ValidateTargets(prefix string, targets []Target, v *ValidationError) {
	if len(targets) == 0 {
		v.Add(prefix, "至少一项目标")
		return
	}
	if len(targets) > 50 {
		v.Add(prefix, MsgAtMostItems(50))
		return
	}
	sum := 0.0
	for i := range targets {
		t := &targets[i]
		at := fmt.Sprintf("%s[%d]", prefix, i)
		v.Text(at+".text", &t.Text, true, 2000)
		v.Text(at+".indicator", &t.Indicator, true, 2000)
		v.Text(at+".target_value", &t.TargetValue, true, 2000)
		if !(t.Weight > 0 && t.Weight <= 100) {
			v.Add(at+".weight", "应大于 0 且不超过 100")
		}
		sum += t.Weight
	}
	if math.Abs(sum-100) > 1e-6 {
		v.Add(prefix, fmt.Sprintf("权重合计为 %g，应为 100", sum))
	}
}

// PledgePolicy is the part of a campaign's policy that pledges follow.
type PledgePolicy struct {
	// Deadline is the signing deadline in the campaign year, "MM-DD" at 18:00 campaign time; default "01-31".
	Deadline string `json:"deadline"`
	// CountersignDays is how long the issuer has to countersign; default 7.
	CountersignDays int `json:"countersign_days"`
	// MinSigningDays: a pledge issued later than the deadline allows still gets this many days; default 7.
	MinSigningDays int `json:"min_signing_days"`
	// Ladder escalates each step.
	Ladder Ladder `json:"ladder"`
}

// DefaultPledgePolicy: sign by 31 January; reminders 7 days and 1 day before and
// on the deadline; a notice at +7 days; an interview of the unit head and a
// 2-point deduction at +15 days.
func DefaultPledgePolicy() PledgePolicy {
	return PledgePolicy{
		Deadline: "01-31", CountersignDays: 7, MinSigningDays: 7,
		Ladder: Ladder{
			{Offset: days(-7), Action: ActionRemind},
			{Offset: days(-1), Action: ActionRemind},
			{Offset: 0, Action: ActionRemind},
			{Offset: days(7), Action: ActionNotice},
			{Offset: days(15), Action: ActionInterview},
			{Offset: days(15), Action: ActionDeduct, Points: 2},
		},
	}
}

// WithDefaults fills what is unset.
func (p PledgePolicy) WithDefaults() PledgePolicy {
	d := DefaultPledgePolicy()
	if p.Deadline == "" {
		p.Deadline = d.Deadline
	}
	if p.CountersignDays == 0 {
		p.CountersignDays = d.CountersignDays
	}
	if p.MinSigningDays == 0 {
		p.MinSigningDays = d.MinSigningDays
	}
	if p.Ladder == nil {
		p.Ladder = d.Ladder
	}
	return p
}

// Validate checks the policy, naming fields under prefix.
func (p PledgePolicy) Validate(prefix string, v *ValidationError) {
	if _, err := time.Parse("01-02", p.Deadline); err != nil || len(p.Deadline) != 5 {
		v.Add(prefix+".deadline", "应为月-日，格式 MM-DD，例如 01-31")
	}
	if p.CountersignDays < 1 || p.CountersignDays > 90 {
		v.Add(prefix+".countersign_days", MsgRange(1, 90))
	}
	if p.MinSigningDays < 1 || p.MinSigningDays > 90 {
		v.Add(prefix+".min_signing_days", MsgRange(1, 90))
	}
	p.Ladder.Validate(prefix+".ladder", v)
}

// SigningDeadline is the year's deadline in loc, or now + MinSigningDays when
// the pledge is issued too late for it.
func (p PledgePolicy) SigningDeadline(year int, loc *time.Location, now time.Time) time.Time {
	md, err := time.Parse("01-02", p.Deadline)
	if err != nil {
		md = time.Date(0, 1, 31, 0, 0, 0, 0, time.UTC)
	}
	due := time.Date(year, md.Month(), md.Day(), 18, 0, 0, 0, loc)
	if min := now.Add(time.Duration(p.MinSigningDays) * 24 * time.Hour); due.Before(min) {
		return min
	}
	return due
}

// PledgeWorkflowID is the workflow id of one pledge: pledge/{campaign}/{year}/{unit code}.
func PledgeWorkflowID(campaign string, year int, unitCode string) string {
	return fmt.Sprintf("pledge/%s/%d/%s", campaign, year, unitCode)
}

// PledgeSpec is everything a pledge process needs: who issues, who signs, what, by when.
type PledgeSpec struct {
	ID           string    `json:"id"`
	CampaignID   string    `json:"campaign_id"`
	Year         int       `json:"year"`
	Level        int       `json:"level"`
	IssuerUnitID int64     `json:"issuer_unit_id"`
	IssuerName   string    `json:"issuer_name"`
	SignerUnitID int64     `json:"signer_unit_id"`
	SignerCode   string    `json:"signer_code"`
	SignerName   string    `json:"signer_name"`
	Targets      []Target  `json:"targets"`
	Duties       []string  `json:"duties"`
	DueAt        time.Time `json:"due_at"`
	// CountersignDays and Ladder come from the campaign's pledge policy.
	CountersignDays int    `json:"countersign_days"`
	Ladder          Ladder `json:"ladder"`
	// Clock is the campaign's clock (nil: real time).
	Clock *Clock `json:"clock,omitempty"`
}
