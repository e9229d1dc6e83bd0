package domain

import (
	"testing"
	"time"
)

// A quarterly meeting on the 20th falls in each quarter's first month within
// the campaign; a monthly one on the 1st skips a first month whose day came
// before the campaign began; the campaign's calendar holds both in time order.
func TestMeetingEvents(t *testing.T) {
	loc := DefaultZone
	start := time.Date(2020, 4, 5, 0, 0, 0, 0, loc)
	end := time.Date(2020, 12, 31, 0, 0, 0, 0, loc)
	rules := []MeetingRule{
		{Kind: MeetingTechnicalExchange, Title: "技术交流会", Organiser: "yjj", Every: EveryQuarter, Day: 20},
		{Kind: MeetingSafetyCommittee, Title: "联防联治会议", Organiser: "yjj", Every: EveryMonth, Day: 1},
	}
	var quarterly, monthly []string
	for _, e := range MeetingEvents(rules, start, end, loc) {
		if e.Kind != EventMeeting || e.At.Hour() != 9 {
			t.Fatalf("event %+v", e)
		}
		if e.Rule == 0 {
			quarterly = append(quarterly, e.Period+"@"+e.At.Format("01-02"))
		} else {
			monthly = append(monthly, e.Period)
		}
	}
	if got := len(quarterly); got != 3 || quarterly[0] != "2020-Q2@04-20" || quarterly[2] != "2020-Q4@10-20" {
		t.Fatalf("quarterly %v", quarterly)
	}
	if len(monthly) != 8 || monthly[0] != "2020-05" || monthly[7] != "2020-12" {
		t.Fatalf("monthly %v", monthly)
	}
	cal := CampaignCalendar(start, end, loc, CampaignPolicy{Meetings: rules})
	for i := 1; i < len(cal); i++ {
		if cal[i].At.Before(cal[i-1].At) {
			t.Fatalf("calendar out of order at %d: %v before %v", i, cal[i].At, cal[i-1].At)
		}
	}
	if n := len(cal) - len(BuildCalendar(start, end, loc, AssessmentPolicy{})); n != 11 {
		t.Fatalf("%d meeting events in the calendar, want 11", n)
	}
}

// A policy's periodic meetings are checked field by field.
func TestMeetingRulesValidate(t *testing.T) {
	v := &ValidationError{}
	ValidateMeetingRules("policy.meetings", []MeetingRule{
		{Kind: "party", Title: "", Organiser: "yjj", Every: "week", Day: 31, MinutesDays: 90},
		{Kind: MeetingTechnicalExchange, Title: "技术交流会", Organiser: "yjj", Every: EveryQuarter, Day: 20},
	}, v)
	want := map[string]bool{"policy.meetings[0].kind": true, "policy.meetings[0].title": true, "policy.meetings[0].every": true,
		"policy.meetings[0].day": true, "policy.meetings[0].minutes_days": true}
	if len(v.Fields) != len(want) {
		t.Fatalf("fields %+v", v.Fields)
	}
	for _, f := range v.Fields {
		if !want[f.Field] {
			t.Errorf("unexpected %s: %s", f.Field, f.Detail)
		}
	}
}

// A meeting's record: every bad field named, decisions due after now.
func TestNewMeetingValidate(t *testing.T) {
	now := time.Date(2021, 5, 1, 10, 0, 0, 0, DefaultZone)
	past, soon := now.Add(-time.Hour), now.Add(48*time.Hour)
	m := NewMeeting{Kind: "x", Title: "会\x00议", HeldOn: "2021-05-02", Organiser: "yjj", Chair: "",
		Attendees: []string{"县长", ""}, Decisions: []Decision{{Unit: "jcg", Content: "排查", DueAt: &past}, {Unit: "", Content: "排查", DueAt: &soon}, {Unit: "gjh", Content: "x"}}}
	v := &ValidationError{}
	m.Validate(now, v)
	got := map[string]bool{}
	for _, f := range v.Fields {
		got[f.Field] = true
	}
	for _, f := range []string{"kind", "title", "held_on", "chair", "attendees[1]", "decisions[0].due_at", "decisions[1].unit", "decisions[2].due_at"} {
		if !got[f] {
			t.Errorf("%s not named: %+v", f, v.Fields)
		}
	}
	ok := NewMeeting{Kind: MeetingExecutive, Title: "县政府常务会议", HeldOn: "2021-05-01", Organiser: "linyou", Chair: "linyou-magistrate",
		Decisions: []Decision{{Unit: "jcg", Content: "排查", DueAt: &soon}}}
	v = &ValidationError{}
	ok.Validate(now, v)
	if v.Err() != nil {
		t.Fatalf("a sound meeting refused: %v", v)
	}
}
