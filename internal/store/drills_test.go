package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

// Joint drills are counted by their planned day in the county's time, by
// year, by participating unit and campaign, with their problems and those
// whose hazard is closed; a drill planned for 00:30 on 1 January 2022
// (county time, 31 December in UTC) counts in 2022.
func TestDrillStatistics(t *testing.T) {
	ctx := context.Background()
	c := testdb.NewCounty(t)
	db := c.DB
	gjh, yzg, cmm, yjj := c.Units["gjh"], c.Units["yzg"], c.Units["cmm"], c.Units["yjj"]
	at := func(s string) time.Time {
		d, err := time.ParseInLocation("2006-01-02 15:04", s, domain.DefaultZone)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	n := 0
	drill := func(when time.Time, units []int64, problems []bool) int64 {
		id, err := store.NextDrillID(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		spec := domain.DrillSpec{ID: id, Year: when.In(domain.DefaultZone).Year(), Title: "联合演练", Scenario: "火灾", OrganiserUnitID: yjj,
			OrganiserRole: domain.RoleSafetyOffice, LeadUnitID: units[0], DrillAt: when, PrepareDue: when.Add(-72 * time.Hour),
			Ladder: domain.DefaultDrillLadder(), PlannedBy: "yjj-office", PlannerID: c.IDs["yjj-office"], CreatedAt: when.Add(-720 * time.Hour)}
		var tasks []string
		for _, u := range units {
			spec.Units = append(spec.Units, domain.DrillUnit{UnitID: u})
			tasks = append(tasks, contract.DrillPrepareTaskID(id, u))
		}
		if err := c.InTx(ctx, func(tx *sqlx.Tx) error {
			if ok, err := store.InsertDrill(ctx, tx, spec, tasks, contract.DrillEvaluateTaskID(id)); err != nil || !ok {
				return fmt.Errorf("insert %v %v", ok, err)
			}
			if again, err := store.InsertDrill(ctx, tx, spec, tasks, contract.DrillEvaluateTaskID(id)); err != nil || again {
				return fmt.Errorf("a second insert wrote: %v %v", again, err)
			}
			for i, closed := range problems {
				n++
				key := fmt.Sprintf("p%d", n)
				h := store.Hazard{UnitID: units[i%len(units)], Source: "other", Level: domain.HazardGeneral, Category: domain.DrillProblemCategory,
					Description: "问题", FoundBy: domain.HazardFoundByDrill, FinderUnitID: yjj, FoundOn: store.Date{Time: when}, Deadline: when.Add(720 * time.Hour),
					Key: &key, CreatedBy: c.IDs["yjj-office"], CreatedAt: when}
				if closed {
					h.Status, h.ClosedAt = domain.HazardClosed, &when
				}
				hid, _, err := store.InsertHazard(ctx, tx, h)
				if err != nil {
					return err
				}
				if err := store.InsertDrillProblem(ctx, tx, id, i+1, h.UnitID, "问题", h.Deadline, hid); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	drill(at("2021-05-20 09:00"), []int64{gjh, yzg}, []bool{true, true})
	drill(at("2022-01-01 00:30"), []int64{yzg, cmm}, []bool{true, false, false})
	drill(at("2022-06-01 09:00"), []int64{gjh, cmm}, nil)
	tests := []struct {
		name string
		q    store.StatsQuery
		want store.DrillCount
		year map[string]store.DrillCount
	}{
		{"all", store.StatsQuery{}, store.DrillCount{Drills: 3, Problems: 5, Rectified: 3},
			map[string]store.DrillCount{"2021": {Drills: 1, Problems: 2, Rectified: 2}, "2022": {Drills: 2, Problems: 3, Rectified: 1}}},
		{"2022", store.StatsQuery{From: at("2022-01-01 00:00"), To: at("2022-12-31 00:00")}, store.DrillCount{Drills: 2, Problems: 3, Rectified: 1}, nil},
		{"2021", store.StatsQuery{From: at("2021-01-01 00:00"), To: at("2021-12-31 00:00")}, store.DrillCount{Drills: 1, Problems: 2, Rectified: 2}, nil},
		{"郭家河", store.StatsQuery{UnitID: gjh}, store.DrillCount{Drills: 2, Problems: 2, Rectified: 2}, nil},
		{"coal", store.StatsQuery{Sector: "coal_mine"}, store.DrillCount{Drills: 3, Problems: 5, Rectified: 3}, nil},
		{"another campaign", store.StatsQuery{CampaignID: "none"}, store.DrillCount{}, map[string]store.DrillCount{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := store.Statistics(ctx, db, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if st.Drills.DrillCount != tt.want {
				t.Errorf("%+v, want %+v", st.Drills.DrillCount, tt.want)
			}
			if tt.year != nil && fmt.Sprint(st.Drills.ByYear) != fmt.Sprint(tt.year) {
				t.Errorf("by year %v, want %v", st.Drills.ByYear, tt.year)
			}
		})
	}
}
