package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

// A task of a campaign on a fast clock is overdue by campaign time; others by
// the wall clock — in the page filter and in the badge counts alike.
func TestOverdueIsMeasuredInCampaignTime(t *testing.T) {
	ctx := context.Background()
	s := testdb.New(t)
	if _, err := seed.Load(ctx, s); err != nil {
		t.Fatal(err)
	}
	unit, err := store.UnitByCode(ctx, s.DB, "gaj")
	if err != nil {
		t.Fatal(err)
	}
	fast := store.Campaign{ID: "fast", Name: "快", TimeZone: "Asia/Shanghai", StartsOn: time.Date(2020, 4, 1, 0, 0, 0, 0, time.UTC),
		EndsOn: time.Date(2022, 12, 31, 0, 0, 0, 0, time.UTC), Policy: store.JSON(`{}`), ClockSpeed: 40000}
	if err := store.UpsertCampaign(ctx, s.DB, fast); err != nil {
		t.Fatal(err)
	}
	wall := time.Now()
	if _, err := store.StartClock(ctx, s.DB, "fast", wall); err != nil {
		t.Fatal(err)
	}
	// A restart does not move the clock.
	if c, err := store.StartClock(ctx, s.DB, "fast", wall.Add(time.Hour)); err != nil || !c.ClockAnchor.Equal(wall.Truncate(time.Microsecond)) {
		t.Fatalf("anchor %v (%v), want %v", c.ClockAnchor, err, wall)
	}
	camp := "fast"
	real := seed.DemoCampaignID
	add := func(id string, campaign *string, due time.Time) {
		if _, err := store.InsertTask(ctx, s.DB, store.Task{ID: id, WorkflowID: "w/" + id, Kind: "report.submit", Title: id, SubjectType: "report", SubjectID: id,
			CampaignID: campaign, UnitID: unit.ID, Role: "unit_head", Status: domain.TaskOpen, DueAt: due, CreatedAt: due.Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	add("fast-not-yet", &camp, time.Date(2020, 5, 5, 18, 0, 0, 0, time.UTC)) // campaign time is 1 April 2020
	add("fast-overdue", &camp, time.Date(2020, 3, 31, 0, 0, 0, 0, time.UTC))
	add("real-overdue", &real, wall.Add(-time.Hour))
	add("real-not-yet", &real, wall.Add(time.Hour))
	clocks, err := store.FastClocks(ctx, s.DB)
	if err != nil || len(clocks) != 1 {
		t.Fatalf("clocks %v (%v)", clocks, err)
	}
	yes := true
	q := store.InboxQuery{UnitIDs: []int64{unit.ID}, Roles: []string{"unit_head"}, Now: wall, Clocks: clocks, Overdue: &yes}
	tasks, _, err := store.Inbox(ctx, s.DB, q)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, task := range tasks {
		got[task.ID] = true
	}
	if len(got) != 2 || !got["fast-overdue"] || !got["real-overdue"] {
		t.Fatalf("overdue: %v; want fast-overdue and real-overdue", got)
	}
	q.Overdue = nil
	counts, err := store.InboxCounts(ctx, s.DB, q)
	if err != nil || len(counts) != 1 || counts[0].Open != 4 || counts[0].Overdue != 2 {
		t.Fatalf("counts %+v (%v); want 4 open, 2 overdue", counts, err)
	}
}
