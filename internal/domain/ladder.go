package domain

import (
	"encoding/json"
	"fmt"
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

// Label is the action's Chinese name, as officials read it.
func (a Action) Label() string {
	switch a {
	case ActionRemind:
		return "提醒"
	case ActionLetter:
		return "督办函"
	case ActionNotice:
		return "通报"
	case ActionInterview:
		return "约谈"
	case ActionDeduct:
		return "扣分"
	}
	return string(a)
}

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
		if err != nil {
			return 0, fmt.Errorf("offset %q: want e.g. -3d, 0, 12h, +15d", s)
		}
		return Offset(time.Duration(n * float64(24*time.Hour))), nil
	}
	d, err := time.ParseDuration(strings.TrimPrefix(s, "+"))
	if err != nil {
		return 0, fmt.Errorf("offset %q: want e.g. -3d, 0, 12h, +15d", s)
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

// MarshalJSON writes the offset as a string.
func (o Offset) MarshalJSON() ([]byte, error) { return json.Marshal(o.String()) }

// UnmarshalJSON reads a string offset (or a number of seconds).
func (o *Offset) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var secs float64
		if err2 := json.Unmarshal(b, &secs); err2 != nil {
			return fmt.Errorf("offset: want a string such as \"-3d\"")
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

// Validate checks a ladder: offsets ascending (equal offsets fire in order),
// known actions, points ≥ 0 and only on deductions (where they are > 0).
// Fields are named under prefix, e.g. "ladder[2].offset".
func (l Ladder) Validate(prefix string, v *ValidationError) {
	for i, r := range l {
		at := fmt.Sprintf("%s[%d]", prefix, i)
		known := false
		for _, a := range Actions {
			known = known || r.Action == a
		}
		if !known {
			v.Add(at+".action", fmt.Sprintf("unknown action %q: one of remind, letter, notice, interview, deduct", r.Action))
		}
		if i > 0 && r.Offset < l[i-1].Offset {
			v.Add(at+".offset", "offsets must be ascending")
		}
		if r.Points < 0 {
			v.Add(at+".points", "points must be ≥ 0")
		}
		if r.Action == ActionDeduct && r.Points <= 0 {
			v.Add(at+".points", "a deduction needs points > 0")
		}
		if r.Action != ActionDeduct && r.Points != 0 {
			v.Add(at+".points", "only a deduction carries points")
		}
		if time.Duration(r.Offset).Abs() > 366*24*time.Hour {
			v.Add(at+".offset", "offsets are within a year of the deadline")
		}
	}
	if len(l) > 20 {
		v.Add(prefix, "at most 20 rungs")
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
