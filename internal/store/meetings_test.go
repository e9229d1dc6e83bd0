package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

// The statistics count meetings by kind in the county's days of the period,
// of the campaign when tied, organised by the unit when one is chosen; a
// meeting is recorded once per key and per minutes task; the list keeps to a
// reader's units.
func TestMeetingRecordsAndCounts(t *testing.T) {
	ctx := context.Background()
	c := testdb.NewCounty(t)
	db := c.Store
	chair := c.IDs["linyou-magistrate"]
	record := func(kind, heldOn string, organiser int64, campaign, key, task *string) (int64, bool) {
		t.Helper()
		var id int64
		var created bool
		err := db.InTx(ctx, func(tx *sqlx.Tx) error {
			m := store.Meeting{Kind: kind, Title: "会议", OrganiserUnitID: organiser, ChairID: chair, CreatedBy: chair, CampaignID: campaign, Key: key, MinutesTask: task}
			m.HeldOn.Time, _ = time.ParseInLocation(time.DateOnly, heldOn, domain.DefaultZone)
			var err error
			id, created, err = store.InsertMeeting(ctx, tx, m)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return id, created
	}
	ptr := func(s string) *string { return &s }
	camp := ptr(seed.DemoCampaignID)
	linyou, yjj := c.Units["linyou"], c.Units["yjj"]
	for range 4 {
		record(domain.MeetingStandingCommittee, "2020-05-10", linyou, nil, nil, nil)
	}
	record(domain.MeetingSpecial, "2020-06-01", linyou, nil, nil, nil)
	for range 5 {
		record(domain.MeetingExecutive, "2020-08-01", linyou, camp, nil, nil)
	}
	record(domain.MeetingExecutive, "2019-12-31", linyou, nil, nil, nil) // the year before
	first, created := record(domain.MeetingTechnicalExchange, "2020-07-20", yjj, camp, ptr("p1:k"), ptr("meeting.x.minutes.1"))
	if !created {
		t.Fatal("first record not created")
	}
	if again, created := record(domain.MeetingTechnicalExchange, "2020-07-20", yjj, camp, ptr("p1:k"), nil); created || again != first {
		t.Fatalf("a retry recorded %d (created %v), want %d", again, created, first)
	}
	if again, created := record(domain.MeetingTechnicalExchange, "2020-07-21", yjj, camp, nil, ptr("meeting.x.minutes.1")); created || again != first {
		t.Fatalf("a second record for the task recorded %d (created %v), want %d", again, created, first)
	}

	day := func(s string) time.Time { d, _ := time.ParseInLocation(time.DateOnly, s, domain.DefaultZone); return d }
	count := func(q store.StatsQuery) store.MeetingStats {
		t.Helper()
		st, err := store.Statistics(ctx, db.DB, q)
		if err != nil {
			t.Fatal(err)
		}
		return st.Meetings
	}
	year := count(store.StatsQuery{From: day("2020-01-01"), To: day("2020-12-31")})
	if year.Held != 11 || year.ByKind[domain.MeetingStandingCommittee] != 4 || year.ByKind[domain.MeetingSpecial] != 1 ||
		year.ByKind[domain.MeetingExecutive] != 5 || year.ByKind[domain.MeetingTechnicalExchange] != 1 || len(year.ByKind) != len(domain.MeetingKinds) {
		t.Fatalf("2020: %+v", year)
	}
	if n := len(year.ByYear); n != 1 || year.ByYear["2020"][domain.MeetingExecutive] != 5 || year.ByYear["2020"][domain.MeetingSafetyCommittee] != 0 {
		t.Fatalf("2020 by year: %+v", year.ByYear)
	}
	if all := count(store.StatsQuery{}); all.ByYear["2019"][domain.MeetingExecutive] != 1 || all.ByYear["2020"][domain.MeetingExecutive] != 5 ||
		all.ByKind[domain.MeetingExecutive] != 6 {
		t.Fatalf("all years: %+v", all)
	}
	if tied := count(store.StatsQuery{From: day("2020-01-01"), To: day("2020-12-31"), CampaignID: seed.DemoCampaignID}); tied.Held != 6 {
		t.Fatalf("the campaign's: %+v", tied)
	}
	if own := count(store.StatsQuery{UnitID: yjj}); own.Held != 1 {
		t.Fatalf("yjj's: %+v", own)
	}
	all, err := store.Meetings(ctx, db.DB, store.MeetingQuery{Year: 2020, Kind: domain.MeetingExecutive})
	if err != nil || len(all) != 5 {
		t.Fatalf("2020's executive meetings: %d (%v)", len(all), err)
	}
	mine, err := store.Meetings(ctx, db.DB, store.MeetingQuery{Units: []int64{yjj}})
	if err != nil || len(mine) != 1 || mine[0].ID != first || mine[0].OrganiserCode != "yjj" {
		t.Fatalf("yjj's meetings %+v (%v)", mine, err)
	}
}

// A meeting read while one of its decisions' matters changes state answers
// counts that agree with the decisions it lists: both are read as of one
// moment. Two statements each as of its own start could count a matter open
// and list it approved (seen once in e2e beside a CPU hog).
func TestMeetingReadsItsCountsAndDecisionsAsOfOneMoment(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := testdb.NewCounty(t)
	db := c.Store
	chair, jcg := c.IDs["linyou-magistrate"], c.Units["jcg"]
	var meetingID int64
	if err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := store.UpsertAssignment(ctx, tx, store.Assignment{ID: 1, Title: "议定事项", Content: "排查", DueAt: time.Now(), IssuerUnitID: jcg,
			AssignerID: chair, AssigneeUnitID: jcg, ReviewerUnitID: jcg, ReviewerRole: "unit_head", Ladder: []byte(`[]`)}); err != nil {
			return err
		}
		m := store.Meeting{Kind: domain.MeetingSafetyCommittee, Title: "安委会全体会议", OrganiserUnitID: jcg, ChairID: chair, CreatedBy: chair}
		m.HeldOn.Time = time.Date(2020, 5, 1, 0, 0, 0, 0, domain.DefaultZone)
		var err error
		if meetingID, _, err = store.InsertMeeting(ctx, tx, m); err != nil {
			return err
		}
		return store.InsertDecision(ctx, tx, meetingID, store.Decision{Seq: 0, Content: "排查", UnitID: jcg, DueAt: time.Now(), AssignmentID: 1})
	}); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	toggled := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				toggled <- nil
				return
			default:
			}
			if _, err := db.DB.ExecContext(ctx, `UPDATE assignments SET status = CASE WHEN status = 'approved' THEN 'submitted' ELSE 'approved' END WHERE id = 1`); err != nil {
				toggled <- err
				return
			}
		}
	}()
	seen := map[string]bool{}
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; (i < 200 || len(seen) < 2) && time.Now().Before(deadline); i++ {
		m, err := store.MeetingByID(ctx, db.DB, meetingID)
		if err != nil {
			t.Fatal(err)
		}
		open := 0
		for _, d := range m.Decisions {
			seen[string(d.Status)] = true
			if d.Status != "approved" {
				open++
			}
		}
		if len(m.Decisions) != 1 || m.DecisionCount != 1 || m.OpenDecisions != open {
			t.Fatalf("read %d: decisions %+v, count %d, open %d", i, m.Decisions, m.DecisionCount, m.OpenDecisions)
		}
	}
	close(stop)
	if err := <-toggled; err != nil {
		t.Fatal(err)
	}
	if len(seen) < 2 {
		t.Fatalf("the matter was read only as %v while it changed", seen)
	}
}
