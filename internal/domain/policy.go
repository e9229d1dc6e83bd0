package domain

import "time"

// CampaignPolicy is the policy a campaign stores: its pledge, report and
// assessment rules with their ladders, the base score and the phases.
type CampaignPolicy struct {
	Pledge     PledgePolicy     `json:"pledge"`
	Report     ReportPolicy     `json:"report"`
	BaseScore  *float64         `json:"base_score,omitempty"`
	Assessment AssessmentPolicy `json:"assessment"`
	// Hazard: the days and ladders of hazards found in the campaign's
	// inspections, and the points a failed covert check costs.
	Hazard HazardPolicy `json:"hazard"`
	// Phases are the campaign's stages; by default the national action's four over its span.
	Phases []Phase `json:"phases"`
	// Meetings are the periodic meetings whose minutes the organising units record.
	Meetings []MeetingRule `json:"meetings,omitempty"`
}

// MaxBaseScore bounds the base score a unit starts each year with.
const MaxBaseScore = 1000

// WithDefaults fills what is unset for a campaign from start to end.
func (p CampaignPolicy) WithDefaults(start, end time.Time) CampaignPolicy {
	p.Pledge = p.Pledge.WithDefaults()
	p.Report = p.Report.WithDefaults()
	p.Assessment = p.Assessment.WithDefaults()
	p.Hazard = p.Hazard.WithDefaults()
	if p.BaseScore == nil {
		p.BaseScore = ptr(100.0)
	}
	if len(p.Phases) == 0 {
		p.Phases = DefaultPhases(start, end)
	}
	return p
}

// Base is the base score (100 when unset).
func (p CampaignPolicy) Base() float64 {
	if p.BaseScore == nil {
		return 100
	}
	return *p.BaseScore
}

// Validate checks a policy with its defaults filled in, naming each bad field
// under "policy.": every number within its range, every ladder sound, the
// phases within the campaign. units counts the participants by kind.
func (p CampaignPolicy) Validate(start, end time.Time, units map[string]int, v *ValidationError) {
	p.Pledge.Validate("policy.pledge", v)
	p.Report.Validate("policy.report", v)
	base := p.Base()
	if base < 0 || base > MaxBaseScore {
		v.Add("policy.base_score", MsgRange(0, MaxBaseScore))
		base = MaxBaseScore
	}
	p.Assessment.Validate("policy.assessment", base, units, v)
	p.Hazard.Validate("policy.hazard", v)
	ValidatePhases("policy.phases", p.Phases, start, end, v)
	ValidateMeetingRules("policy.meetings", p.Meetings, v)
}
