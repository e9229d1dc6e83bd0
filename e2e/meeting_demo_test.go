package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/zeren-county/zeren/internal/demo"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// TestDemoHoldsTheCampaignsMeetings: the demo bot plays a fast campaign with
// the seed's periodic meetings through the API. It records the safety
// committee's meeting (its day, in May, before the campaign's start: held late); its two
// decisions run as assigned matters on the campaign's clock, and the towns'
// and the bureau's heads report them done and the office approves them.
// When the quarter's periodic meetings come, yjj's head gets their
// minutes tasks, and the bot records each meeting for its task, which answers it.
func TestDemoHoldsTheCampaignsMeetings(t *testing.T) {
	if testing.Short() {
		t.Skip("a minute of real timers")
	}
	s, tokens := seeded(t)
	sys := start(t, "", s, tokens)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	people := demoPeople(t, s, tokens)
	bot := &demo.Bot{BaseURL: sys.http.URL, People: people, Poll: 100 * time.Millisecond, Meetings: demo.CampaignMeetings()[:1],
		Model: demo.Model{Think: 24 * time.Hour}}
	spec := demo.DemoCampaign("meetings", 50000)
	// From July: the May meeting is held late (its decisions get a week at least), the minutes of 20 July come soon, two months to spare.
	spec.StartsOn, spec.EndsOn = "2020-07-01", "2020-09-30"
	if err := bot.Start(ctx, spec, "yjj-office", "linyou-deputy"); err != nil {
		t.Fatal(err)
	}
	var list struct {
		Meetings []store.Meeting `json:"meetings"`
	}
	settled := func() bool {
		sys.send(t, "GET", "/api/v1/meetings", "linyou-secretary", nil).want(t, 200).decode(t, &list)
		decided, minuted := false, false
		for _, m := range list.Meetings {
			decided = decided || (m.DecisionCount == 2 && m.OpenDecisions == 0)
			minuted = minuted || m.MinutesTask != nil
		}
		return decided && minuted
	}
	var last demo.CampaignStatus
	if err := bot.Run(ctx, spec.ID, "yjj-office", func(st demo.CampaignStatus) bool { last = st; return settled() }); err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Fatalf("by campaign time %v: %+v", last.Now, list.Meetings)
	}
	for _, m := range list.Meetings {
		var full store.Meeting
		sys.send(t, "GET", fmt.Sprintf("/api/v1/meetings/%d", m.ID), "linyou-secretary", nil).want(t, 200).decode(t, &full)
		switch {
		case full.MinutesTask != nil:
			// The bot holds the meeting the day its task opened: the rule's day in
			// campaign time, unless the machine was slow — at 50,000 times real
			// time the 15 hours from the rule's 09:00 to midnight are a second of
			// wall time — so on that day or up to its minutes' deadline (3 days).
			var task struct {
				Status  string    `db:"status"`
				Created time.Time `db:"created_at"`
			}
			day := map[string]string{"technical_exchange": "2020-07-20", "specialist_committee": "2020-07-10"}[full.Kind] // the seed's quarterly rules
			err := s.DB.Get(&task, `SELECT status, created_at FROM tasks WHERE id = $1`, *full.MinutesTask)
			held, opened := full.HeldOn.Format(time.DateOnly), task.Created.In(domain.DefaultZone).Format(time.DateOnly)
			rule, _ := time.Parse(time.DateOnly, day)
			t.Logf("%s: rule's day %s, its task opened %s, held on %s", full.Kind, day, task.Created.In(domain.DefaultZone), held)
			if err != nil || task.Status != "completed" || day == "" || held != opened || held < day || held > rule.AddDate(0, 0, 3).Format(time.DateOnly) ||
				full.ChairName == "" {
				t.Errorf("technical exchange %+v, its task %+v (%v)", full, task, err)
			}
		case len(full.Decisions) == 2:
			if full.CampaignID == nil || *full.CampaignID != spec.ID || full.HeldOn.Format("2006-01-02") != "2020-05-20" {
				t.Errorf("the safety committee's meeting %+v", full)
			}
			for _, d := range full.Decisions {
				// On the campaign's clock: due in 2020, 30 and 45 campaign days after the meeting.
				if d.Status != "approved" || d.DueAt.Year() != 2020 {
					t.Errorf("decision %+v", d)
				}
				var campaign string
				if err := s.DB.Get(&campaign, `SELECT campaign_id FROM tasks WHERE subject_type = 'assignment' AND subject_id = $1 LIMIT 1`,
					fmt.Sprint(d.AssignmentID)); err != nil || campaign != spec.ID {
					t.Errorf("decision %d's tasks are of campaign %q (%v)", d.Seq, campaign, err)
				}
			}
		default:
			t.Errorf("a meeting the bot did not hold: %+v", full)
		}
	}
}

// demoPeople are the seeded people as the demo bot plays them: each grant
// with its unit, and the person's token.
func demoPeople(t *testing.T, s *store.Store, tokens map[string]string) []demo.Person {
	t.Helper()
	var people []demo.Person
	if err := s.DB.Select(&people, `SELECT p.key AS key, g.role AS role, u.code AS unitcode FROM people p
JOIN role_grants g ON g.person_id = p.id JOIN units u ON u.id = g.unit_id ORDER BY p.id, g.role`); err != nil {
		t.Fatal(err)
	}
	for i := range people {
		people[i].Token = tokens[people[i].Key]
	}
	return people
}
