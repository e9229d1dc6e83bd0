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

// Training sessions and publicity items are counted from their records: in
// total, by audience or kind and by year, chosen by their date (county time),
// their organising unit (and its sector) and campaign; the inspection filters
// leave them be. People trained add the sessions' people to those 逢查必考 failed.
// A record is written once per idempotency key.
func TestTrainingStatistics(t *testing.T) {
	ctx := context.Background()
	c := testdb.NewCounty(t)
	db := c.DB
	if _, err := db.Exec(`TRUNCATE trainings, publicity_items, cases, stop_orders, hazard_files, hazards, inspection_visits, inspections CASCADE`); err != nil {
		t.Fatal(err)
	}
	admin := c.IDs["linyou-admin"]
	camp := seed.DemoCampaignID
	gjh, cmm, yjj, county := c.Units["gjh"], c.Units["cmm"], c.Units["yjj"], c.Units["linyou"]
	if _, err := db.Exec(`INSERT INTO production_units (unit_id, sector, supervisor_unit_id, responsible) VALUES ($1, 'coal_mine', $3, '矿长'), ($2, 'coal_mine', $3, '矿长')
ON CONFLICT (unit_id) DO NOTHING`, gjh, cmm, yjj); err != nil {
		t.Fatal(err)
	}
	day := func(s string) time.Time {
		d, err := time.ParseInLocation(time.DateOnly, s, domain.DefaultZone)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	n := 0
	training := func(u int64, held, audience string, trained int, campaign *string) {
		t.Helper()
		n++
		key := "tr" + held + audience + string(rune('a'+n))
		err := c.Store.InTx(ctx, func(tx *sqlx.Tx) error {
			for range 2 { // the second insert finds the first by its key
				_, _, err := store.InsertTraining(ctx, tx, store.Training{UnitID: u, HeldOn: store.Date{Time: day(held)}, Topic: "安全生产知识培训",
					Audience: audience, Trained: trained, CampaignID: campaign, CreatedBy: admin, Key: &key})
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	training(gjh, "2020-04-10", "frontline", 800, &camp)
	training(gjh, "2020-12-14", "frontline", 700, &camp) // the report's date
	training(cmm, "2020-06-01", "frontline", 1600, nil)
	training(cmm, "2020-06-02", "managers", 40, nil)
	training(cmm, "2020-12-15", "frontline", 500, nil) // the day after
	training(cmm, "2019-12-31", "frontline", 90, nil)  // the year before
	training(yjj, "2020-09-01", "heads", 30, &camp)    // the bureau's, not a mine's
	training(county, "2020-05-20", "officials", 120, &camp)
	var sessions int
	if err := db.Get(&sessions, `SELECT count(*) FROM trainings`); err != nil || sessions != 8 {
		t.Fatalf("%d sessions (%v), want 8: a key records once", sessions, err)
	}
	publicity := func(u int64, kind, on string, campaign *string) {
		t.Helper()
		n++
		key := "pb" + on + string(rune('a'+n))
		err := c.Store.InTx(ctx, func(tx *sqlx.Tx) error {
			_, _, err := store.InsertPublicity(ctx, tx, store.Publicity{UnitID: u, Kind: kind, Title: "安全生产专项整治", Channel: "麟游县电视台",
				PublishedOn: store.Date{Time: day(on)}, CampaignID: campaign, CreatedBy: admin, Key: &key})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	publicity(yjj, "tv_column", "2020-05-01", &camp)
	publicity(yjj, "tv_column", "2020-06-01", &camp)
	publicity(yjj, "newspaper", "2020-07-01", nil)
	publicity(gjh, "poster", "2021-01-05", nil)

	get := func(q store.StatsQuery) store.Stats {
		t.Helper()
		st, err := store.Statistics(ctx, db, q)
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		return st
	}
	tc := func(sessions, people int) store.TrainingCount {
		return store.TrainingCount{Sessions: sessions, People: people}
	}

	// The report's figure: the coal mines' front-line workers trained in 2020, to the report's date.
	coal := emptyStats()
	coal.Training.TrainingCount = tc(4, 3140)
	coal.Training.ByAudience["frontline"], coal.Training.ByAudience["managers"] = tc(3, 3100), tc(1, 40)
	coal.Training.ByYear["2020"] = tc(4, 3140)
	coal.PeopleTrained = 3140
	q := store.StatsQuery{From: day("2020-01-01"), To: day("2020-12-14"), Sector: "coal_mine"}
	same(t, "the mines in 2020", get(q), coal)
	// The inspection filters do not choose training sessions.
	q.InspectionKind, q.Source = "enforcement", "daily"
	same(t, "the mines in 2020, enforcement", get(q), coal)

	// Everything, by year.
	all := emptyStats()
	all.Training.TrainingCount = tc(8, 3880)
	all.Training.ByAudience["frontline"], all.Training.ByAudience["managers"] = tc(5, 3690), tc(1, 40)
	all.Training.ByAudience["heads"], all.Training.ByAudience["officials"] = tc(1, 30), tc(1, 120)
	all.Training.ByYear["2019"], all.Training.ByYear["2020"] = tc(1, 90), tc(7, 3790)
	all.PeopleTrained = 3880
	all.Publicity.Items = 4
	all.Publicity.ByKind["tv_column"], all.Publicity.ByKind["newspaper"], all.Publicity.ByKind["poster"] = 2, 1, 1
	all.Publicity.ByYear["2020"], all.Publicity.ByYear["2021"] = 3, 1
	same(t, "everything", get(store.StatsQuery{}), all)

	// The campaign's, and one unit's.
	cp := emptyStats()
	cp.Training.TrainingCount = tc(4, 1650)
	cp.Training.ByAudience["frontline"], cp.Training.ByAudience["heads"], cp.Training.ByAudience["officials"] = tc(2, 1500), tc(1, 30), tc(1, 120)
	cp.Training.ByYear["2020"] = tc(4, 1650)
	cp.PeopleTrained = 1650
	cp.Publicity.Items, cp.Publicity.ByKind["tv_column"], cp.Publicity.ByYear["2020"] = 2, 2, 2
	same(t, "the campaign", get(store.StatsQuery{CampaignID: camp}), cp)
	bureau := emptyStats()
	bureau.Training.TrainingCount, bureau.Training.ByAudience["heads"], bureau.Training.ByYear["2020"] = tc(1, 30), tc(1, 30), tc(1, 30)
	bureau.PeopleTrained = 30
	bureau.Publicity.Items, bureau.Publicity.ByKind["tv_column"], bureau.Publicity.ByKind["newspaper"], bureau.Publicity.ByYear["2020"] = 3, 2, 1, 3
	same(t, "the bureau", get(store.StatsQuery{UnitID: yjj}), bureau)

	// People trained add the sessions' people to those 逢查必考 failed.
	insp := 0
	if err := db.Get(&insp, `INSERT INTO inspections (kind, title, body_unit_id, leader_id, starts_on, ends_on, created_by)
VALUES ('enforcement', '执法检查', $1, $2, '2020-06-01', '2020-06-01', $2) RETURNING id`, yjj, admin); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO inspection_visits (inspection_id, unit_id, visited_on, examined, passed) VALUES ($1, $2, '2020-06-01', 10, 7)`, insp, cmm); err != nil {
		t.Fatal(err)
	}
	if got := get(store.StatsQuery{From: day("2020-01-01"), To: day("2020-12-14"), Sector: "coal_mine"}); got.PeopleTrained != 3143 || got.Training.People != 3140 {
		t.Errorf("people trained %d (sessions %d), want 3143 (3140)", got.PeopleTrained, got.Training.People)
	}

	// The lists: a unit's, an audience's, a year's.
	list, err := store.Trainings(ctx, db, store.RecordQuery{UnitIDs: []int64{cmm}, Kind: "frontline", Year: 2020})
	if err != nil || len(list) != 2 || list[0].HeldOn.Format(time.DateOnly) != "2020-12-15" || list[0].UnitCode != "cmm" {
		t.Fatalf("崔木煤矿's front-line sessions of 2020: %+v (%v)", list, err)
	}
	if all, err := store.Trainings(ctx, db, store.RecordQuery{All: true}); err != nil || len(all) != 8 {
		t.Fatalf("every session: %d (%v)", len(all), err)
	}
	items, err := store.PublicityItems(ctx, db, store.RecordQuery{UnitIDs: []int64{yjj}, Kind: "tv_column"})
	if err != nil || len(items) != 2 || items[0].Channel != "麟游县电视台" {
		t.Fatalf("the bureau's TV column: %+v (%v)", items, err)
	}
}
