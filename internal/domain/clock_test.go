package domain

import (
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	anchor := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	start := time.Date(2020, 4, 1, 0, 0, 0, 0, time.UTC)
	c := &Clock{Anchor: anchor, Start: start, Speed: 40000}
	if got := c.Now(anchor); !got.Equal(start) {
		t.Fatalf("at the anchor: %v, want %v", got, start)
	}
	// 2.16 s of wall time is a campaign day at 40,000.
	if got := c.Now(anchor.Add(2160 * time.Millisecond)); !got.Equal(start.Add(24 * time.Hour)) {
		t.Fatalf("after 2.16 s: %v", got)
	}
	if w := c.Wall(24 * time.Hour); w != 2160*time.Millisecond {
		t.Fatalf("a campaign day takes %v of wall time", w)
	}
	// A timer of Wall(d) never fires before campaign time d has passed.
	for _, d := range []time.Duration{time.Nanosecond, time.Second, 7 * time.Hour, 33 * 24 * time.Hour} {
		if got := c.Now(anchor.Add(c.Wall(d))); got.Before(start.Add(d)) {
			t.Errorf("Wall(%v) ends at campaign time %v, before %v", d, got, start.Add(d))
		}
	}
	var real *Clock
	if !real.Real() || !real.Now(anchor).Equal(anchor) || real.Wall(time.Hour) != time.Hour {
		t.Fatal("a nil clock is real time")
	}
	if one := (&Clock{Anchor: anchor, Start: start, Speed: 1}); !one.Now(anchor).Equal(anchor) {
		t.Fatal("speed 1 is real time")
	}
}

func TestPhases(t *testing.T) {
	start, end := time.Date(2020, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2022, 12, 31, 0, 0, 0, 0, time.UTC)
	got := DefaultPhases(start, end)
	want := []Phase{{"动员部署", "2020-04-01", "2020-05-31"}, {"排查整治", "2020-06-01", "2020-12-31"}, {"集中攻坚", "2021-01-01", "2021-12-31"}, {"巩固提升", "2022-01-01", "2022-12-31"}}
	if len(got) != len(want) {
		t.Fatalf("%v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("phase %d: %v, want %v", i, got[i], want[i])
		}
	}
	if p := PhaseAt(got, time.Date(2021, 6, 1, 12, 0, 0, 0, time.UTC)); p != "集中攻坚" {
		t.Errorf("June 2021 is in %q", p)
	}
	if p := PhaseAt(got, time.Date(2023, 1, 16, 0, 0, 0, 0, time.UTC)); p != "" {
		t.Errorf("after the campaign: %q", p)
	}
	// A short campaign keeps only the phases that fit.
	short := DefaultPhases(start, time.Date(2020, 7, 31, 0, 0, 0, 0, time.UTC))
	if len(short) != 2 || short[1].To != "2020-07-31" {
		t.Errorf("short campaign: %v", short)
	}
	v := &ValidationError{}
	ValidatePhases("policy.phases", []Phase{{"", "2020-04-01", "2020-05-31"}, {"b", "2020-05-01", "2020-06-30"}, {"c", "2020-07-01", "2023-01-01"}, {"d", "x", "2020-01-01"}}, start, end, v)
	fields := map[string]bool{}
	for _, e := range v.Fields {
		fields[e.Field] = true
	}
	for _, f := range []string{"policy.phases[0].name", "policy.phases[1].from", "policy.phases[2]", "policy.phases[3].from"} {
		if !fields[f] {
			t.Errorf("no error for %s: %v", f, v.Fields)
		}
	}
}
