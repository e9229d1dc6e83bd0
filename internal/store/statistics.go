package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/internal/domain"
)

// Inspection statistics (issue 13): the county's figures — units inspected,
// hazards found and rectified, stop orders, cases, exams — counted from the
// records of inspections, visits, hazards, stop orders and cases alone, never
// from what units report; training sessions and publicity items (issue 15)
// from their own records. People trained (培训人次) are those the training
// sessions trained plus those the inspection records send to training: the
// people who failed 逢查必考 (examined − passed), as a monthly report's
// recorded people_trained counts them (RecordedFigures).

// StatsQuery chooses the records Statistics counts; a zero field filters nothing.
//
//   - From and To are inclusive dates in the county's time (domain.DefaultZone;
//     the date of the instant given, in that zone). The period picks
//     inspections by starts_on, visits by visited_on, hazards by found_on, stop
//     orders by issued_at and cases by filed_on.
//   - UnitID: the records of one unit (an inspection: one that visited it).
//   - Sector: the records of production units of that sector (an inspection:
//     one that visited such a unit; a unit without a production_units row has
//     no sector).
//   - CampaignID: inspections and hazards of the campaign, visits of its
//     inspections; a case through its inspection or hazard, a stop order
//     through its hazards or its case.
//   - InspectionKind, BodyLevel: inspections of that kind, made by a body of
//     that level; their visits; the hazards their inspections found (a hazard
//     found by no inspection is then not counted). Stop orders and cases are
//     not filtered by them.
//   - Source: hazards of that source; inspections of that source (专项监察
//     一通三防, 冲击地压: inspections.source) and their visits. Stop orders and
//     cases are not filtered by it.
//   - Training sessions and publicity items are chosen by their date (held_on,
//     published_on), their organising unit (UnitID; Sector: the unit's as a
//     production unit — a coal mine's own sessions) and CampaignID; the
//     inspection filters (InspectionKind, BodyLevel, Source) do not apply.
type StatsQuery struct {
	From, To       time.Time
	UnitID         int64
	Sector         string
	CampaignID     string
	InspectionKind string
	BodyLevel      string
	Source         string
}

// Stats are the figures of a StatsQuery, as Statistics answers them (Go
// allows the type and the function no common name).
type Stats struct {
	Inspections InspectionStats `json:"inspections"`
	Hazards     HazardStats     `json:"hazards"`
	StopOrders  StopOrderStats  `json:"stop_orders"`
	Cases       CaseStats       `json:"cases"`
	Exams       ExamStats       `json:"exams"`
	// PeopleTrained (培训人次): the people the training sessions trained
	// (Training.People) plus the people sent to training by 逢查必考 — those
	// who failed, examined − passed, over the visits Exams counts — as a
	// monthly report's recorded people_trained counts them.
	PeopleTrained int `json:"people_trained"`
	// Training: the training sessions (安全培训) held in the period.
	Training TrainingStats `json:"training"`
	// Publicity: the publicity items (宣传) published in the period.
	Publicity PublicityStats `json:"publicity"`
	// Meetings held in the period (of the campaign, when one is chosen), by kind.
	Meetings MeetingStats `json:"meetings"`
	// Drills: the joint drills (联合演练) planned for a day in the period, and their problems.
	Drills DrillStats `json:"drills"`
}

// MeetingStats count meetings and their decisions; every kind of
// domain.MeetingKinds is present.
type MeetingStats struct {
	Held   int            `json:"held"`
	ByKind map[string]int `json:"by_kind"`
	// ByYear counts them by year ("2020") and kind, every kind present in a year with a meeting.
	ByYear    map[string]map[string]int `json:"by_year"`
	Decisions int                       `json:"decisions"`
	// OpenDecisions are decisions whose assigned matter is not yet approved.
	OpenDecisions int `json:"open_decisions"`
}

// TrainingCount counts training sessions and the people they trained.
type TrainingCount struct {
	Sessions int `db:"sessions" json:"sessions"`
	People   int `db:"people" json:"people"`
}

// TrainingStats are the training figures in total, by audience (every
// audience of domain.TrainingAudiences present) and by year (a key, "2020",
// for each year with a session).
type TrainingStats struct {
	TrainingCount
	ByAudience map[string]TrainingCount `json:"by_audience"`
	ByYear     map[string]TrainingCount `json:"by_year"`
}

// PublicityStats count the publicity items in total, by kind (every kind of
// domain.PublicityKinds present) and by year (a key for each year with an item).
type PublicityStats struct {
	Items  int            `json:"items"`
	ByKind map[string]int `json:"by_kind"`
	ByYear map[string]int `json:"by_year"`
}

// InspectionCount counts inspections and their visits.
type InspectionCount struct {
	// UnitsInspected: distinct units visited (by visits in the period).
	UnitsInspected int `json:"units_inspected"`
	// Inspections (次): inspections that started in the period.
	Inspections int `json:"inspections"`
	// Visits (家次/矿次): visit rows — a unit visited on a day by an inspection.
	Visits int `json:"visits"`
}

// InspectionStats are the inspection figures in total and by kind (every
// kind of domain.InspectionKinds is present).
type InspectionStats struct {
	InspectionCount
	ByKind map[string]InspectionCount `json:"by_kind"`
}

// HazardCount counts hazards found in the period and how many of them are
// rectified now (status closed) or not.
type HazardCount struct {
	Found  int `db:"found" json:"found"`
	Closed int `db:"closed" json:"closed"`
	Open   int `db:"open" json:"open"`
	// Percent is closed / found × 100, to one decimal (清零 progress); null when none was found.
	Percent *float64 `db:"percent" json:"percent"`
}

// HazardStats are the hazard figures in total and by source (the 清零
// progress of each source), by level and by sector; every source of
// domain.HazardSources, both levels and every sector of domain.Sectors are
// present (a hazard at a unit with no sector is under "none").
type HazardStats struct {
	HazardCount
	BySource map[string]HazardCount `json:"by_source"`
	ByLevel  map[string]HazardCount `json:"by_level"`
	BySector map[string]HazardCount `json:"by_sector"`
}

// StopCount counts stop orders issued in the period, split by their status
// now: Standing (standing, or lifting — the resumption under way, the order
// still in force) and Lifted.
type StopCount struct {
	Issued   int `json:"issued"`
	Standing int `json:"standing"`
	Lifted   int `json:"lifted"`
}

// StopOrderStats: Units counts the orders that stop a whole unit (at coal
// mines: mines ordered to stop; a unit stopped twice counts twice); Faces
// counts the faces named by face orders (each face id of each order),
// HeadingFaces and CoalFaces those of them of kind heading (掘进) and coal (采煤).
type StopOrderStats struct {
	Units        StopCount `json:"units"`
	Faces        StopCount `json:"faces"`
	HeadingFaces StopCount `json:"heading_faces"`
	CoalFaces    StopCount `json:"coal_faces"`
}

// CaseStats counts the enforcement cases filed in the period: closed (step
// closed), decided (with a decision: penalty cases), the sum of their fines
// (yuan) and the cases of each decision (every one of domain.CaseDecisions present).
type CaseStats struct {
	Filed      int            `json:"filed"`
	Closed     int            `json:"closed"`
	Decided    int            `json:"decided"`
	Fines      float64        `json:"fines"`
	ByDecision map[string]int `json:"by_decision"`
}

// ExamStats are the 逢查必考 results: people examined and passed, summed over
// the visits of enforcement inspections; Percent is passed / examined × 100 to
// one decimal, null when nobody was examined.
type ExamStats struct {
	Examined int      `json:"examined"`
	Passed   int      `json:"passed"`
	Percent  *float64 `json:"percent"`
}

// statsParams opens every statistics query: the filters as one row q, null
// where the query does not filter.
const statsParams = `WITH q AS (SELECT $1::date AS from_on, $2::date AS to_on, $3::timestamptz AS from_at, $4::timestamptz AS to_at,
    $5::bigint AS unit_id, $6::text AS sector, $7::text AS campaign_id, $8::text AS kind, $9::text AS body_level, $10::text AS source)`

// statsInspection is the filter on an inspection i by kind, level, source and campaign.
const statsInspection = `(q.kind IS NULL OR i.kind = q.kind) AND (q.body_level IS NULL OR i.body_level = q.body_level)
  AND (q.source IS NULL OR i.source = q.source) AND (q.campaign_id IS NULL OR i.campaign_id = q.campaign_id)`

// statsUnit is the filter on a record's unit (column x.unit_id) by id and sector.
func statsUnit(x string) string {
	return `(q.unit_id IS NULL OR ` + x + `.unit_id = q.unit_id)
  AND (q.sector IS NULL OR EXISTS (SELECT 1 FROM production_units pu WHERE pu.unit_id = ` + x + `.unit_id AND pu.sector = q.sector))`
}

// statsDay is the period filter on a date column.
func statsDay(col string) string {
	return `(q.from_on IS NULL OR ` + col + ` >= q.from_on) AND (q.to_on IS NULL OR ` + col + ` <= q.to_on)`
}

var (
	statsInspectionsSQL = statsParams + `
SELECT GROUPING(i.kind) = 1 AS total, COALESCE(i.kind, '') AS kind, count(*) AS n
FROM inspections i, q
WHERE ` + statsDay("i.starts_on") + ` AND ` + statsInspection + `
  AND (q.unit_id IS NULL AND q.sector IS NULL OR EXISTS (
      SELECT 1 FROM inspection_visits v WHERE v.inspection_id = i.id AND ` + statsUnit("v") + `))
GROUP BY GROUPING SETS ((), (i.kind))`

	statsVisitsSQL = statsParams + `
SELECT GROUPING(i.kind) = 1 AS total, COALESCE(i.kind, '') AS kind, count(*) AS visits, count(DISTINCT v.unit_id) AS units,
    COALESCE(sum(v.examined) FILTER (WHERE i.kind = 'enforcement'), 0) AS examined,
    COALESCE(sum(v.passed) FILTER (WHERE i.kind = 'enforcement'), 0) AS passed,
    COALESCE(sum(v.examined - v.passed) FILTER (WHERE i.kind = 'enforcement'), 0) AS trained,
    round(100.0 * sum(v.passed) FILTER (WHERE i.kind = 'enforcement')
        / NULLIF(sum(v.examined) FILTER (WHERE i.kind = 'enforcement'), 0), 1) AS percent
FROM inspection_visits v JOIN inspections i ON i.id = v.inspection_id, q
WHERE ` + statsDay("v.visited_on") + ` AND ` + statsInspection + ` AND ` + statsUnit("v") + `
GROUP BY GROUPING SETS ((), (i.kind))`

	statsHazardsSQL = statsParams + `, found AS (
    SELECT h.source, h.level, COALESCE(p.sector, 'none') AS sector, h.status = 'closed' AS closed
    FROM hazards h
    LEFT JOIN production_units p ON p.unit_id = h.unit_id
    LEFT JOIN inspections i ON i.id = h.inspection_id, q
    WHERE ` + statsDay("h.found_on") + ` AND ` + statsUnit("h") + `
      AND (q.campaign_id IS NULL OR h.campaign_id = q.campaign_id) AND (q.source IS NULL OR h.source = q.source)
      AND (q.kind IS NULL OR i.kind = q.kind) AND (q.body_level IS NULL OR i.body_level = q.body_level)
)
SELECT CASE WHEN GROUPING(source) = 0 THEN 'source' WHEN GROUPING(level) = 0 THEN 'level'
            WHEN GROUPING(sector) = 0 THEN 'sector' ELSE 'total' END AS dim,
    COALESCE(source, level, sector, '') AS key,
    count(*) AS found, count(*) FILTER (WHERE closed) AS closed, count(*) FILTER (WHERE NOT closed) AS open,
    round(100.0 * count(*) FILTER (WHERE closed) / NULLIF(count(*), 0), 1) AS percent
FROM found
GROUP BY GROUPING SETS ((), (source), (level), (sector))`

	// A stop order belongs to a campaign through its hazards or its case's inspection or hazard.
	statsStopOrdersSQL = statsParams + `, orders AS (
    SELECT s.scope, s.face_ids, s.status = 'lifted' AS lifted
    FROM stop_orders s, q
    WHERE (q.from_at IS NULL OR s.issued_at >= q.from_at) AND (q.to_at IS NULL OR s.issued_at < q.to_at) AND ` + statsUnit("s") + `
      AND (q.campaign_id IS NULL
           OR EXISTS (SELECT 1 FROM hazards hz WHERE hz.id = ANY (s.hazard_ids) AND hz.campaign_id = q.campaign_id)
           OR EXISTS (SELECT 1 FROM cases c
                      LEFT JOIN inspections ci ON ci.id = c.inspection_id LEFT JOIN hazards ch ON ch.id = c.hazard_id
                      WHERE c.id = s.case_id AND q.campaign_id IN (ci.campaign_id, ch.campaign_id)))
), faces AS (
    SELECT o.lifted, w.kind FROM orders o CROSS JOIN LATERAL unnest(o.face_ids) AS f (id) LEFT JOIN work_faces w ON w.id = f.id
    WHERE o.scope = 'faces'
)
SELECT u.*, f.* FROM
    (SELECT count(*) AS units_issued, count(*) FILTER (WHERE NOT lifted) AS units_standing, count(*) FILTER (WHERE lifted) AS units_lifted
     FROM orders WHERE scope = 'unit') u,
    (SELECT count(*) AS faces_issued, count(*) FILTER (WHERE NOT lifted) AS faces_standing, count(*) FILTER (WHERE lifted) AS faces_lifted,
        count(*) FILTER (WHERE kind = 'heading') AS heading_issued, count(*) FILTER (WHERE kind = 'heading' AND NOT lifted) AS heading_standing,
        count(*) FILTER (WHERE kind = 'heading' AND lifted) AS heading_lifted,
        count(*) FILTER (WHERE kind = 'coal') AS coal_issued, count(*) FILTER (WHERE kind = 'coal' AND NOT lifted) AS coal_standing,
        count(*) FILTER (WHERE kind = 'coal' AND lifted) AS coal_lifted
     FROM faces) f`

	// A case belongs to a campaign through its inspection or its hazard.
	statsCasesSQL = statsParams + `
SELECT GROUPING(c.decision) = 1 AS total, c.decision, count(*) AS filed, count(*) FILTER (WHERE c.step = 'closed') AS closed,
    count(*) FILTER (WHERE c.decision IS NOT NULL) AS decided, COALESCE(sum(c.fine), 0) AS fines
FROM cases c, q
WHERE ` + statsDay("c.filed_on") + ` AND ` + statsUnit("c") + `
  AND (q.campaign_id IS NULL
       OR EXISTS (SELECT 1 FROM inspections ci WHERE ci.id = c.inspection_id AND ci.campaign_id = q.campaign_id)
       OR EXISTS (SELECT 1 FROM hazards ch WHERE ch.id = c.hazard_id AND ch.campaign_id = q.campaign_id))
GROUP BY GROUPING SETS ((), (c.decision))`
)

var (
	// Training sessions are chosen by held_on, their organising unit (unit and
	// sector) and campaign; the inspection filters do not apply to them.
	statsTrainingSQL = statsParams + `
SELECT CASE WHEN GROUPING(t.audience) = 0 THEN 'audience' WHEN GROUPING(year) = 0 THEN 'year' ELSE 'total' END AS dim,
    COALESCE(t.audience, year::text, '') AS key, count(*) AS sessions, COALESCE(sum(t.trained), 0) AS people
FROM trainings t CROSS JOIN LATERAL (SELECT extract(year FROM t.held_on)::int AS year) y, q
WHERE ` + statsDay("t.held_on") + ` AND ` + statsUnit("t") + ` AND (q.campaign_id IS NULL OR t.campaign_id = q.campaign_id)
GROUP BY GROUPING SETS ((), (t.audience), (year))`

	// Publicity items likewise, by published_on.
	statsPublicitySQL = statsParams + `
SELECT CASE WHEN GROUPING(p.kind) = 0 THEN 'kind' WHEN GROUPING(year) = 0 THEN 'year' ELSE 'total' END AS dim,
    COALESCE(p.kind, year::text, '') AS key, count(*) AS items
FROM publicity_items p CROSS JOIN LATERAL (SELECT extract(year FROM p.published_on)::int AS year) y, q
WHERE ` + statsDay("p.published_on") + ` AND ` + statsUnit("p") + ` AND (q.campaign_id IS NULL OR p.campaign_id = q.campaign_id)
GROUP BY GROUPING SETS ((), (p.kind), (year))`
)

// Validate names each field of the query that can match nothing: an unknown
// sector, kind, level or source, a negative unit, To before From.
func (q StatsQuery) Validate() error {
	var v domain.ValidationError
	known := func(field, value string, allowed []string) {
		if value != "" && !slices.Contains(allowed, value) {
			v.Add(field, domain.MsgOneOf(allowed...))
		}
	}
	if !q.From.IsZero() && !q.To.IsZero() && statsDate(q.To) < statsDate(q.From) {
		v.Add("to", "不能早于开始日期")
	}
	if q.UnitID < 0 {
		v.Add("unit_id", "应为正整数")
	}
	known("sector", q.Sector, domain.Sectors)
	known("inspection_kind", q.InspectionKind, domain.InspectionKinds)
	known("body_level", q.BodyLevel, domain.BodyLevels)
	known("source", q.Source, domain.HazardSources)
	return v.Err()
}

// statsDate is t's date in the county's time.
func statsDate(t time.Time) string { return t.In(domain.DefaultZone).Format(time.DateOnly) }

// args are the query's parameters, in the order of statsParams.
func (q StatsQuery) args() []any {
	text := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	args := make([]any, 10)
	if !q.From.IsZero() {
		d := q.From.In(domain.DefaultZone)
		args[0] = statsDate(q.From)
		args[2] = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, domain.DefaultZone)
	}
	if !q.To.IsZero() {
		d := q.To.In(domain.DefaultZone)
		args[1] = statsDate(q.To)
		args[3] = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, domain.DefaultZone) // the next day's first instant
	}
	if q.UnitID != 0 {
		args[4] = q.UnitID
	}
	args[5], args[6], args[7], args[8], args[9] = text(q.Sector), text(q.CampaignID), text(q.InspectionKind), text(q.BodyLevel), text(q.Source)
	return args
}

// Statistics counts, from the records only, what q chooses: each figure is
// one SQL aggregate (see the queries above); an invalid query is a
// *domain.ValidationError.
func Statistics(ctx context.Context, db sqlx.ExtContext, q StatsQuery) (Stats, error) {
	st := Stats{
		Inspections: InspectionStats{ByKind: map[string]InspectionCount{}},
		Hazards: HazardStats{BySource: map[string]HazardCount{}, ByLevel: map[string]HazardCount{},
			BySector: map[string]HazardCount{}},
		Cases:     CaseStats{ByDecision: map[string]int{}},
		Training:  TrainingStats{ByAudience: map[string]TrainingCount{}, ByYear: map[string]TrainingCount{}},
		Publicity: PublicityStats{ByKind: map[string]int{}, ByYear: map[string]int{}},
		Meetings:  MeetingStats{ByKind: map[string]int{}, ByYear: map[string]map[string]int{}},
	}
	for _, k := range domain.MeetingKinds {
		st.Meetings.ByKind[k] = 0
	}
	for _, k := range domain.InspectionKinds {
		st.Inspections.ByKind[k] = InspectionCount{}
	}
	for _, a := range domain.TrainingAudiences {
		st.Training.ByAudience[a] = TrainingCount{}
	}
	for _, k := range domain.PublicityKinds {
		st.Publicity.ByKind[k] = 0
	}
	for _, s := range domain.HazardSources {
		st.Hazards.BySource[s] = HazardCount{}
	}
	for _, l := range []string{domain.HazardGeneral, domain.HazardMajor} {
		st.Hazards.ByLevel[l] = HazardCount{}
	}
	for _, s := range domain.Sectors {
		st.Hazards.BySector[s] = HazardCount{}
	}
	for _, d := range domain.CaseDecisions {
		st.Cases.ByDecision[d] = 0
	}
	if err := q.Validate(); err != nil {
		return st, err
	}
	args := q.args()

	var inspections []struct {
		Total bool   `db:"total"`
		Kind  string `db:"kind"`
		N     int    `db:"n"`
	}
	if err := sqlx.SelectContext(ctx, db, &inspections, statsInspectionsSQL, args...); err != nil {
		return st, fmt.Errorf("statistics: inspections: %w", err)
	}
	for _, r := range inspections {
		if r.Total {
			st.Inspections.Inspections = r.N
			continue
		}
		c := st.Inspections.ByKind[r.Kind]
		c.Inspections = r.N
		st.Inspections.ByKind[r.Kind] = c
	}

	var visits []struct {
		Total    bool     `db:"total"`
		Kind     string   `db:"kind"`
		Visits   int      `db:"visits"`
		Units    int      `db:"units"`
		Examined int      `db:"examined"`
		Passed   int      `db:"passed"`
		Trained  int      `db:"trained"`
		Percent  *float64 `db:"percent"`
	}
	if err := sqlx.SelectContext(ctx, db, &visits, statsVisitsSQL, args...); err != nil {
		return st, fmt.Errorf("statistics: visits: %w", err)
	}
	for _, r := range visits {
		if r.Total {
			st.Inspections.Visits, st.Inspections.UnitsInspected = r.Visits, r.Units
			st.Exams = ExamStats{Examined: r.Examined, Passed: r.Passed, Percent: r.Percent}
			st.PeopleTrained = r.Trained
			continue
		}
		c := st.Inspections.ByKind[r.Kind]
		c.Visits, c.UnitsInspected = r.Visits, r.Units
		st.Inspections.ByKind[r.Kind] = c
	}

	var hazards []struct {
		Dim string `db:"dim"`
		Key string `db:"key"`
		HazardCount
	}
	if err := sqlx.SelectContext(ctx, db, &hazards, statsHazardsSQL, args...); err != nil {
		return st, fmt.Errorf("statistics: hazards: %w", err)
	}
	for _, r := range hazards {
		switch r.Dim {
		case "total":
			st.Hazards.HazardCount = r.HazardCount
		case "source":
			st.Hazards.BySource[r.Key] = r.HazardCount
		case "level":
			st.Hazards.ByLevel[r.Key] = r.HazardCount
		case "sector":
			st.Hazards.BySector[r.Key] = r.HazardCount
		}
	}

	var stops struct {
		UnitsIssued     int `db:"units_issued"`
		UnitsStanding   int `db:"units_standing"`
		UnitsLifted     int `db:"units_lifted"`
		FacesIssued     int `db:"faces_issued"`
		FacesStanding   int `db:"faces_standing"`
		FacesLifted     int `db:"faces_lifted"`
		HeadingIssued   int `db:"heading_issued"`
		HeadingStanding int `db:"heading_standing"`
		HeadingLifted   int `db:"heading_lifted"`
		CoalIssued      int `db:"coal_issued"`
		CoalStanding    int `db:"coal_standing"`
		CoalLifted      int `db:"coal_lifted"`
	}
	if err := sqlx.GetContext(ctx, db, &stops, statsStopOrdersSQL, args...); err != nil {
		return st, fmt.Errorf("statistics: stop orders: %w", err)
	}
	st.StopOrders = StopOrderStats{
		Units:        StopCount{Issued: stops.UnitsIssued, Standing: stops.UnitsStanding, Lifted: stops.UnitsLifted},
		Faces:        StopCount{Issued: stops.FacesIssued, Standing: stops.FacesStanding, Lifted: stops.FacesLifted},
		HeadingFaces: StopCount{Issued: stops.HeadingIssued, Standing: stops.HeadingStanding, Lifted: stops.HeadingLifted},
		CoalFaces:    StopCount{Issued: stops.CoalIssued, Standing: stops.CoalStanding, Lifted: stops.CoalLifted},
	}

	var cases []struct {
		Total    bool    `db:"total"`
		Decision *string `db:"decision"`
		Filed    int     `db:"filed"`
		Closed   int     `db:"closed"`
		Decided  int     `db:"decided"`
		Fines    float64 `db:"fines"`
	}
	if err := sqlx.SelectContext(ctx, db, &cases, statsCasesSQL, args...); err != nil {
		return st, fmt.Errorf("statistics: cases: %w", err)
	}
	for _, r := range cases {
		switch {
		case r.Total:
			st.Cases.Filed, st.Cases.Closed, st.Cases.Decided, st.Cases.Fines = r.Filed, r.Closed, r.Decided, r.Fines
		case r.Decision != nil:
			st.Cases.ByDecision[*r.Decision] = r.Filed
		}
	}
	var trainings []struct {
		Dim string `db:"dim"`
		Key string `db:"key"`
		TrainingCount
	}
	if err := sqlx.SelectContext(ctx, db, &trainings, statsTrainingSQL, args...); err != nil {
		return st, fmt.Errorf("statistics: trainings: %w", err)
	}
	for _, r := range trainings {
		switch r.Dim {
		case "total":
			st.Training.TrainingCount = r.TrainingCount
		case "audience":
			st.Training.ByAudience[r.Key] = r.TrainingCount
		case "year":
			st.Training.ByYear[r.Key] = r.TrainingCount
		}
	}
	st.PeopleTrained += st.Training.People

	var publicity []struct {
		Dim   string `db:"dim"`
		Key   string `db:"key"`
		Items int    `db:"items"`
	}
	if err := sqlx.SelectContext(ctx, db, &publicity, statsPublicitySQL, args...); err != nil {
		return st, fmt.Errorf("statistics: publicity: %w", err)
	}
	for _, r := range publicity {
		switch r.Dim {
		case "total":
			st.Publicity.Items = r.Items
		case "kind":
			st.Publicity.ByKind[r.Key] = r.Items
		case "year":
			st.Publicity.ByYear[r.Key] = r.Items
		}
	}
	drills, err := drillStats(ctx, db, args)
	if err != nil {
		return st, err
	}
	st.Drills = drills
	meetings, err := meetingStats(ctx, db, q)
	st.Meetings = meetings
	return st, err
}
