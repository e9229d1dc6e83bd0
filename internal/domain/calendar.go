package domain

import (
	"fmt"
	"slices"
	"time"
)

// EventKind is what a campaign's calendar starts.
type EventKind string

// The calendar's events.
const (
	EventPledges    EventKind = "pledges"    // a year's pledges
	EventReports    EventKind = "reports"    // a month's reports
	EventAssessment EventKind = "assessment" // a year's assessment
	EventMeeting    EventKind = "meeting"    // a periodic meeting of the policy (its minutes task)
)

// CalendarEvent is one thing a campaign starts at a time: a year's pledges, a
// month's reports, a year's assessment.
type CalendarEvent struct {
	At     time.Time `json:"at"`
	Kind   EventKind `json:"kind"`
	Year   int       `json:"year"`
	Period string    `json:"period,omitempty"`
	// Rule is a meeting's index in the policy's periodic meetings.
	Rule int `json:"rule,omitempty"`
}

// CampaignCalendar is a campaign's whole calendar: BuildCalendar's events and
// the policy's periodic meetings, in time order.
func CampaignCalendar(start, end time.Time, loc *time.Location, p CampaignPolicy) []CalendarEvent {
	out := append(BuildCalendar(start, end, loc, p.Assessment), MeetingEvents(p.Meetings, start, end, loc)...)
	slices.SortStableFunc(out, func(a, b CalendarEvent) int { return a.At.Compare(b.At) })
	return out
}

// BuildCalendar lays out a campaign from its first to its last day in loc: the
// year's pledges on its first day (or the campaign's), each month's reports a
// minute into the month's first day, and each year's assessment on the
// policy's day after it (default 16 January 09:00: once December's reports are
// past their deadline and their ladder's +10-day rung).
func BuildCalendar(start, end time.Time, loc *time.Location, p AssessmentPolicy) []CalendarEvent {
	p = p.WithDefaults()
	day, _ := time.Parse("01-02", p.Day)
	var out []CalendarEvent
	first := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, loc)
	last := time.Date(end.Year(), end.Month(), end.Day(), 0, 0, 0, 0, loc)
	for y := first.Year(); y <= last.Year(); y++ {
		at := time.Date(y, 1, 1, 0, 0, 0, 0, loc)
		if at.Before(first) {
			at = first
		}
		out = append(out, CalendarEvent{At: at, Kind: EventPledges, Year: y})
		for m := time.January; m <= time.December; m++ {
			mat := time.Date(y, m, 1, 0, 0, 0, 0, loc)
			if mat.AddDate(0, 1, 0).Before(first.AddDate(0, 0, 1)) || mat.After(last) {
				continue
			}
			if mat.Before(first) {
				mat = first
			}
			out = append(out, CalendarEvent{At: mat.Add(time.Minute), Kind: EventReports, Year: y, Period: fmt.Sprintf("%d-%02d", y, m)})
		}
		out = append(out, CalendarEvent{At: time.Date(y+1, day.Month(), day.Day(), *p.Hour, 0, 0, 0, loc), Kind: EventAssessment, Year: y})
	}
	slices.SortStableFunc(out, func(a, b CalendarEvent) int { return a.At.Compare(b.At) })
	return out
}

// LedgerYear is the assessment year a deduction counts in: the year of the
// period or pledge its task concerns (a December report late in January
// counts in December's year, so that year's assessment sees it), or, for a
// task of no such year, the year of its deadline in the campaign's zone.
func LedgerYear(subjectYear int, due time.Time, zone *time.Location) int {
	if subjectYear != 0 {
		return subjectYear
	}
	return due.In(zone).Year()
}
