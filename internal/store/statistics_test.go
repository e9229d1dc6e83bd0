package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

// The statistics count records only, each figure over exactly the records its
// filters choose: a small county whose every count is known, with records just
// outside the period, in other sectors and of other kinds, asked the three
// scopes of the county's report (on a small scale), everything, and each other filter.
func TestStatistics(t *testing.T) {
	ctx := context.Background()
	c := testdb.NewCounty(t)
	db := c.DB
	// Only the records below are counted, whatever the demo county may hold.
	if _, err := db.Exec(`TRUNCATE trainings, publicity_items, cases, stop_orders, hazard_files, hazards, inspection_visits, inspections CASCADE`); err != nil {
		t.Fatal(err)
	}
	admin := c.IDs["linyou-admin"]
	camp := seed.DemoCampaignID
	one := func(q string, args ...any) int64 {
		t.Helper()
		var id int64
		if err := db.QueryRowx(q, args...).Scan(&id); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return id
	}
	unit := func(code, sector string) int64 {
		id := one(`INSERT INTO units (code, name, kind, parent_id) VALUES ($1, $1, 'producer', $2) RETURNING id`, code, c.Units["cm"])
		one(`INSERT INTO production_units (unit_id, sector, supervisor_unit_id, town_unit_id, responsible) VALUES ($1, $2, $3, $4, '负责人')
RETURNING unit_id`, id, sector, c.Units["yjj"], c.Units["cm"])
		return id
	}
	m1, m2, m3 := unit("st-m1", "coal_mine"), unit("st-m2", "coal_mine"), unit("st-m3", "coal_mine")
	c1, b1 := unit("st-c1", "hazardous_chemicals"), unit("st-b1", "construction")
	face := func(u int64, code, kind string) int64 {
		return one(`INSERT INTO work_faces (unit_id, code, name, kind) VALUES ($1, $2, $2, $3) RETURNING id`, u, code, kind)
	}
	f1, f2, f3, f4 := face(m1, "h1", "heading"), face(m1, "h2", "heading"), face(m1, "c1", "coal"), face(m2, "h1", "heading")

	null := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	inspection := func(kind, level, source, starts, ends, campaign string) int64 {
		return one(`INSERT INTO inspections (kind, title, body_unit_id, body_level, source, leader_id, starts_on, ends_on, campaign_id, created_by)
VALUES ($1, $1, $2, $3, $4, $5, $6, $7, $8, $5) RETURNING id`, kind, c.Units["yjj"], level, null(source), admin, starts, ends, null(campaign))
	}
	s1 := inspection("supervision", "county", "", "2020-05-10", "2020-05-11", camp)
	s2 := inspection("supervision", "county", "", "2020-12-14", "2020-12-15", camp) // starts on the report's date
	s3 := inspection("supervision", "county", "", "2020-03-31", "2020-04-01", "")   // starts the day before the campaign
	s4 := inspection("supervision", "county", "", "2020-12-15", "2020-12-15", camp) // the day after
	e1 := inspection("enforcement", "county", "", "2020-06-01", "2020-06-03", camp)
	e2 := inspection("enforcement", "city", "", "2020-02-10", "2020-02-10", "")
	e3 := inspection("enforcement", "county", "", "2019-12-31", "2019-12-31", "")
	e4 := inspection("enforcement", "county", "", "2020-07-01", "2020-07-01", camp) // no coal mine
	p1 := inspection("special", "province", "ventilation", "2020-08-01", "2020-08-01", "")
	d1 := inspection("daily", "county", "", "2020-09-01", "2020-09-01", "")

	visit := func(insp, u int64, on string, examined, passed int) {
		t.Helper()
		if _, err := db.Exec(`INSERT INTO inspection_visits (inspection_id, unit_id, visited_on, examined, passed) VALUES ($1, $2, $3, $4, $5)`,
			insp, u, on, examined, passed); err != nil {
			t.Fatal(err)
		}
	}
	visit(s1, m1, "2020-05-10", 0, 0)
	visit(s1, c1, "2020-05-11", 0, 0)
	visit(s1, b1, "2020-05-11", 0, 0)
	visit(s2, m1, "2020-12-14", 0, 0)
	visit(s2, c1, "2020-12-15", 0, 0) // after the report's date
	visit(s3, m2, "2020-03-31", 0, 0) // before the campaign
	visit(s3, m3, "2020-04-01", 0, 0) // the campaign's first day
	visit(s4, m1, "2020-12-15", 0, 0)
	visit(e1, m1, "2020-06-01", 10, 8)
	visit(e1, m2, "2020-06-02", 5, 5)
	visit(e1, c1, "2020-06-03", 4, 3)
	visit(e2, m3, "2020-02-10", 6, 4)
	visit(e3, m1, "2019-12-31", 3, 3)
	visit(e4, c1, "2020-07-01", 2, 1)
	visit(p1, m1, "2020-08-01", 0, 0)
	visit(p1, m2, "2020-08-01", 0, 0)
	visit(d1, b1, "2020-09-01", 0, 0)

	hazard := func(insp, u int64, source, level, status, found, campaign string) int64 {
		var inspID any
		foundBy := "self"
		if insp != 0 {
			inspID, foundBy = insp, "inspection"
		}
		return one(`INSERT INTO hazards (unit_id, source, level, category, description, found_by, inspection_id, finder_unit_id, found_on,
    deadline, status, campaign_id, created_by)
VALUES ($1, $2, $3, '其他', '隐患', $4, $5, $6, $7, $7::date + 30, $8, $9, $10) RETURNING id`,
			u, source, level, foundBy, inspID, c.Units["yjj"], found, status, null(campaign), admin)
	}
	hazard(s1, m1, "ventilation", "major", "closed", "2020-05-10", camp) // h1
	h2 := hazard(s1, c1, "other", "general", "listed", "2020-05-11", camp)
	hazard(s1, b1, "daily", "general", "closed", "2020-05-11", camp) // h3
	hazard(s2, m1, "daily", "general", "open", "2020-12-14", camp)   // h4
	hazard(s3, m3, "daily", "general", "closed", "2020-04-01", "")   // h5
	hazard(s3, m2, "daily", "general", "closed", "2020-03-31", "")   // h6
	hazard(s4, m1, "daily", "general", "open", "2020-12-15", camp)   // h7
	h8 := hazard(e1, m1, "rock_burst", "major", "closed", "2020-06-01", camp)
	h9 := hazard(e2, m3, "ventilation", "general", "closed", "2020-02-10", "")
	hazard(p1, m1, "ventilation", "major", "closed", "2020-08-01", "") // h10
	h11 := hazard(p1, m2, "rock_burst", "general", "closed", "2020-08-01", "")
	hazard(0, m2, "daily", "general", "closed", "2020-10-01", "")        // h12, found by the mine itself
	hazard(e3, m1, "ventilation", "general", "closed", "2019-12-31", "") // h13
	h14 := hazard(e4, c1, "daily", "general", "open", "2020-07-01", camp)
	hazard(d1, b1, "other", "general", "closed", "2020-09-01", "") // h15

	kase := func(u, insp, hz int64, decision string, fine any, step, filed string) int64 {
		opt := func(id int64) any {
			if id == 0 {
				return nil
			}
			return id
		}
		return one(`INSERT INTO cases (unit_id, inspection_id, hazard_id, authority_id, violation, legal_basis, decision, fine, step, filed_on, created_by)
VALUES ($1, $2, $3, $4, '违法行为', '《安全生产法》', $5, $6, $7, $8, $9) RETURNING id`,
			u, opt(insp), opt(hz), c.Units["yjj"], null(decision), fine, step, filed, admin)
	}
	k1 := kase(m1, e1, h8, "fine", 50000, "closed", "2020-06-05")
	kase(m2, e1, 0, "warning", nil, "decided", "2020-06-06")        // k2
	kase(m3, e2, h9, "fine", "30000.50", "executing", "2020-02-15") // k3
	kase(m1, s1, 0, "", nil, "investigating", "2020-11-01")         // k4
	kase(c1, e4, h14, "stop", 20000, "closed", "2020-07-05")        // k5
	kase(c1, 0, h2, "", nil, "filed", "2020-12-15")                 // k6: the campaign's through its hazard
	kase(m1, e3, 0, "fine", 1000, "closed", "2019-12-30")           // k7

	n := 0
	stop := func(u int64, scope string, faces []int64, status, issued string, hazards []int64, caseID int64) {
		t.Helper()
		n++
		at, err := time.Parse(time.RFC3339, issued)
		if err != nil {
			t.Fatal(err)
		}
		var cid any
		if caseID != 0 {
			cid = caseID
		}
		if _, err := db.Exec(`INSERT INTO stop_orders (unit_id, scope, face_ids, reason, hazard_ids, case_id, status, key, issued_at)
VALUES ($1, $2, $3::bigint[], '停产整顿', $4::bigint[], $5, $6, $7, $8)`, u, scope, pgArray(faces), pgArray(hazards), cid, status, fmt.Sprint("so", n), at); err != nil {
			t.Fatal(err)
		}
	}
	stop(m1, "unit", nil, "standing", "2020-06-01T10:00:00+08:00", []int64{h8}, 0)           // so1: the campaign's through h8
	stop(m2, "unit", nil, "lifted", "2020-08-02T10:00:00+08:00", []int64{h11}, 0)            // so2
	stop(m1, "faces", []int64{f1, f2, f3}, "standing", "2020-06-02T10:00:00+08:00", nil, k1) // so3: the campaign's through k1
	stop(m2, "faces", []int64{f4}, "lifting", "2020-08-03T10:00:00+08:00", nil, 0)           // so4: lifting still stands
	stop(m3, "unit", nil, "standing", "2020-12-15T00:10:00+08:00", nil, 0)                   // so5: 14 December in UTC, 15th in the county
	stop(m2, "faces", []int64{f4}, "lifted", "2019-12-31T23:59:00+08:00", nil, 0)            // so6
	stop(m3, "unit", nil, "lifted", "2020-01-01T00:00:00+08:00", nil, 0)                     // so7: 2019 in UTC, 2020 in the county
	stop(c1, "unit", nil, "standing", "2020-07-01T10:00:00+08:00", nil, 0)                   // so8
	stop(m1, "faces", []int64{f2}, "lifted", "2020-09-01T10:00:00+08:00", nil, 0)            // so9

	day := func(s string) time.Time {
		d, err := time.ParseInLocation(time.DateOnly, s, domain.DefaultZone)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	get := func(q store.StatsQuery) store.Stats {
		t.Helper()
		st, err := store.Statistics(ctx, db, q)
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		return st
	}

	// (a) Since the campaign began to the report's date, the supervision teams.
	a := emptyStats()
	a.Inspections.InspectionCount = store.InspectionCount{UnitsInspected: 4, Inspections: 2, Visits: 5}
	a.Inspections.ByKind["supervision"] = a.Inspections.InspectionCount
	a.Hazards.HazardCount = hc(5, 3)
	a.Hazards.BySource["ventilation"], a.Hazards.BySource["daily"], a.Hazards.BySource["other"] = hc(1, 1), hc(3, 2), hc(1, 0)
	a.Hazards.ByLevel["major"], a.Hazards.ByLevel["general"] = hc(1, 1), hc(4, 2)
	a.Hazards.BySector["coal_mine"], a.Hazards.BySector["hazardous_chemicals"], a.Hazards.BySector["construction"] = hc(3, 2), hc(1, 0), hc(1, 1)
	a.StopOrders = store.StopOrderStats{Units: sc(3, 2), Faces: sc(5, 4), HeadingFaces: sc(4, 3), CoalFaces: sc(1, 1)}
	a.Cases.Filed, a.Cases.Closed, a.Cases.Decided, a.Cases.Fines = 4, 2, 3, 70000
	a.Cases.ByDecision["fine"], a.Cases.ByDecision["warning"], a.Cases.ByDecision["stop"] = 1, 1, 1
	same(t, "scope (a)", get(store.StatsQuery{From: day("2020-04-01"), To: day("2020-12-14"), InspectionKind: "supervision"}), a)
	// The dates are the county's whatever the zone of the instants given.
	same(t, "scope (a) in UTC", get(store.StatsQuery{From: time.Date(2020, 3, 31, 16, 0, 0, 0, time.UTC),
		To: time.Date(2020, 12, 14, 15, 59, 0, 0, time.UTC), InspectionKind: "supervision"}), a)

	// (b) At the coal mines in 2020 to the report's date, whatever the inspection.
	b := emptyStats()
	b.Inspections.InspectionCount = store.InspectionCount{UnitsInspected: 3, Inspections: 6, Visits: 9}
	b.Inspections.ByKind["supervision"] = store.InspectionCount{UnitsInspected: 3, Inspections: 3, Visits: 4}
	b.Inspections.ByKind["enforcement"] = store.InspectionCount{UnitsInspected: 3, Inspections: 2, Visits: 3}
	b.Inspections.ByKind["special"] = store.InspectionCount{UnitsInspected: 2, Inspections: 1, Visits: 2}
	b.Hazards.HazardCount = hc(9, 8)
	b.Hazards.BySource["ventilation"], b.Hazards.BySource["rock_burst"], b.Hazards.BySource["daily"] = hc(3, 3), hc(2, 2), hc(4, 3)
	b.Hazards.ByLevel["major"], b.Hazards.ByLevel["general"] = hc(3, 3), hc(6, 5)
	b.Hazards.BySector["coal_mine"] = hc(9, 8)
	b.StopOrders = store.StopOrderStats{Units: sc(3, 1), Faces: sc(5, 4), HeadingFaces: sc(4, 3), CoalFaces: sc(1, 1)}
	b.Cases.Filed, b.Cases.Closed, b.Cases.Decided, b.Cases.Fines = 4, 1, 3, 80000.5
	b.Cases.ByDecision["fine"], b.Cases.ByDecision["warning"] = 2, 1
	b.Exams, b.PeopleTrained = store.ExamStats{Examined: 21, Passed: 17, Percent: pct(81)}, 4
	coal := store.StatsQuery{From: day("2020-01-01"), To: day("2020-12-14"), Sector: "coal_mine"}
	same(t, "scope (b)", get(coal), b)

	// (c) The same, enforcement inspections: stop orders and cases are the mines' whatever the inspection.
	cc := emptyStats()
	cc.Inspections.InspectionCount = store.InspectionCount{UnitsInspected: 3, Inspections: 2, Visits: 3}
	cc.Inspections.ByKind["enforcement"] = cc.Inspections.InspectionCount
	cc.Hazards.HazardCount = hc(2, 2)
	cc.Hazards.BySource["ventilation"], cc.Hazards.BySource["rock_burst"] = hc(1, 1), hc(1, 1)
	cc.Hazards.ByLevel["major"], cc.Hazards.ByLevel["general"] = hc(1, 1), hc(1, 1)
	cc.Hazards.BySector["coal_mine"] = hc(2, 2)
	cc.StopOrders, cc.Cases, cc.Exams, cc.PeopleTrained = b.StopOrders, b.Cases, b.Exams, b.PeopleTrained
	coal.InspectionKind = "enforcement"
	enforcement := get(coal)
	same(t, "scope (c)", enforcement, cc)

	// Everything.
	all := emptyStats()
	all.Inspections.InspectionCount = store.InspectionCount{UnitsInspected: 5, Inspections: 10, Visits: 17}
	all.Inspections.ByKind["supervision"] = store.InspectionCount{UnitsInspected: 5, Inspections: 4, Visits: 8}
	all.Inspections.ByKind["enforcement"] = store.InspectionCount{UnitsInspected: 4, Inspections: 4, Visits: 6}
	all.Inspections.ByKind["special"] = store.InspectionCount{UnitsInspected: 2, Inspections: 1, Visits: 2}
	all.Inspections.ByKind["daily"] = store.InspectionCount{UnitsInspected: 1, Inspections: 1, Visits: 1}
	all.Hazards.HazardCount = hc(15, 11)
	all.Hazards.BySource["ventilation"], all.Hazards.BySource["rock_burst"] = hc(4, 4), hc(2, 2)
	all.Hazards.BySource["daily"], all.Hazards.BySource["other"] = hc(7, 4), hc(2, 1)
	all.Hazards.ByLevel["major"], all.Hazards.ByLevel["general"] = hc(3, 3), hc(12, 8)
	all.Hazards.BySector["coal_mine"], all.Hazards.BySector["hazardous_chemicals"], all.Hazards.BySector["construction"] = hc(11, 9), hc(2, 0), hc(2, 2)
	all.StopOrders = store.StopOrderStats{Units: sc(5, 3), Faces: sc(6, 4), HeadingFaces: sc(5, 3), CoalFaces: sc(1, 1)}
	all.Cases.Filed, all.Cases.Closed, all.Cases.Decided, all.Cases.Fines = 7, 3, 5, 101000.5
	all.Cases.ByDecision["fine"], all.Cases.ByDecision["warning"], all.Cases.ByDecision["stop"] = 3, 1, 1
	all.Exams, all.PeopleTrained = store.ExamStats{Examined: 30, Passed: 24, Percent: pct(80)}, 6
	same(t, "everything", get(store.StatsQuery{}), all)

	// One unit: the inspections that visited it, its visits, hazards, orders and cases.
	mine := emptyStats()
	mine.Inspections.InspectionCount = store.InspectionCount{UnitsInspected: 1, Inspections: 6, Visits: 6}
	mine.Inspections.ByKind["supervision"] = store.InspectionCount{UnitsInspected: 1, Inspections: 3, Visits: 3}
	mine.Inspections.ByKind["enforcement"] = store.InspectionCount{UnitsInspected: 1, Inspections: 2, Visits: 2}
	mine.Inspections.ByKind["special"] = store.InspectionCount{UnitsInspected: 1, Inspections: 1, Visits: 1}
	mine.Hazards.HazardCount = hc(6, 4)
	mine.Hazards.BySource["ventilation"], mine.Hazards.BySource["rock_burst"], mine.Hazards.BySource["daily"] = hc(3, 3), hc(1, 1), hc(2, 0)
	mine.Hazards.ByLevel["major"], mine.Hazards.ByLevel["general"] = hc(3, 3), hc(3, 1)
	mine.Hazards.BySector["coal_mine"] = hc(6, 4)
	mine.StopOrders = store.StopOrderStats{Units: sc(1, 1), Faces: sc(4, 3), HeadingFaces: sc(3, 2), CoalFaces: sc(1, 1)}
	mine.Cases.Filed, mine.Cases.Closed, mine.Cases.Decided, mine.Cases.Fines = 3, 2, 2, 51000
	mine.Cases.ByDecision["fine"] = 2
	mine.Exams, mine.PeopleTrained = store.ExamStats{Examined: 13, Passed: 11, Percent: pct(84.6)}, 2
	same(t, "one mine", get(store.StatsQuery{UnitID: m1}), mine)

	// The campaign: its inspections and hazards; cases through their inspection
	// or hazard; stop orders through their hazards or case.
	cp := emptyStats()
	cp.Inspections.InspectionCount = store.InspectionCount{UnitsInspected: 4, Inspections: 5, Visits: 10}
	cp.Inspections.ByKind["supervision"] = store.InspectionCount{UnitsInspected: 3, Inspections: 3, Visits: 6}
	cp.Inspections.ByKind["enforcement"] = store.InspectionCount{UnitsInspected: 3, Inspections: 2, Visits: 4}
	cp.Hazards.HazardCount = hc(7, 3)
	cp.Hazards.BySource["ventilation"], cp.Hazards.BySource["rock_burst"] = hc(1, 1), hc(1, 1)
	cp.Hazards.BySource["daily"], cp.Hazards.BySource["other"] = hc(4, 1), hc(1, 0)
	cp.Hazards.ByLevel["major"], cp.Hazards.ByLevel["general"] = hc(2, 2), hc(5, 1)
	cp.Hazards.BySector["coal_mine"], cp.Hazards.BySector["hazardous_chemicals"], cp.Hazards.BySector["construction"] = hc(4, 2), hc(2, 0), hc(1, 1)
	cp.StopOrders = store.StopOrderStats{Units: sc(1, 1), Faces: sc(3, 3), HeadingFaces: sc(2, 2), CoalFaces: sc(1, 1)}
	cp.Cases.Filed, cp.Cases.Closed, cp.Cases.Decided, cp.Cases.Fines = 5, 2, 3, 70000
	cp.Cases.ByDecision["fine"], cp.Cases.ByDecision["warning"], cp.Cases.ByDecision["stop"] = 1, 1, 1
	cp.Exams, cp.PeopleTrained = store.ExamStats{Examined: 21, Passed: 17, Percent: pct(81)}, 4
	same(t, "the campaign", get(store.StatsQuery{CampaignID: camp}), cp)

	// A body level: its inspections, their visits and the hazards they found;
	// stop orders and cases are not filtered by it.
	city := emptyStats()
	city.Inspections.InspectionCount = store.InspectionCount{UnitsInspected: 1, Inspections: 1, Visits: 1}
	city.Inspections.ByKind["enforcement"] = city.Inspections.InspectionCount
	city.Hazards.HazardCount = hc(1, 1)
	city.Hazards.BySource["ventilation"], city.Hazards.ByLevel["general"], city.Hazards.BySector["coal_mine"] = hc(1, 1), hc(1, 1), hc(1, 1)
	city.StopOrders, city.Cases = all.StopOrders, all.Cases
	city.Exams, city.PeopleTrained = store.ExamStats{Examined: 6, Passed: 4, Percent: pct(66.7)}, 2
	same(t, "city level", get(store.StatsQuery{BodyLevel: "city"}), city)

	// A source: its hazards, and the inspections of that source (专项监察) with their visits.
	vent := emptyStats()
	vent.Inspections.InspectionCount = store.InspectionCount{UnitsInspected: 2, Inspections: 1, Visits: 2}
	vent.Inspections.ByKind["special"] = vent.Inspections.InspectionCount
	vent.Hazards.HazardCount = hc(4, 4)
	vent.Hazards.BySource["ventilation"], vent.Hazards.BySector["coal_mine"] = hc(4, 4), hc(4, 4)
	vent.Hazards.ByLevel["major"], vent.Hazards.ByLevel["general"] = hc(2, 2), hc(2, 2)
	vent.StopOrders, vent.Cases = all.StopOrders, all.Cases
	same(t, "ventilation", get(store.StatsQuery{Source: "ventilation"}), vent)

	// Nothing matches: every figure zero, every key present, no percent.
	same(t, "a period without records", get(store.StatsQuery{From: day("2021-01-01"), To: day("2021-12-31")}), emptyStats())

	// The JSON names.
	js, err := json.Marshal(enforcement)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"inspections":{"units_inspected":3,"inspections":2,"visits":3,"by_kind":{`,
		`"hazards":{"found":2,"closed":2,"open":0,"percent":100,"by_source":{`, `"daily":{"found":0,"closed":0,"open":0,"percent":null}`,
		`"by_level":{`, `"by_sector":{`, `"stop_orders":{"units":{"issued":3,"standing":1,"lifted":2},"faces":{"issued":5,`,
		`"heading_faces":{"issued":4,"standing":3,"lifted":1},"coal_faces":{"issued":1,"standing":1,"lifted":0}}`,
		`"cases":{"filed":4,"closed":1,"decided":3,"fines":80000.5,"by_decision":{"close":0,"confiscate":0,"fine":2,`,
		`"exams":{"examined":21,"passed":17,"percent":81},"people_trained":4`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("JSON %s\nlacks %s", js, want)
		}
	}

	// A filter that can match nothing is refused, naming it.
	_, err = store.Statistics(ctx, db, store.StatsQuery{From: day("2020-12-14"), To: day("2020-04-01"), Sector: "coal", InspectionKind: "raid",
		BodyLevel: "town", Source: "gas"})
	var v *domain.ValidationError
	if !errors.As(err, &v) {
		t.Fatalf("invalid query: %v, want a validation error", err)
	}
	var fields []string
	for _, f := range v.Fields {
		fields = append(fields, f.Field)
	}
	if got := strings.Join(fields, ","); got != "to,sector,inspection_kind,body_level,source" {
		t.Fatalf("refused fields %s", got)
	}
}

// emptyStats are the figures of no record: zeros, every key present.
func emptyStats() store.Stats {
	st := store.Stats{
		Inspections: store.InspectionStats{ByKind: map[string]store.InspectionCount{}},
		Hazards: store.HazardStats{BySource: map[string]store.HazardCount{}, ByLevel: map[string]store.HazardCount{},
			BySector: map[string]store.HazardCount{}},
		Cases:     store.CaseStats{ByDecision: map[string]int{}},
		Training:  store.TrainingStats{ByAudience: map[string]store.TrainingCount{}, ByYear: map[string]store.TrainingCount{}},
		Publicity: store.PublicityStats{ByKind: map[string]int{}, ByYear: map[string]int{}},
	}
	for _, k := range domain.InspectionKinds {
		st.Inspections.ByKind[k] = store.InspectionCount{}
	}
	for _, a := range domain.TrainingAudiences {
		st.Training.ByAudience[a] = store.TrainingCount{}
	}
	for _, k := range domain.PublicityKinds {
		st.Publicity.ByKind[k] = 0
	}
	for _, s := range domain.HazardSources {
		st.Hazards.BySource[s] = store.HazardCount{}
	}
	st.Hazards.ByLevel["general"], st.Hazards.ByLevel["major"] = store.HazardCount{}, store.HazardCount{}
	for _, s := range domain.Sectors {
		st.Hazards.BySector[s] = store.HazardCount{}
	}
	for _, d := range domain.CaseDecisions {
		st.Cases.ByDecision[d] = 0
	}
	st.Meetings.ByKind, st.Meetings.ByYear = map[string]int{}, map[string]map[string]int{}
	for _, k := range domain.MeetingKinds {
		st.Meetings.ByKind[k] = 0
	}
	st.Drills.ByYear = map[string]store.DrillCount{}
	return st
}

// hc is found hazards of which closed are closed, with their percentage to one decimal.
func hc(found, closed int) store.HazardCount {
	p := float64(int(float64(closed)*1000/float64(found)+0.5)) / 10
	return store.HazardCount{Found: found, Closed: closed, Open: found - closed, Percent: &p}
}

// sc is issued stop orders (or faces) of which standing still stand.
func sc(issued, standing int) store.StopCount {
	return store.StopCount{Issued: issued, Standing: standing, Lifted: issued - standing}
}

func pct(p float64) *float64 { return &p }

// pgArray is ids as a PostgreSQL array literal.
func pgArray(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return "{" + strings.Join(s, ",") + "}"
}

// same fails the test with every line in which the figures differ from want.
func same(t *testing.T, what string, got, want store.Stats) {
	t.Helper()
	g, _ := json.MarshalIndent(got, "", " ")
	w, _ := json.MarshalIndent(want, "", " ")
	if string(g) == string(w) {
		return
	}
	gl, wl := strings.Split(string(g), "\n"), strings.Split(string(w), "\n")
	var diff []string
	for i := 0; i < max(len(gl), len(wl)); i++ {
		var a, b string
		if i < len(gl) {
			a = gl[i]
		}
		if i < len(wl) {
			b = wl[i]
		}
		if a != b {
			diff = append(diff, fmt.Sprintf("line %d: got %s, want %s", i+1, strings.TrimSpace(a), strings.TrimSpace(b)))
		}
	}
	t.Errorf("%s: figures differ:\n%s\ngot %s", what, strings.Join(diff, "\n"), g)
}
