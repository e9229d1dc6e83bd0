package domain

import (
	"fmt"
	"slices"
	"time"
)

// The kinds of meetings the county's report counts (议定事项督办).
const (
	MeetingStandingCommittee       = "standing_committee"       // 县委常委会
	MeetingSpecial                 = "special_meeting"          // 县委专题会议
	MeetingExecutive               = "executive_meeting"        // 政府常务会
	MeetingSafetyCommittee         = "safety_committee"         // 安委会全体会议
	MeetingSpecialistCommittee     = "specialist_committee"     // 专业委员会会议
	MeetingRectificationReflection = "rectification_reflection" // 煤矿问题整改反思会
	MeetingTechnicalExchange       = "technical_exchange"       // 技术交流会
)

// MeetingKinds lists every kind, in the order the statistics show them.
var MeetingKinds = []string{MeetingStandingCommittee, MeetingSpecial, MeetingExecutive, MeetingSafetyCommittee,
	MeetingSpecialistCommittee, MeetingRectificationReflection, MeetingTechnicalExchange}

// MeetingKindNames are the kinds as officials name them.
var MeetingKindNames = map[string]string{
	MeetingStandingCommittee:       "县委常委会",
	MeetingSpecial:                 "县委专题会议",
	MeetingExecutive:               "政府常务会",
	MeetingSafetyCommittee:         "安委会全体会议",
	MeetingSpecialistCommittee:     "专业委员会会议",
	MeetingRectificationReflection: "煤矿问题整改反思会",
	MeetingTechnicalExchange:       "技术交流会",
}

// KindMeetingMinutes: the organising unit records a periodic meeting (its
// minutes and decisions) and answers with the meeting's id.
const KindMeetingMinutes TaskKind = "meeting.minutes"

// Bounds of a meeting record.
const (
	MaxDecisions = 50
	maxAttendees = 200
	maxTopics    = 50
)

// NewMeeting is a meeting as its organiser records it: the decisions each
// become an assigned matter of the unit named, with the meeting's ladder.
type NewMeeting struct {
	Kind      string   `json:"kind"`
	Title     string   `json:"title"`
	HeldOn    string   `json:"held_on"`
	Organiser string   `json:"organiser"` // the organising unit's code
	Chair     string   `json:"chair"`     // the chair's person key
	Attendees []string `json:"attendees"`
	Topics    []string `json:"topics"`
	Minutes   string   `json:"minutes"`
	// Campaign the meeting belongs to, if any.
	Campaign string `json:"campaign,omitempty"`
	// MinutesTask is the minutes task of a periodic meeting this record answers.
	MinutesTask string     `json:"minutes_task,omitempty"`
	Decisions   []Decision `json:"decisions"`
	// Ladder presses each decision's unit; the default ladder when unset.
	Ladder *Ladder `json:"ladder,omitempty"`
}

// Decision is one decision of a meeting (议定事项): what the unit named is to do, and by when.
type Decision struct {
	Unit    string     `json:"unit"`
	Content string     `json:"content"`
	DueAt   *time.Time `json:"due_at"`
}

// Validate checks a meeting and its decisions; now bounds the dates (a
// meeting is recorded after it was held; a decision is due after now).
func (m *NewMeeting) Validate(now time.Time, v *ValidationError) {
	oneOf(v, "kind", m.Kind, MeetingKinds)
	v.Text("title", &m.Title, true, 200)
	day(v, "held_on", m.HeldOn, now)
	v.Text("organiser", &m.Organiser, true, 100)
	v.Text("chair", &m.Chair, true, 100)
	textList(v, "attendees", m.Attendees, maxAttendees, 100)
	textList(v, "topics", m.Topics, maxTopics, 500)
	v.Text("minutes", &m.Minutes, false, maxText)
	v.Text("campaign", &m.Campaign, false, 100)
	v.Text("minutes_task", &m.MinutesTask, false, 200)
	if len(m.Decisions) > MaxDecisions {
		v.Add("decisions", MsgAtMostItems(MaxDecisions))
	}
	for i := range m.Decisions {
		at := fmt.Sprintf("decisions[%d]", i)
		d := &m.Decisions[i]
		v.Text(at+".unit", &d.Unit, true, 100)
		v.Text(at+".content", &d.Content, true, 5000)
		switch {
		case d.DueAt == nil:
			v.Add(at+".due_at", MsgRequired)
		case !d.DueAt.After(now):
			v.Add(at+".due_at", MsgFuture)
		case d.DueAt.Sub(now) > MaxAhead:
			v.Add(at+".due_at", "不能晚于一年以后")
		}
	}
	if m.Ladder != nil {
		m.Ladder.Validate("ladder", v)
	}
}

// textList checks a list of short texts: at most max items, each required and at most n characters.
func textList(v *ValidationError, field string, list []string, max, n int) {
	if len(list) > max {
		v.Add(field, MsgAtMostItems(max))
		return
	}
	for i := range list {
		v.Text(fmt.Sprintf("%s[%d]", field, i), &list[i], true, n)
	}
}

// The periods of a periodic meeting.
const (
	EveryMonth   = "month"
	EveryQuarter = "quarter"
)

// MeetingRule is a periodic meeting of a campaign's policy (the 麟北矿区
// technical exchange meeting, the 联防联治 meetings): on its day of each
// period the organising unit gets a task to record the meeting's minutes.
type MeetingRule struct {
	Kind      string `json:"kind" yaml:"kind"`
	Title     string `json:"title" yaml:"title"`
	Organiser string `json:"organiser" yaml:"organiser"` // the organising unit's code
	Every     string `json:"every" yaml:"every"`         // month or quarter
	// Day of the period's first month the meeting is held (1–28).
	Day int `json:"day" yaml:"day"`
	// MinutesDays: the minutes are due this many days after the meeting (default 3).
	MinutesDays int `json:"minutes_days,omitempty" yaml:"minutes_days"`
	// Ladder presses the organiser for the minutes; default reminders and a letter.
	Ladder *Ladder `json:"ladder,omitempty" yaml:"-"`
}

// MaxMeetingRules bounds a policy's periodic meetings.
const MaxMeetingRules = 20

// WithDefaults fills what is unset.
func (r MeetingRule) WithDefaults() MeetingRule {
	if r.MinutesDays == 0 {
		r.MinutesDays = 3
	}
	if r.Ladder == nil {
		r.Ladder = &Ladder{{Offset: days(-1), Action: ActionRemind}, {Offset: 0, Action: ActionRemind}, {Offset: days(3), Action: ActionLetter}}
	}
	return r
}

// ValidateMeetingRules checks a policy's periodic meetings, naming each bad field under prefix.
func ValidateMeetingRules(prefix string, rules []MeetingRule, v *ValidationError) {
	if len(rules) > MaxMeetingRules {
		v.Add(prefix, MsgAtMostItems(MaxMeetingRules))
		return
	}
	for i, r := range rules {
		at := fmt.Sprintf("%s[%d]", prefix, i)
		r = r.WithDefaults()
		oneOf(v, at+".kind", r.Kind, MeetingKinds)
		v.Text(at+".title", &r.Title, true, 200)
		v.Text(at+".organiser", &r.Organiser, true, 100)
		oneOf(v, at+".every", r.Every, []string{EveryMonth, EveryQuarter})
		if r.Day < 1 || r.Day > 28 {
			v.Add(at+".day", MsgRange(1, 28))
		}
		if r.MinutesDays < 1 || r.MinutesDays > 60 {
			v.Add(at+".minutes_days", MsgRange(1, 60))
		}
		r.Ladder.Validate(at+".ladder", v)
	}
}

// MeetingEvents lays out the periodic meetings of rules from start to end in
// loc: each rule's meeting at 09:00 on its day of every month or quarter that
// falls within the campaign.
func MeetingEvents(rules []MeetingRule, start, end time.Time, loc *time.Location) []CalendarEvent {
	var out []CalendarEvent
	first := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, loc)
	last := time.Date(end.Year(), end.Month(), end.Day(), 23, 59, 59, 0, loc)
	for i, r := range rules {
		step := 1
		if r.Every == EveryQuarter {
			step = 3
		}
		m := time.Date(first.Year(), first.Month(), 1, 0, 0, 0, 0, loc)
		if step == 3 {
			m = time.Date(first.Year(), time.Month((int(first.Month())-1)/3*3+1), 1, 0, 0, 0, 0, loc)
		}
		for ; !m.After(last); m = m.AddDate(0, step, 0) {
			at := time.Date(m.Year(), m.Month(), r.Day, 9, 0, 0, 0, loc)
			if at.Before(first) || at.After(last) {
				continue
			}
			period := m.Format("2006-01")
			if step == 3 {
				period = fmt.Sprintf("%d-Q%d", m.Year(), (int(m.Month())-1)/3+1)
			}
			out = append(out, CalendarEvent{At: at, Kind: EventMeeting, Year: m.Year(), Period: period, Rule: i})
		}
	}
	slices.SortStableFunc(out, func(a, b CalendarEvent) int { return a.At.Compare(b.At) })
	return out
}

// MeetingDue is when a periodic meeting's minutes are due: its rule's days after the meeting.
func (r MeetingRule) MeetingDue(at time.Time) time.Time {
	return at.Add(Days(r.WithDefaults().MinutesDays))
}
