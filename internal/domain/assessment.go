package domain

import (
	"fmt"
	"slices"
)

// KindAssessmentApprove: a leader approves the year's results or returns them for recomputation.
const KindAssessmentApprove TaskKind = "assessment.approve"

// AssessmentPolicy grades and ranks a year.
type AssessmentPolicy struct {
	// Excellent and Pass are the lower bounds of the grades; default 90 and 70.
	Excellent float64 `json:"excellent"`
	Pass      float64 `json:"pass"`
	// BottomN of each kind are summoned to interviews; default 1.
	BottomN int `json:"bottom_n"`
}

// WithDefaults fills what is unset.
func (p AssessmentPolicy) WithDefaults() AssessmentPolicy {
	if p.Excellent == 0 {
		p.Excellent = 90
	}
	if p.Pass == 0 {
		p.Pass = 70
	}
	if p.BottomN == 0 {
		p.BottomN = 1
	}
	return p
}

// Grades.
const (
	GradeExcellent = "excellent" // 优秀
	GradePass      = "pass"      // 合格
	GradeFail      = "fail"      // 不合格
)

// Grade grades a score; a vetoed unit fails whatever its score.
func (p AssessmentPolicy) Grade(score float64, vetoed bool) string {
	switch {
	case vetoed || score < p.Pass:
		return GradeFail
	case score >= p.Excellent:
		return GradeExcellent
	}
	return GradePass
}

// AssessedUnit is one unit's result in a year's assessment.
type AssessedUnit struct {
	UnitID   int64   `json:"unit_id"`
	UnitCode string  `json:"unit_code"`
	UnitName string  `json:"unit_name"`
	Kind     string  `json:"kind"`
	Score    float64 `json:"score"`
	Grade    string  `json:"grade"`
	Vetoed   bool    `json:"vetoed"`
	Veto     string  `json:"veto,omitempty"`
	// Rank within the unit's kind (towns with towns …); vetoed units rank last.
	Rank     int  `json:"rank"`
	Summoned bool `json:"summoned"`
}

// RankWithinKind grades and ranks units within their kind, vetoed units last,
// and marks the bottom N of each kind for interviews.
func (p AssessmentPolicy) RankWithinKind(units []AssessedUnit) []AssessedUnit {
	out := slices.Clone(units)
	for i := range out {
		out[i].Grade = p.Grade(out[i].Score, out[i].Vetoed)
	}
	slices.SortStableFunc(out, func(a, b AssessedUnit) int {
		switch {
		case a.Kind != b.Kind:
			return kindOrder(a.Kind) - kindOrder(b.Kind)
		case a.Vetoed != b.Vetoed:
			if a.Vetoed {
				return 1
			}
			return -1
		case a.Score != b.Score:
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return int(a.UnitID - b.UnitID)
	})
	counts := map[string]int{}
	for _, u := range out {
		counts[u.Kind]++
	}
	seen := map[string]int{}
	for i := range out {
		k := out[i].Kind
		seen[k]++
		out[i].Rank = seen[k]
		out[i].Summoned = seen[k] > counts[k]-p.BottomN
	}
	return out
}

func kindOrder(k string) int {
	switch k {
	case "department":
		return 0
	case "town":
		return 1
	case "enterprise":
		return 2
	}
	return 3
}

// AssessmentWorkflowID is assessment/{campaign}/{year}.
func AssessmentWorkflowID(campaign string, year int) string {
	return fmt.Sprintf("assessment/%s/%d", campaign, year)
}
