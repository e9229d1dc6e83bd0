package domain

import (
	"fmt"
	"slices"
	"time"
)

// KindAssessmentApprove: a leader approves the year's results or returns them for recomputation.
const KindAssessmentApprove TaskKind = "assessment.approve"

// AssessmentPolicy grades and ranks a year.
type AssessmentPolicy struct {
	// Excellent and Pass are the lower bounds of the grades; default 90 and 70.
	Excellent float64 `json:"excellent"`
	Pass      float64 `json:"pass"`
	// BottomN of each kind are summoned to interviews; default 1 (0: none).
	// Units tied with the last of them are summoned too.
	BottomN *int `json:"bottom_n,omitempty"`
	// Day ("MM-DD") and Hour after each year when its assessment starts;
	// default 16 January, 09:00 — after December's reports and their ladder.
	Day  string `json:"day,omitempty"`
	Hour *int   `json:"hour,omitempty"`
	// ApprovalDays is how long a leader has to approve the results; default 7.
	ApprovalDays int `json:"approval_days,omitempty"`
}

// WithDefaults fills what is unset.
func (p AssessmentPolicy) WithDefaults() AssessmentPolicy {
	if p.Excellent == 0 {
		p.Excellent = 90
	}
	if p.Pass == 0 {
		p.Pass = 70
	}
	if p.BottomN == nil {
		p.BottomN = ptr(1)
	}
	if p.Day == "" {
		p.Day = "01-16"
	}
	if p.Hour == nil {
		p.Hour = ptr(9)
	}
	if p.ApprovalDays == 0 {
		p.ApprovalDays = 7
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
	// TiedAtBoundary: summoned because the unit ties with the last of the bottom N.
	TiedAtBoundary bool `json:"tied_at_boundary,omitempty"`
}

// RankWithinKind grades and ranks units within their kind, vetoed units last,
// with standard competition ranking (tied units share a rank: 1, 1, 3), and
// marks the bottom N of each kind for interviews — every unit tied with the
// last of them too (TiedAtBoundary says a unit was summoned for such a tie).
// A unit that kept the whole base score and was not vetoed has nothing to
// answer for and is never summoned for its rank.
func (p AssessmentPolicy) RankWithinKind(units []AssessedUnit, base float64) []AssessedUnit {
	out := slices.Clone(units)
	for i := range out {
		out[i].Grade = p.Grade(out[i].Score, out[i].Vetoed)
	}
	bottom := 1
	if p.BottomN != nil {
		bottom = *p.BottomN
	}
	out, ranks := Rank(out, func(u AssessedUnit) Standing {
		return Standing{Kind: u.Kind, Vetoed: u.Vetoed, Score: u.Score, ID: u.UnitID}
	})
	counts := map[string]int{}
	for _, u := range out {
		counts[u.Kind]++
	}
	pos := map[string]int{}
	for i := range out {
		out[i].Rank = ranks[i]
	}
	for i := range out {
		k := out[i].Kind
		pos[k]++
		// The units of this kind strictly below this one: the rest of the kind after its tie group.
		last := i
		for last+1 < len(out) && out[last+1].Kind == k && out[last+1].Rank == out[i].Rank {
			last++
		}
		below := counts[k] - (pos[k] + last - i)
		out[i].Summoned = below < bottom && (out[i].Vetoed || out[i].Score < base)
		out[i].TiedAtBoundary = out[i].Summoned && pos[k] <= counts[k]-bottom
	}
	return out
}

// Standing is what ranking reads of a unit.
type Standing struct {
	Kind   string
	Vetoed bool
	Score  float64
	ID     int64
}

// Rank orders items by kind (departments, towns, enterprises), then vetoed
// last, then score (highest first), then id, and answers each one's standard
// competition rank within its kind: tied units (same kind, veto and score)
// share a rank and the next rank skips (1, 1, 3). It is the one ranking rule of
// the assessment and the score list.
func Rank[T any](items []T, standing func(T) Standing) ([]T, []int) {
	out := slices.Clone(items)
	slices.SortStableFunc(out, func(a, b T) int {
		x, y := standing(a), standing(b)
		switch {
		case x.Kind != y.Kind:
			return kindOrder(x.Kind) - kindOrder(y.Kind)
		case x.Vetoed != y.Vetoed:
			if x.Vetoed {
				return 1
			}
			return -1
		case x.Score != y.Score:
			if x.Score > y.Score {
				return -1
			}
			return 1
		case x.ID < y.ID:
			return -1
		case x.ID > y.ID:
			return 1
		}
		return 0
	})
	ranks := make([]int, len(out))
	n := 0
	for i := range out {
		x := standing(out[i])
		if i > 0 && standing(out[i-1]).Kind != x.Kind {
			n = 0
		}
		n++
		ranks[i] = n
		if i > 0 {
			prev := standing(out[i-1])
			if prev.Kind == x.Kind && prev.Vetoed == x.Vetoed && prev.Score == x.Score {
				ranks[i] = ranks[i-1]
			}
		}
	}
	return out, ranks
}

// Validate checks the assessment policy: grade bounds within 0 and the base
// score, pass below excellent, bottom N from 0 to the number of units of the
// smallest kind that takes part (units, by kind).
func (p AssessmentPolicy) Validate(prefix string, base float64, units map[string]int, v *ValidationError) {
	if p.Excellent < 0 || p.Excellent > base {
		v.Add(prefix+".excellent", MsgRange(0, base))
	}
	if p.Pass < 0 || p.Pass > base {
		v.Add(prefix+".pass", MsgRange(0, base))
	} else if p.Pass >= p.Excellent {
		v.Add(prefix+".pass", "应低于 excellent（优秀分数线）")
	}
	if d, err := time.Parse("01-02", p.Day); err != nil || len(p.Day) != 5 || d.Month() > time.March {
		v.Add(prefix+".day", "应为次年第一季度的月-日，格式 MM-DD，例如 01-16")
	}
	if p.Hour != nil && (*p.Hour < 0 || *p.Hour > 23) {
		v.Add(prefix+".hour", MsgRange(0, 23))
	}
	if p.ApprovalDays < 1 || p.ApprovalDays > 90 {
		v.Add(prefix+".approval_days", MsgRange(1, 90))
	}
	if p.BottomN != nil {
		most := 0
		for _, n := range units {
			if n > 0 && (most == 0 || n < most) {
				most = n
			}
		}
		if *p.BottomN < 0 || *p.BottomN > most {
			v.Add(prefix+".bottom_n", MsgRange(0, most)+"（参加单位最少的一类的单位数）")
		}
	}
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
