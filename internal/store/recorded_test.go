package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

// A report's recorded figures are one unit's records of the period: those it
// made and those at the production units in its charge (the ones it
// supervises, those in its town, itself when it is one), each record once;
// records a day or an instant outside the period, and other units' records,
// do not count. People trained are those the unit's training sessions
// trained plus those its enforcement inspections' 逢查必考 failed.
func TestRecordedFigures(t *testing.T) {
	ctx := context.Background()
	c := testdb.NewCounty(t)
	db := c.DB
	if _, err := db.Exec(`TRUNCATE trainings, publicity_items, cases, stop_orders, hazard_files, hazards, inspection_visits, inspections CASCADE`); err != nil {
		t.Fatal(err)
	}
	admin := c.IDs["linyou-admin"]
	// Two departments A (住建局) and B (交通局), a town T (招贤镇) and a coal mine M (郭家河煤矿, supervised by 应急局).
	deptA, deptB, town, mine := c.Units["zjj"], c.Units["jtj"], c.Units["zx"], c.Units["gjh"]
	one := func(q string, args ...any) int64 {
		t.Helper()
		var id int64
		if err := db.QueryRowx(q, args...).Scan(&id); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return id
	}
	producer := func(code string, supervisor, townID int64) int64 {
		id := one(`INSERT INTO units (code, name, kind, parent_id) VALUES ($1, $1, 'producer', $2) RETURNING id`, code, supervisor)
		one(`INSERT INTO production_units (unit_id, sector, supervisor_unit_id, town_unit_id, responsible) VALUES ($1, 'construction', $2, $3, '负责人')
RETURNING unit_id`, id, supervisor, townID)
		return id
	}
	pA1 := producer("rf-a1", deptA, town)          // A's, in T
	pA2 := producer("rf-a2", deptA, c.Units["cm"]) // A's, in another town
	pB1 := producer("rf-b1", deptB, town)          // B's, in T
	inspectorA := one(`INSERT INTO people (key, name, unit_id) VALUES ('rf-inspector-a', '住建局执法人员', $1) RETURNING id`, deptA)

	inspection := func(body int64, kind, starts string) int64 {
		return one(`INSERT INTO inspections (kind, title, body_unit_id, leader_id, starts_on, ends_on, created_by)
VALUES ($1, $1, $2, $3, $4, $4::date + 5, $3) RETURNING id`, kind, body, admin, starts)
	}
	iA1 := inspection(deptA, "supervision", "2021-03-02")
	iA2 := inspection(deptA, "enforcement", "2021-02-27") // started before the period, visits in it
	inspection(deptA, "daily", "2021-03-31")              // the last day: counts
	inspection(deptA, "daily", "2021-04-01")              // the day after
	iB1 := inspection(deptB, "enforcement", "2021-03-05")
	iT1 := inspection(town, "supervision", "2021-03-10")

	visit := func(insp, u int64, on string, examined, passed int) {
		t.Helper()
		if _, err := db.Exec(`INSERT INTO inspection_visits (inspection_id, unit_id, visited_on, examined, passed) VALUES ($1, $2, $3, $4, $5)`,
			insp, u, on, examined, passed); err != nil {
			t.Fatal(err)
		}
	}
	visit(iA1, pA1, "2021-03-02", 2, 0) // not an enforcement inspection: its exam sends nobody to training
	visit(iA1, pB1, "2021-03-03", 0, 0) // B's unit, visited by A
	visit(iA1, pA1, "2021-03-04", 0, 0) // the same unit again
	visit(iA2, pA2, "2021-03-01", 5, 3)
	visit(iA2, pA1, "2021-02-28", 4, 0) // before the period
	visit(iB1, pB1, "2021-03-05", 6, 6)
	visit(iB1, pA1, "2021-03-06", 3, 1) // at A's unit, by B
	visit(iB1, mine, "2021-03-06", 10, 7)
	visit(iT1, pB1, "2021-03-10", 0, 0)

	hazard := func(u int64, insp int64, foundBy string, finder int64, source, found, status, closed string) int64 {
		var inspID, closedAt any
		if insp != 0 {
			inspID = insp
		}
		if closed != "" {
			closedAt = closed
		}
		return one(`INSERT INTO hazards (unit_id, source, level, category, description, found_by, inspection_id, finder_unit_id, found_on,
    deadline, status, closed_at, created_by)
VALUES ($1, $2, 'general', '其他', '隐患', $3, $4, $5, $6, $6::date + 30, $7, $8, $9) RETURNING id`,
			u, source, foundBy, inspID, finder, found, status, closedAt, admin)
	}
	h1 := hazard(pB1, iA1, "inspection", deptA, "daily", "2021-03-02", "closed", "2021-03-20T10:00:00+08:00")
	hazard(pA1, iB1, "inspection", deptB, "ventilation", "2021-03-06", "open", "")                             // h2: at A's unit, found by B
	hazard(pA1, 0, "self", pA1, "rock_burst", "2021-03-15", "closed", "2021-04-01T00:00:00+08:00")             // h3: closed after the period
	hazard(pA2, 0, "report", deptA, "other", "2021-03-31", "closed", "2021-03-31T23:00:00+08:00")              // h4: closed on the last day
	hazard(pA1, iA1, "inspection", deptA, "daily", "2021-02-28", "closed", "2021-03-01T10:00:00+08:00")        // h5: found before
	hazard(mine, iB1, "inspection", deptB, "ventilation", "2021-03-06", "closed", "2021-03-07T10:00:00+08:00") // h6
	h7 := hazard(pA1, iA1, "inspection", deptA, "daily", "2021-03-04", "closed", "2021-03-05T10:00:00+08:00")  // A's twice over: once
	hazard(pB1, 0, "self", pB1, "daily", "2021-03-08", "open", "")                                             // h8

	kase := func(u, authority int64, filed string) int64 {
		return one(`INSERT INTO cases (unit_id, authority_id, violation, legal_basis, filed_on, created_by)
VALUES ($1, $2, '违法行为', '《安全生产法》', $3, $4) RETURNING id`, u, authority, filed, admin)
	}
	c1 := kase(pB1, deptA, "2021-03-03")
	kase(pA1, deptA, "2021-04-01")            // after the period
	kase(pA1, c.Units["yjj"], "2021-03-10")   // at A's unit, filed by another: not A's
	kase(mine, c.Units["yjj"], "2021-03-12")  // against the mine
	kase(pA2, deptB, "2021-03-20")            // B's
	c6 := kase(mine, deptA, "2021-02-20")     // before the period
	kase(c.Units["yjj"], deptB, "2021-02-01") // another period altogether

	n := 0
	stop := func(u int64, issued string, by any, caseID int64, hazards ...int64) {
		t.Helper()
		n++
		var cid any
		if caseID != 0 {
			cid = caseID
		}
		if _, err := db.Exec(`INSERT INTO stop_orders (unit_id, scope, reason, hazard_ids, case_id, key, issued_by, issued_at)
VALUES ($1, 'unit', '停产整顿', $2::bigint[], $3, $4, $5, $6)`, u, pgArray(hazards), cid, fmt.Sprint("rf", n), by, issued); err != nil {
			t.Fatal(err)
		}
	}
	stop(pA1, "2021-03-05T10:00:00+08:00", nil, 0)             // s1: at A's unit
	stop(pB1, "2021-03-06T10:00:00+08:00", inspectorA, 0)      // s2: issued by A's inspector at B's unit
	stop(mine, "2021-03-07T10:00:00+08:00", nil, c6)           // s3: through A's case
	stop(pB1, "2021-03-08T10:00:00+08:00", nil, 0, h1)         // s4: through A's hazard
	stop(pA1, "2021-03-31T23:59:00+08:00", nil, 0)             // s5: the last minute
	stop(pA1, "2021-04-01T00:00:00+08:00", nil, 0)             // s6: the first instant after
	stop(pA2, "2021-03-01T00:10:00+08:00", nil, 0)             // s7: 28 February in UTC, 1 March in the county
	stop(pA1, "2021-03-09T10:00:00+08:00", inspectorA, c1, h7) // s8: A's four times over: once
	stop(c.Units["yjj"], "2021-03-09T10:00:00+08:00", nil, 0)  // nobody's of these

	// Training sessions: organised by the unit or by a production unit in its charge.
	training := func(u int64, held string, trained int) {
		t.Helper()
		if _, err := db.Exec(`INSERT INTO trainings (unit_id, held_on, topic, audience, trained, created_by)
VALUES ($1, $2, '安全生产知识培训', 'frontline', $3, $4)`, u, held, trained, admin); err != nil {
			t.Fatal(err)
		}
	}
	training(deptA, "2021-03-15", 30)
	training(pA1, "2021-03-31", 20)   // A's producer in T, on the last day
	training(mine, "2021-03-01", 100) // the mine's own, on the first day
	training(deptB, "2021-04-01", 40) // the day after
	training(pB1, "2021-02-28", 50)   // the day before

	day := func(s string) time.Time {
		d, err := time.ParseInLocation(time.DateOnly, s, domain.DefaultZone)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	from, to := day("2021-03-01"), day("2021-03-31")
	for _, tc := range []struct {
		name string
		unit int64
		want domain.Figures
	}{
		{"department A", deptA, domain.Figures{Inspections: 2, UnitsInspected: 3,
			HazardsFound:     domain.HazardCounts{Daily: 2, Ventilation: 1, RockBurst: 1, Other: 1},
			HazardsRectified: domain.HazardCounts{Daily: 2, Other: 1},
			ViolationsFiled:  1, StopOrders: 7, TrainingSessions: 2, PeopleTrained: 4 + 30 + 20}},
		{"department B", deptB, domain.Figures{Inspections: 1, UnitsInspected: 3,
			HazardsFound:     domain.HazardCounts{Daily: 2, Ventilation: 2},
			HazardsRectified: domain.HazardCounts{Daily: 1, Ventilation: 1},
			ViolationsFiled:  1, StopOrders: 2, PeopleTrained: 5}},
		{"town T", town, domain.Figures{Inspections: 1, UnitsInspected: 1,
			HazardsFound:     domain.HazardCounts{Daily: 3, Ventilation: 1, RockBurst: 1},
			HazardsRectified: domain.HazardCounts{Daily: 2},
			StopOrders:       5, TrainingSessions: 1, PeopleTrained: 2 + 20}},
		{"the mine", mine, domain.Figures{HazardsFound: domain.HazardCounts{Ventilation: 1}, HazardsRectified: domain.HazardCounts{Ventilation: 1},
			ViolationsFiled: 1, StopOrders: 1, TrainingSessions: 1, PeopleTrained: 3 + 100}},
		{"a department without records", c.Units["jyj"], domain.Figures{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := store.RecordedFigures(ctx, db, tc.unit, from, to)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("figures\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}

	// The days are those of the instants in their own location: the same
	// month in UTC starts eight hours later, so s7 (00:10 on 1 March, county
	// time) falls before it and s6 (00:00 on 1 April) within it.
	utc, err := store.RecordedFigures(ctx, db, deptA, time.Date(2021, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2021, 3, 31, 0, 0, 0, 0, time.UTC))
	if err != nil || utc.StopOrders != 7 {
		t.Errorf("in UTC: %d stop orders (%v), want 7 (s6 in, s7 out)", utc.StopOrders, err)
	}

	_, err = store.RecordedFigures(ctx, db, deptA, to, from)
	var v *domain.ValidationError
	if !errors.As(err, &v) || len(v.Fields) != 1 || v.Fields[0].Field != "to" {
		t.Fatalf("to before from: %v", err)
	}
}
