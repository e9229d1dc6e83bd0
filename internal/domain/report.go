package domain

import (
	"fmt"
	"time"
)

// Monthly report task kinds.
const (
	// KindReportSubmit: the unit's head submits the month's report.
	KindReportSubmit TaskKind = "report.submit"
	// KindReportReview: the safety office accepts it or returns it with a comment.
	KindReportReview TaskKind = "report.review"
)

// HazardSources are where hazards come from, as the county counts them.
var HazardSources = []string{"ventilation", "rock_burst", "daily", "other"}

// HazardCounts counts hazards by source: 一通三防 (ventilation, gas, dust, fire)
// special supervision, rock-burst (冲击地压) supervision, daily supervision, other.
type HazardCounts struct {
	Ventilation int `json:"ventilation"`
	RockBurst   int `json:"rock_burst"`
	Daily       int `json:"daily"`
	Other       int `json:"other"`
}

func (h HazardCounts) bySource() []int { return []int{h.Ventilation, h.RockBurst, h.Daily, h.Other} }

// Of is the count of a source (one of HazardSources), nil for another.
func (h *HazardCounts) Of(source string) *int {
	switch source {
	case "ventilation":
		return &h.Ventilation
	case "rock_burst":
		return &h.RockBurst
	case "daily":
		return &h.Daily
	case "other":
		return &h.Other
	}
	return nil
}

// Figures are a report's numbers, which the dashboard sums.
type Figures struct {
	Inspections      int          `json:"inspections"`
	UnitsInspected   int          `json:"units_inspected"`
	HazardsFound     HazardCounts `json:"hazards_found"`
	HazardsRectified HazardCounts `json:"hazards_rectified"`
	ViolationsFiled  int          `json:"violations_filed"`
	StopOrders       int          `json:"stop_orders"`
	TrainingSessions int          `json:"training_sessions"`
	PeopleTrained    int          `json:"people_trained"`
}

// Progress is the progress text on one plan task the unit owns.
type Progress struct {
	PlanTask string `json:"plan_task"`
	Text     string `json:"text"`
}

// Report is what a unit submits for a month.
type Report struct {
	Figures   Figures    `json:"figures"`
	Progress  []Progress `json:"progress,omitempty"`
	Problems  string     `json:"problems"`
	NextSteps string     `json:"next_steps"`
}

// MaxFigure bounds every count of a monthly report.
const MaxFigure = 1000000

// Validate checks a report: counts from 0 to MaxFigure, rectified ≤ found per
// source, texts present, storable and bounded.
func (r *Report) Validate(v *ValidationError) {
	f := r.Figures
	count := func(field string, n int) {
		if n < 0 || n > MaxFigure {
			v.Add(field, MsgRange(0, MaxFigure))
		}
	}
	for name, n := range map[string]int{"inspections": f.Inspections, "units_inspected": f.UnitsInspected,
		"violations_filed": f.ViolationsFiled, "stop_orders": f.StopOrders, "training_sessions": f.TrainingSessions, "people_trained": f.PeopleTrained} {
		count("figures."+name, n)
	}
	found, fixed := f.HazardsFound.bySource(), f.HazardsRectified.bySource()
	for i, src := range HazardSources {
		count("figures.hazards_found."+src, found[i])
		count("figures.hazards_rectified."+src, fixed[i])
		if fixed[i] > found[i] && fixed[i] >= 0 && found[i] >= 0 {
			v.Add("figures.hazards_rectified."+src, fmt.Sprintf("整改数 %d 多于发现数 %d", fixed[i], found[i]))
		}
	}
	if len(r.Progress) > 100 {
		v.Add("progress", MsgAtMostItems(100))
	}
	for i := range r.Progress {
		v.Text(fmt.Sprintf("progress[%d].plan_task", i), &r.Progress[i].PlanTask, false, 5000)
		checkText(v, fmt.Sprintf("progress[%d].text", i), &r.Progress[i].Text, true)
	}
	checkText(v, "problems", &r.Problems, false)
	checkText(v, "next_steps", &r.NextSteps, true)
	v.Sort()
}

// ReportPolicy is the part of a campaign's policy that monthly reports follow.
type ReportPolicy struct {
	// DeadlineDay (1–28) and DeadlineHour (0–23) of the next month, campaign
	// time; default the 5th, 18:00. A missing hour is the default; 0 is midnight.
	DeadlineDay  int    `json:"deadline_day"`
	DeadlineHour *int   `json:"deadline_hour,omitempty"`
	Ladder       Ladder `json:"ladder"`
	// ReviewDays is how long the safety office has to accept or return a report; default 5.
	ReviewDays int `json:"review_days,omitempty"`
}

// DefaultReportPolicy: due the 5th of the next month at 18:00; reminders 3 days
// before and on the deadline; 1 point off a late report; a public notice at +3
// days; a summons interview of the unit head and 3 more points off at +10 days.
func DefaultReportPolicy() ReportPolicy {
	return ReportPolicy{DeadlineDay: 5, DeadlineHour: ptr(18), Ladder: Ladder{
		{Offset: days(-3), Action: ActionRemind},
		{Offset: 0, Action: ActionRemind},
		{Offset: Offset(time.Second), Action: ActionDeduct, Points: 1},
		{Offset: days(3), Action: ActionNotice},
		{Offset: days(10), Action: ActionInterview},
		{Offset: days(10), Action: ActionDeduct, Points: 3},
	}}
}

// WithDefaults fills what is unset.
func (p ReportPolicy) WithDefaults() ReportPolicy {
	d := DefaultReportPolicy()
	if p.DeadlineDay == 0 {
		p.DeadlineDay = d.DeadlineDay
	}
	if p.DeadlineHour == nil {
		p.DeadlineHour = d.DeadlineHour
	}
	if p.Ladder == nil {
		p.Ladder = d.Ladder
	}
	if p.ReviewDays == 0 {
		p.ReviewDays = 5
	}
	return p
}

// ReportDeadline is when the report for period ("2021-03") is due, in loc.
func (p ReportPolicy) ReportDeadline(period string, loc *time.Location) (time.Time, error) {
	m, err := time.ParseInLocation("2006-01", period, loc)
	if err != nil {
		return time.Time{}, &PlainError{MsgMonth}
	}
	next := m.AddDate(0, 1, 0)
	hour := 18
	if p.DeadlineHour != nil {
		hour = *p.DeadlineHour
	}
	return time.Date(next.Year(), next.Month(), p.DeadlineDay, hour, 0, 0, 0, loc), nil
}

// Validate checks the policy, naming fields under prefix.
func (p ReportPolicy) Validate(prefix string, v *ValidationError) {
	if p.DeadlineDay < 1 || p.DeadlineDay > 28 {
		v.Add(prefix+".deadline_day", MsgRange(1, 28))
	}
	if p.DeadlineHour != nil && (*p.DeadlineHour < 0 || *p.DeadlineHour > 23) {
		v.Add(prefix+".deadline_hour", MsgRange(0, 23))
	}
	if p.ReviewDays < 1 || p.ReviewDays > 30 {
		v.Add(prefix+".review_days", MsgRange(1, 30))
	}
	p.Ladder.Validate(prefix+".ladder", v)
}

func ptr[T any](v T) *T { return &v }

// ReportWorkflowID is report/{campaign}/{unit code}/{YYYY-MM}.
func ReportWorkflowID(campaign, unitCode, period string) string {
	return fmt.Sprintf("report/%s/%s/%s", campaign, unitCode, period)
}

// ReportSpec is everything a monthly report process needs.
type ReportSpec struct {
	ID           string    `json:"id"`
	CampaignID   string    `json:"campaign_id"`
	Period       string    `json:"period"`
	UnitID       int64     `json:"unit_id"`
	UnitCode     string    `json:"unit_code"`
	UnitName     string    `json:"unit_name"`
	OfficeUnitID int64     `json:"office_unit_id"`
	DueAt        time.Time `json:"due_at"`
	Ladder       Ladder    `json:"ladder"`
	// Clock is the campaign's clock (nil: real time).
	Clock      *Clock `json:"clock,omitempty"`
	ReviewDays int    `json:"review_days"`
	// PlanTasks are the open plan tasks the unit owns: its report gives progress on each.
	PlanTasks []string `json:"plan_tasks,omitempty"`
}

// PeriodDays are a report period's first and last day ("2021-03": 1 and 31
// March), each at midnight in loc.
func PeriodDays(period string, loc *time.Location) (first, last time.Time, err error) {
	m, err := time.ParseInLocation("2006-01", period, loc)
	if err != nil || len(period) != 7 {
		return time.Time{}, time.Time{}, &PlainError{MsgMonth}
	}
	return m, m.AddDate(0, 1, -1), nil
}

// Correction is a figure a unit corrected: what it submitted beside what its
// records held when it submitted. Field is the figure's name as a report.submit
// payload and its validation errors name it ("figures.inspections",
// "figures.hazards_found.daily").
type Correction struct {
	Field     string `json:"field"`
	Submitted int    `json:"submitted"`
	Recorded  int    `json:"recorded"`
}

// namedFigure is one figure by its field name.
type namedFigure struct {
	field string
	n     int
}

// recorded are the figures the records hold, by field name, in the form's
// order; training_sessions is not among them: no record holds a training
// session, so the unit's count is its own and never a correction.
func (f Figures) recorded() []namedFigure {
	out := []namedFigure{{"figures.inspections", f.Inspections}, {"figures.units_inspected", f.UnitsInspected}}
	found, fixed := f.HazardsFound.bySource(), f.HazardsRectified.bySource()
	for i, src := range HazardSources {
		out = append(out, namedFigure{"figures.hazards_found." + src, found[i]})
	}
	for i, src := range HazardSources {
		out = append(out, namedFigure{"figures.hazards_rectified." + src, fixed[i]})
	}
	return append(out, namedFigure{"figures.violations_filed", f.ViolationsFiled}, namedFigure{"figures.stop_orders", f.StopOrders},
		namedFigure{"figures.people_trained", f.PeopleTrained})
}

// Corrections are the figures submitted that differ from those recorded, in
// the form's order (none: an empty list); training_sessions is never one.
func Corrections(submitted, recorded Figures) []Correction {
	out := []Correction{}
	sub := submitted.recorded()
	for i, r := range recorded.recorded() {
		if sub[i].n != r.n {
			out = append(out, Correction{Field: r.field, Submitted: sub[i].n, Recorded: r.n})
		}
	}
	return out
}
