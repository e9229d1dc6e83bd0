package domain

import (
	"slices"
	"testing"
	"time"
)

func TestPeriodDays(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	for _, tc := range []struct{ period, first, last string }{
		{"2021-03", "2021-03-01", "2021-03-31"},
		{"2021-02", "2021-02-01", "2021-02-28"},
		{"2020-02", "2020-02-01", "2020-02-29"},
		{"2020-12", "2020-12-01", "2020-12-31"},
	} {
		first, last, err := PeriodDays(tc.period, loc)
		if err != nil || first.Format(time.DateOnly) != tc.first || last.Format(time.DateOnly) != tc.last || first.Location() != loc || last.Hour() != 0 {
			t.Errorf("%s: %v %v %v, want %s to %s", tc.period, first, last, err, tc.first, tc.last)
		}
	}
	for _, bad := range []string{"", "2021-3", "2021-13", "2021-03-01", "March"} {
		if _, _, err := PeriodDays(bad, loc); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestCorrections(t *testing.T) {
	recorded := Figures{Inspections: 2, UnitsInspected: 1, HazardsFound: HazardCounts{Daily: 3, RockBurst: 1}, HazardsRectified: HazardCounts{Daily: 2},
		ViolationsFiled: 1, StopOrders: 1, PeopleTrained: 4}
	if got := Corrections(recorded, recorded); got == nil || len(got) != 0 {
		t.Fatalf("confirmed: %+v, want an empty list", got)
	}
	// Training sessions are in no record: the unit's count is never a correction.
	submitted := recorded
	submitted.TrainingSessions = 3
	if got := Corrections(submitted, recorded); len(got) != 0 {
		t.Fatalf("training sessions: %+v", got)
	}
	submitted.Inspections, submitted.HazardsFound.RockBurst, submitted.HazardsRectified.Other, submitted.PeopleTrained = 5, 0, 1, 6
	submitted.HazardsFound.Other = 1
	want := []Correction{{"figures.inspections", 5, 2}, {"figures.hazards_found.rock_burst", 0, 1}, {"figures.hazards_found.other", 1, 0},
		{"figures.hazards_rectified.other", 1, 0}, {"figures.people_trained", 6, 4}}
	if got := Corrections(submitted, recorded); !slices.Equal(got, want) {
		t.Fatalf("corrections\n got %+v\nwant %+v", got, want)
	}
}
