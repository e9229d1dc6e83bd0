package domain

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Action is what an escalation rung does when it fires.
type Action string

// The rung actions.
const (
	ActionRemind    Action = "remind"    // a reminder to the assignee (提醒)
	ActionLetter    Action = "letter"    // a supervision letter from the issuing unit (督办函)
	ActionNotice    Action = "notice"    // a public notice naming the unit (通报)
	ActionInterview Action = "interview" // a summons interview of the unit's head (约谈)
	ActionDeduct    Action = "deduct"    // points deducted in the annual assessment (扣分)
)

// Actions lists every action.
var Actions = []Action{ActionRemind, ActionLetter, ActionNotice, ActionInterview, ActionDeduct}

// Punishes says the action is a penalty for lateness (letter, notice,
// interview, deduction): it may not fire before the deadline, and it still
// fires for a task that was late when the rung's time came even if the task
// was done before the rung could fire. A reminder is not a penalty: its
// purpose ends with the task.
func (a Action) Punishes() bool { return a != ActionRemind }

// Points bounds: a rung deducts from 0.01 to 100 points, to the hundredth.
const (
	MinPoints = 0.01
	MaxPoints = 100
)

// MaxOffset is how far from its deadline a rung may be.
const MaxOffset = Offset(366 * 24 * time.Hour)

// Offset is a signed duration from a deadline; in JSON it is a string such as
// "-3d", "0", "12h" or "+15d".
type Offset time.Duration

// ParseOffset reads "-3d", "+15d", "36h", "90m", "0".
func ParseOffset(s string) (Offset, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return 0, nil
	}
	if strings.HasSuffix(s, "d") {
		n, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimPrefix(s, "+"), "d"), 64)
		if err != nil || math.IsNaN(n) || math.Abs(n) > 3660 {
			return 0, &PlainError{MsgOffset}
		}
		return Offset(time.Duration(n * float64(24*time.Hour))), nil
	}
	d, err := time.ParseDuration(strings.TrimPrefix(s, "+"))
	if err != nil {
		return 0, &PlainError{MsgOffset}
	}
	return Offset(d), nil
}

// String writes whole days as "Nd", other offsets as a Go duration.
func (o Offset) String() string {
	d := time.Duration(o)
	if d == 0 {
		return "0"
	}
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%+dd", int64(d/(24*time.Hour)))
	}
	return d.String()
}

// Words says how far from the deadline the offset is, as officials read it
// ("10天", "12小时", "30分钟").
func (o Offset) Words() string {
	d := time.Duration(o).Abs()
	switch {
	case d == 0:
		return "0"
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d天", int64(d/(24*time.Hour)))
	case d%time.Hour == 0:
		return fmt.Sprintf("%d小时", int64(d/time.Hour))
	case d%time.Minute == 0:
		return fmt.Sprintf("%d分钟", int64(d/time.Minute))
	}
	return fmt.Sprintf("%d秒", int64(d/time.Second))
}

// MarshalJSON writes the offset as a string.
func (o Offset) MarshalJSON() ([]byte, error) { return json.Marshal(o.String()) }

// UnmarshalJSON reads a string offset (or a number of seconds).
func (o *Offset) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var secs float64
		if err2 := json.Unmarshal(b, &secs); err2 != nil || math.Abs(secs) > float64(10*MaxOffset)/float64(time.Second) {
			return &PlainError{MsgOffset}
		}
		*o = Offset(time.Duration(secs * float64(time.Second)))
		return nil
	}
	v, err := ParseOffset(s)
	if err != nil {
		return err
	}
	*o = v
	return nil
}

// Rung is one step of an escalation ladder.
type Rung struct {
	Offset Offset  `json:"offset"`
	Action Action  `json:"action"`
	Points float64 `json:"points,omitempty"`
}

// Ladder is the escalation that runs beside a human task.
type Ladder []Rung

// Validate checks a ladder: known actions; offsets ascending (equal offsets
// fire in order) and within a year of the deadline; penalties not before the
// deadline; points from 0.01 to 100, to the hundredth, and only on deductions.
// Fields are named under prefix, e.g. "ladder[2].offset".
func (l Ladder) Validate(prefix string, v *ValidationError) {
	if len(l) > 20 {
		v.Add(prefix, MsgAtMostItems(20))
		return
	}
	names := make([]string, len(Actions))
	for i, a := range Actions {
		names[i] = string(a)
	}
	for i, r := range l {
		at := fmt.Sprintf("%s[%d]", prefix, i)
		if !slices.Contains(Actions, r.Action) {
			v.Add(at+".action", MsgOneOf(names...))
		}
		switch {
		case r.Offset > MaxOffset || r.Offset < -MaxOffset:
			v.Add(at+".offset", "应在期限前后一年以内")
		case i > 0 && r.Offset < l[i-1].Offset:
			v.Add(at+".offset", "应按时间先后排列，不早于前一级")
		case r.Action.Punishes() && slices.Contains(Actions, r.Action) && r.Offset < 0:
			v.Add(at+".offset", "督办函、通报、约谈、扣分只能在期限到达时或之后（偏移不能为负）")
		}
		switch {
		case r.Action == ActionDeduct && !(r.Points >= MinPoints && r.Points <= MaxPoints):
			v.Add(at+".points", MsgRange(MinPoints, MaxPoints))
		case r.Action == ActionDeduct && math.Abs(r.Points*100-math.Round(r.Points*100)) > 1e-6:
			v.Add(at+".points", "最多保留两位小数")
		case r.Action != ActionDeduct && r.Points != 0:
			v.Add(at+".points", "只有扣分（deduct）才带分值")
		}
	}
}

func days(n int) Offset { return Offset(time.Duration(n) * 24 * time.Hour) }

// DefaultLadder is the county's default escalation for an assigned matter:
// reminders a day before and on the deadline, a supervision letter at +3 days,
// a public notice at +7 days, a summons interview and a 2-point deduction at +15 days.
func DefaultLadder() Ladder {
	return Ladder{
		{Offset: days(-1), Action: ActionRemind},
		{Offset: 0, Action: ActionRemind},
		{Offset: days(3), Action: ActionLetter},
		{Offset: days(7), Action: ActionNotice},
		{Offset: days(15), Action: ActionInterview},
		{Offset: days(15), Action: ActionDeduct, Points: 2},
	}
}

// Duration is the offset as a time.Duration.
func (o Offset) Duration() time.Duration { return time.Duration(o) }

// LadderPreset is a named escalation an issuer picks for a new matter.
type LadderPreset struct {
	Name   string // 标准, 紧急, 宽松
	Ladder Ladder
}

// LadderPresets are the ladders the issuing page offers, the default first.
func LadderPresets() []LadderPreset {
	return []LadderPreset{
		{Name: "standard", Ladder: DefaultLadder()},
		// Urgent matters (a hazard to rectify now): pressed within days.
		{Name: "urgent", Ladder: Ladder{
			{Offset: Offset(-4 * time.Hour), Action: ActionRemind},
			{Offset: 0, Action: ActionRemind},
			{Offset: days(1), Action: ActionLetter},
			{Offset: days(3), Action: ActionNotice},
			{Offset: days(7), Action: ActionInterview},
			{Offset: days(7), Action: ActionDeduct, Points: 3},
		}},
		// Routine matters: reminders and a letter, no public penalty.
		{Name: "routine", Ladder: Ladder{
			{Offset: days(-3), Action: ActionRemind},
			{Offset: 0, Action: ActionRemind},
			{Offset: days(7), Action: ActionLetter},
		}},
	}
}
