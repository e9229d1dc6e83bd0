package domain

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Joint drills (联合演练) of the coal-mine enterprises' rescue teams
// (煤矿企业救护队), planned by the bureau each year: each participating mine
// prepares, the organiser records the drill and its evaluation, and each
// problem found becomes a general hazard at its mine, rectified in the
// hazard loop.

// The drill's task kinds.
const (
	// KindDrillPrepare: a participating mine's head reports its preparation
	// (team, equipment, plan) before the drill: result and attachments.
	KindDrillPrepare TaskKind = "drill.prepare"
	// KindDrillEvaluate: the organiser records the drill — the day it was
	// held, the units present, the evaluation and the problems found.
	KindDrillEvaluate TaskKind = "drill.evaluate"
)

// SubjectDrill is the subject type of a drill's tasks and rungs.
const SubjectDrill = "drill"

// Drill statuses: planned (preparing, then held and awaiting its
// evaluation), evaluated (its problems being rectified), closed (every
// problem's hazard closed, or none found).
var (
	DrillPlanned   = HazardPlanned
	DrillEvaluated = Status{"evaluated"}
	DrillClosed    = InterviewClosed
)

// Limits of a drill.
const (
	MaxDrillUnits    = 50
	MaxDrillProblems = 50
	// DrillPrepareDays: by default the preparation is due this many days before the drill.
	DrillPrepareDays = 3
	// DrillEvaluateDays: the evaluation is due this many days after the drill.
	DrillEvaluateDays = 3
	// DrillProblemCategory is the hazard category of a problem a drill found.
	DrillProblemCategory = "应急管理"
)

// HazardFoundByDrill: a hazard opened for a problem a joint drill found.
// It is not among HazardFinders, which a client may give: only a drill's
// evaluation records one.
const HazardFoundByDrill = "drill"

// DefaultDrillLadder presses a mine's preparation: reminders two days before
// and on its deadline, a supervision letter a day after (still before the
// drill, by the default three days), a public notice two days after.
func DefaultDrillLadder() Ladder {
	return Ladder{{Offset: days(-2), Action: ActionRemind}, {Offset: 0, Action: ActionRemind},
		{Offset: days(1), Action: ActionLetter}, {Offset: days(2), Action: ActionNotice}}
}

// DrillEvaluateLadder presses the organiser's record: a reminder on its
// deadline and a letter from the county three days after.
func DrillEvaluateLadder() Ladder {
	return Ladder{{Offset: 0, Action: ActionRemind}, {Offset: days(3), Action: ActionLetter}}
}

// DrillInput is a joint drill as the bureau plans it.
type DrillInput struct {
	Year     int    `json:"year"`
	Title    string `json:"title"`
	Scenario string `json:"scenario"`
	// Units are the codes of the participating mines; Lead is one of them, the
	// mine whose site hosts the drill.
	Units []string `json:"units"`
	Lead  string   `json:"lead"`
	// Organiser is the organising unit's code; default the planner's own unit.
	Organiser string     `json:"organiser,omitempty"`
	DrillAt   *time.Time `json:"drill_at"`
	// PrepareDue: the preparation's deadline; default DrillPrepareDays before the drill.
	PrepareDue *time.Time `json:"prepare_due,omitempty"`
	Ladder     *Ladder    `json:"ladder,omitempty"`
	Location   string     `json:"location,omitempty"`
	// Campaign: optional; the process then runs on that campaign's clock.
	Campaign string `json:"campaign,omitempty"`
}

// Validate checks the drill's own fields (units, lead, organiser and
// campaign are resolved by the caller): a year from 2000 to 2100 that is the
// drill's, text that can be stored, a drill after now and within a year, a
// preparation deadline after now and before the drill, two or more mines,
// none twice, the lead among them, a valid ladder.
func (d *DrillInput) Validate(now time.Time, v *ValidationError) {
	if d.Year < 2000 || d.Year > 2100 {
		v.Add("year", MsgRange(2000, 2100))
	}
	v.Text("title", &d.Title, true, 200)
	v.Text("scenario", &d.Scenario, true, 5000)
	v.Text("location", &d.Location, false, 500)
	v.Text("lead", &d.Lead, true, 100)
	v.Text("organiser", &d.Organiser, false, 100)
	v.Text("campaign", &d.Campaign, false, 100)
	switch {
	case d.DrillAt == nil:
		v.Add("drill_at", MsgRequired)
	case !d.DrillAt.After(now):
		v.Add("drill_at", MsgFuture)
	case d.DrillAt.Sub(now) > MaxAhead:
		v.Add("drill_at", "演练时间不能超过一年以后")
	case d.Year >= 2000 && d.Year <= 2100 && d.DrillAt.In(DefaultZone).Year() != d.Year:
		v.Add("year", fmt.Sprintf("应为演练时间所在的年份（%d）", d.DrillAt.In(DefaultZone).Year()))
	}
	if d.PrepareDue != nil && d.DrillAt != nil {
		switch {
		case !d.PrepareDue.After(now):
			v.Add("prepare_due", MsgFuture)
		case d.PrepareDue.After(*d.DrillAt):
			v.Add("prepare_due", "应不晚于演练时间")
		}
	}
	switch {
	case len(d.Units) < 2:
		v.Add("units", "联合演练至少两个参演单位")
	case len(d.Units) > MaxDrillUnits:
		v.Add("units", MsgAtMostItems(MaxDrillUnits))
	default:
		seen := map[string]bool{}
		for i := range d.Units {
			v.Text(fmt.Sprintf("units[%d]", i), &d.Units[i], true, 100)
			if d.Units[i] != "" && seen[d.Units[i]] {
				v.Add(fmt.Sprintf("units[%d]", i), "单位重复")
			}
			seen[d.Units[i]] = true
		}
		if d.Lead != "" && !seen[d.Lead] {
			v.Add("lead", "牵头单位应是参演单位之一")
		}
	}
	if d.Ladder != nil {
		d.Ladder.Validate("ladder", v)
	}
	v.Sort()
}

// DrillUnit is a participating unit of a drill.
type DrillUnit struct {
	UnitID int64  `json:"unit_id"`
	Code   string `json:"code"`
	Name   string `json:"name,omitempty"`
}

// DrillSpec is what a drill's process needs.
type DrillSpec struct {
	ID       int64  `json:"id"`
	Year     int    `json:"year"`
	Title    string `json:"title"`
	Scenario string `json:"scenario"`
	Location string `json:"location,omitempty"`
	// OrganiserUnitID records the drill in role OrganiserRole; LeadUnitID hosts it.
	OrganiserUnitID int64       `json:"organiser_unit_id"`
	OrganiserCode   string      `json:"organiser_code,omitempty"`
	OrganiserRole   Role        `json:"organiser_role"`
	LeadUnitID      int64       `json:"lead_unit_id"`
	Units           []DrillUnit `json:"units"`
	DrillAt         time.Time   `json:"drill_at"`
	PrepareDue      time.Time   `json:"prepare_due"`
	Ladder          Ladder      `json:"ladder"`
	CampaignID      string      `json:"campaign_id,omitempty"`
	// Clock is the campaign's clock (nil: real time).
	Clock          *Clock    `json:"clock,omitempty"`
	PlannedBy      string    `json:"planned_by"`
	PlannerID      int64     `json:"planner_id"`
	IdempotencyKey string    `json:"idempotency_key,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
}

// DrillWorkflowID is drill/{id}.
func DrillWorkflowID(id int64) string { return fmt.Sprintf("drill/%d", id) }

// DrillRecord is the organiser's record of a drill (the drill.evaluate payload).
type DrillRecord struct {
	HeldOn     string         `json:"held_on"`
	Present    []string       `json:"present"`
	Evaluation string         `json:"evaluation"`
	Problems   []DrillProblem `json:"problems"`
}

// DrillProblem is a problem a drill found: the unit that must rectify it, what, by when.
type DrillProblem struct {
	Unit        string     `json:"unit"`
	Description string     `json:"description"`
	Deadline    *time.Time `json:"deadline"`
}

// decodeDrillField reads one field of a drill.evaluate payload.
func decodeDrillField(k string, raw json.RawMessage, c *Completion, v *ValidationError) {
	if c.Drill == nil {
		c.Drill = &DrillRecord{}
	}
	switch k {
	case "held_on":
		DecodeField(v, k, raw, &c.Drill.HeldOn)
	case "present":
		DecodeField(v, k, raw, &c.Drill.Present)
	case "evaluation":
		DecodeField(v, k, raw, &c.Drill.Evaluation)
	case "problems":
		DecodeField(v, k, raw, &c.Drill.Problems)
	}
}

// validate checks the record's own fields: a date, at least one unit
// present, an evaluation, each problem's unit and description.
func (r *DrillRecord) validate(v *ValidationError) {
	if r.HeldOn == "" {
		v.Add("held_on", MsgRequired+"（YYYY-MM-DD）")
	} else if _, err := time.Parse(time.DateOnly, r.HeldOn); err != nil {
		v.Add("held_on", "应为日期 YYYY-MM-DD")
	}
	switch {
	case len(r.Present) == 0:
		v.Add("present", "至少一个参演单位到场")
	case len(r.Present) > MaxDrillUnits:
		v.Add("present", MsgAtMostItems(MaxDrillUnits))
	default:
		textList(v, "present", r.Present, MaxDrillUnits, 100)
	}
	checkText(v, "evaluation", &r.Evaluation, true)
	if len(r.Problems) > MaxDrillProblems {
		v.Add("problems", MsgAtMostItems(MaxDrillProblems))
		return
	}
	for i := range r.Problems {
		at := fmt.Sprintf("problems[%d]", i)
		p := &r.Problems[i]
		v.Text(at+".unit", &p.Unit, true, 100)
		v.Text(at+".description", &p.Description, true, 5000)
		if p.Deadline == nil {
			v.Add(at+".deadline", MsgRequired)
		}
	}
}

// CheckDrill checks a drill's record against its drill and now (the
// process's time): held on or after the drill's day and not after today, the
// units present and each problem's unit among the participants, each
// problem's deadline after now and within a year. The Update validator calls
// it with the participants its task carries.
func (c Completion) CheckDrill(units []string, drillAt, now time.Time) error {
	if c.Drill == nil {
		return nil
	}
	v := &ValidationError{}
	r := c.Drill
	if held, err := time.ParseInLocation(time.DateOnly, r.HeldOn, DefaultZone); err == nil {
		day := time.Date(drillAt.In(DefaultZone).Year(), drillAt.In(DefaultZone).Month(), drillAt.In(DefaultZone).Day(), 0, 0, 0, 0, DefaultZone)
		switch {
		case held.Before(day):
			v.Add("held_on", "不能早于计划的演练日期 "+day.Format(time.DateOnly))
		case held.After(now):
			v.Add("held_on", "不能晚于今天")
		}
	}
	for i, u := range r.Present {
		if !slices.Contains(units, u) {
			v.Add(fmt.Sprintf("present[%d]", i), "不是本次演练的参演单位")
		}
	}
	for i, p := range r.Problems {
		at := fmt.Sprintf("problems[%d]", i)
		if !slices.Contains(units, p.Unit) {
			v.Add(at+".unit", "不是本次演练的参演单位")
		}
		if p.Deadline != nil && (!p.Deadline.After(now) || p.Deadline.Sub(now) > MaxAhead) {
			v.Add(at+".deadline", "应在当前时间之后一年以内（当前 "+now.Format(time.RFC3339)+"）")
		}
	}
	v.Sort()
	return v.Err()
}

// DrillTitle is how a drill's tasks name it.
func DrillTitle(kind TaskKind, title string) string {
	if kind == KindDrillPrepare {
		return "联合演练准备：" + title
	}
	return "联合演练记录与评估：" + title
}
