package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/zeren-county/zeren/internal/domain"
)

// Drill is a joint drill (联合演练) and where its process stands, with counts
// of its participants' preparations and its problems' hazards.
type Drill struct {
	ID              int64         `db:"id" json:"id"`
	Year            int           `db:"year" json:"year"`
	Title           string        `db:"title" json:"title"`
	Scenario        string        `db:"scenario" json:"scenario"`
	Location        string        `db:"location" json:"location"`
	OrganiserUnitID int64         `db:"organiser_unit_id" json:"organiser_unit_id"`
	OrganiserCode   string        `db:"organiser_code" json:"organiser_code"`
	OrganiserName   string        `db:"organiser_name" json:"organiser_name"`
	LeadUnitID      int64         `db:"lead_unit_id" json:"lead_unit_id"`
	LeadCode        string        `db:"lead_code" json:"lead_code"`
	LeadName        string        `db:"lead_name" json:"lead_name"`
	PlannedBy       int64         `db:"planned_by" json:"planned_by"`
	PlannedByName   string        `db:"planned_by_name" json:"planned_by_name"`
	DrillAt         time.Time     `db:"drill_at" json:"drill_at"`
	PrepareDue      time.Time     `db:"prepare_due" json:"prepare_due"`
	Ladder          JSON          `db:"ladder" json:"ladder"`
	CampaignID      *string       `db:"campaign_id" json:"campaign_id,omitempty"`
	Status          domain.Status `db:"status" json:"status"`
	EvaluateTaskID  string        `db:"evaluate_task_id" json:"evaluate_task_id"`
	HeldOn          *string       `db:"held_on" json:"held_on,omitempty"`
	Evaluation      *string       `db:"evaluation" json:"evaluation,omitempty"`
	EvaluatedBy     *string       `db:"evaluated_by" json:"evaluated_by,omitempty"`
	EvaluatedAt     *time.Time    `db:"evaluated_at" json:"evaluated_at,omitempty"`
	ClosedAt        *time.Time    `db:"closed_at" json:"closed_at,omitempty"`
	IdempotencyKey  *string       `db:"idempotency_key" json:"-"`
	CreatedAt       time.Time     `db:"created_at" json:"created_at"`
	UpdatedAt       time.Time     `db:"updated_at" json:"updated_at"`
	// Units: participating units; Prepared: those whose preparation is done.
	Units    int `db:"units" json:"units"`
	Prepared int `db:"prepared" json:"prepared"`
	// Problems found; Rectified: those whose hazard is closed.
	Problems  int `db:"problems" json:"problems"`
	Rectified int `db:"rectified" json:"rectified"`
}

// DrillParticipant is a participating unit with its preparation: its task's
// state (pending, prepared, cancelled), when and by whom, what it reported,
// and whether it was present at the drill (once recorded).
type DrillParticipant struct {
	UnitID      int64      `db:"unit_id" json:"unit_id"`
	UnitCode    string     `db:"unit_code" json:"unit_code"`
	UnitName    string     `db:"unit_name" json:"unit_name"`
	Lead        bool       `db:"lead" json:"lead"`
	TaskID      string     `db:"task_id" json:"task_id"`
	State       string     `db:"state" json:"state"`
	DueAt       *time.Time `db:"due_at" json:"due_at,omitempty"`
	PreparedAt  *time.Time `db:"prepared_at" json:"prepared_at,omitempty"`
	PreparedBy  *string    `db:"prepared_by" json:"prepared_by,omitempty"`
	Preparation *string    `db:"preparation" json:"preparation,omitempty"`
	Present     *bool      `db:"present" json:"present,omitempty"`
}

// DrillProblemRow is a problem a drill found and the state of its hazard.
type DrillProblemRow struct {
	Position     int           `db:"position" json:"position"`
	UnitID       int64         `db:"unit_id" json:"unit_id"`
	UnitCode     string        `db:"unit_code" json:"unit_code"`
	UnitName     string        `db:"unit_name" json:"unit_name"`
	Description  string        `db:"description" json:"description"`
	Deadline     time.Time     `db:"deadline" json:"deadline"`
	HazardID     int64         `db:"hazard_id" json:"hazard_id"`
	HazardStatus domain.Status `db:"hazard_status" json:"hazard_status"`
	ClosedAt     *time.Time    `db:"closed_at" json:"closed_at,omitempty"`
}

// NextDrillID reserves an id, so the workflow id is known before anything is written.
func NextDrillID(ctx context.Context, db sqlx.ExtContext) (int64, error) {
	var id int64
	if err := sqlx.GetContext(ctx, db, &id, `SELECT nextval('drills_id_seq')`); err != nil {
		return 0, fmt.Errorf("drill id: %w", err)
	}
	return id, nil
}

// InsertDrill writes a drill and its participating units, each with its
// preparation task's id; a second write of the same id changes nothing and
// answers false.
func InsertDrill(ctx context.Context, tx sqlx.ExtContext, s domain.DrillSpec, prepareTaskIDs []string, evaluateTaskID string) (bool, error) {
	ladder, err := json.Marshal(s.Ladder)
	if err != nil {
		return false, err
	}
	var location, campaign, key any
	if s.Location != "" {
		location = s.Location
	}
	if s.CampaignID != "" {
		campaign = s.CampaignID
	}
	if s.IdempotencyKey != "" {
		key = s.IdempotencyKey
	}
	res, err := tx.ExecContext(ctx, `
INSERT INTO drills (id, year, title, scenario, location, organiser_unit_id, lead_unit_id, planned_by, drill_at, prepare_due, ladder,
  campaign_id, evaluate_task_id, idempotency_key, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)
ON CONFLICT (id) DO NOTHING`, s.ID, s.Year, s.Title, s.Scenario, location, s.OrganiserUnitID, s.LeadUnitID, s.PlannerID,
		s.DrillAt, s.PrepareDue, string(ladder), campaign, evaluateTaskID, key, s.CreatedAt)
	if err != nil {
		return false, fmt.Errorf("drill %d: %w", s.ID, mapError(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	units := make([]int64, len(s.Units))
	for i, u := range s.Units {
		units[i] = u.UnitID
	}
	_, err = tx.ExecContext(ctx, `
INSERT INTO drill_units (drill_id, unit_id, position, prepare_task_id)
SELECT $1, u.unit_id, u.pos, t.task_id
FROM unnest($2::bigint[]) WITH ORDINALITY AS u (unit_id, pos)
JOIN unnest($3::text[]) WITH ORDINALITY AS t (task_id, pos) USING (pos)
ON CONFLICT DO NOTHING`, s.ID, pq.Array(units), pq.Array(prepareTaskIDs))
	if err != nil {
		return false, fmt.Errorf("drill %d units: %w", s.ID, mapError(err))
	}
	return true, nil
}

const drillSelect = `SELECT d.id, d.year, d.title, d.scenario, COALESCE(d.location, '') AS location,
  d.organiser_unit_id, ou.code AS organiser_code, ou.name AS organiser_name, d.lead_unit_id, lu.code AS lead_code, lu.name AS lead_name,
  d.planned_by, pp.name AS planned_by_name, d.drill_at, d.prepare_due, d.ladder, d.campaign_id, d.status, d.evaluate_task_id,
  to_char(d.held_on, 'YYYY-MM-DD') AS held_on, d.evaluation, d.evaluated_by, d.evaluated_at, d.closed_at, d.idempotency_key,
  d.created_at, d.updated_at,
  (SELECT count(*) FROM drill_units du WHERE du.drill_id = d.id) AS units,
  (SELECT count(*) FROM drill_units du JOIN tasks t ON t.id = du.prepare_task_id WHERE du.drill_id = d.id AND t.status = 'completed') AS prepared,
  (SELECT count(*) FROM drill_problems dp WHERE dp.drill_id = d.id) AS problems,
  (SELECT count(*) FROM drill_problems dp JOIN hazards h ON h.id = dp.hazard_id WHERE dp.drill_id = d.id AND h.status = 'closed') AS rectified
FROM drills d JOIN units ou ON ou.id = d.organiser_unit_id JOIN units lu ON lu.id = d.lead_unit_id JOIN people pp ON pp.id = d.planned_by`

// DrillByID loads a drill.
func DrillByID(ctx context.Context, db sqlx.ExtContext, id int64) (Drill, error) {
	var d Drill
	if err := sqlx.GetContext(ctx, db, &d, drillSelect+` WHERE d.id = $1`, id); err != nil {
		return d, fmt.Errorf("drill %d: %w", id, mapError(err))
	}
	return d, nil
}

// DrillByKey finds the drill a person planned with an idempotency key.
func DrillByKey(ctx context.Context, db sqlx.ExtContext, plannedBy int64, key string) (Drill, error) {
	var d Drill
	if err := sqlx.GetContext(ctx, db, &d, drillSelect+` WHERE d.planned_by = $1 AND d.idempotency_key = $2`, plannedBy, key); err != nil {
		return d, fmt.Errorf("drill by key: %w", mapError(err))
	}
	return d, nil
}

// DrillQuery selects drills: of a year (0: any), with a participating unit (0: any).
type DrillQuery struct {
	Year   int
	UnitID int64
	Limit  int
}

// Drills answers drills by their date, the latest first.
func Drills(ctx context.Context, db sqlx.ExtContext, q DrillQuery) ([]Drill, error) {
	if q.Limit <= 0 || q.Limit > 500 {
		q.Limit = 200
	}
	var out []Drill
	err := sqlx.SelectContext(ctx, db, &out, drillSelect+`
WHERE ($1 = 0 OR d.year = $1)
  AND ($2 = 0 OR EXISTS (SELECT 1 FROM drill_units du WHERE du.drill_id = d.id AND du.unit_id = $2))
ORDER BY d.drill_at DESC, d.id DESC LIMIT $3`, q.Year, q.UnitID, q.Limit)
	if err != nil {
		return nil, fmt.Errorf("drills: %w", err)
	}
	return out, nil
}

// DrillParticipants answers a drill's units in the order planned, each with
// its preparation as its task holds it.
func DrillParticipants(ctx context.Context, db sqlx.ExtContext, id int64) ([]DrillParticipant, error) {
	var out []DrillParticipant
	err := sqlx.SelectContext(ctx, db, &out, `
SELECT du.unit_id, u.code AS unit_code, u.name AS unit_name, du.unit_id = d.lead_unit_id AS lead, du.prepare_task_id AS task_id,
  CASE t.status WHEN 'completed' THEN 'prepared' WHEN 'cancelled' THEN 'cancelled' ELSE 'pending' END AS state,
  t.due_at, COALESCE(t.completed_at, du.prepared_at) AS prepared_at, COALESCE(p.name, du.prepared_by) AS prepared_by,
  NULLIF(COALESCE(t.outcome ->> 'result', du.preparation), '') AS preparation, du.present
FROM drill_units du
JOIN drills d ON d.id = du.drill_id
JOIN units u ON u.id = du.unit_id
LEFT JOIN tasks t ON t.id = du.prepare_task_id
LEFT JOIN people p ON p.id = t.completed_by
WHERE du.drill_id = $1
ORDER BY du.position`, id)
	if err != nil {
		return nil, fmt.Errorf("drill %d units: %w", id, err)
	}
	return out, nil
}

// DrillProblems answers a drill's problems with their hazards' states.
func DrillProblems(ctx context.Context, db sqlx.ExtContext, id int64) ([]DrillProblemRow, error) {
	var out []DrillProblemRow
	err := sqlx.SelectContext(ctx, db, &out, `
SELECT dp.position, dp.unit_id, u.code AS unit_code, u.name AS unit_name, dp.description, dp.deadline, dp.hazard_id,
  h.status AS hazard_status, h.closed_at
FROM drill_problems dp JOIN units u ON u.id = dp.unit_id JOIN hazards h ON h.id = dp.hazard_id
WHERE dp.drill_id = $1 ORDER BY dp.position`, id)
	if err != nil {
		return nil, fmt.Errorf("drill %d problems: %w", id, err)
	}
	return out, nil
}

// DrillUnitIDs answers the ids of a drill's units by their codes.
func DrillUnitIDs(ctx context.Context, db sqlx.ExtContext, id int64) (map[string]int64, error) {
	var rows []struct {
		UnitID int64  `db:"unit_id"`
		Code   string `db:"code"`
	}
	if err := sqlx.SelectContext(ctx, db, &rows, `SELECT du.unit_id, u.code FROM drill_units du JOIN units u ON u.id = du.unit_id
WHERE du.drill_id = $1`, id); err != nil {
		return nil, fmt.Errorf("drill %d unit ids: %w", id, err)
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.Code] = r.UnitID
	}
	return out, nil
}

// RecordDrillPreparation records a unit's preparation once; false when it was recorded before.
func RecordDrillPreparation(ctx context.Context, tx sqlx.ExtContext, drillID, unitID int64, by string, at time.Time, result string) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE drill_units SET prepared_at = $3, prepared_by = $4, preparation = $5
WHERE drill_id = $1 AND unit_id = $2 AND prepared_at IS NULL`, drillID, unitID, at, by, result)
	if err != nil {
		return false, fmt.Errorf("drill %d preparation: %w", drillID, mapError(err))
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// RecordDrillEvaluation records the drill held, who was present and its
// evaluation, once; false when it was recorded before.
func RecordDrillEvaluation(ctx context.Context, tx sqlx.ExtContext, drillID int64, r domain.DrillRecord, present []int64, by string, at time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE drills SET status = 'evaluated', held_on = $2::date, evaluation = $3, evaluated_by = $4,
  evaluated_at = $5, updated_at = $5
WHERE id = $1 AND status = 'planned'`, drillID, r.HeldOn, r.Evaluation, by, at)
	if err != nil {
		return false, fmt.Errorf("drill %d evaluation: %w", drillID, mapError(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE drill_units SET present = (unit_id = ANY($2::bigint[])) WHERE drill_id = $1`,
		drillID, pq.Array(present)); err != nil {
		return false, fmt.Errorf("drill %d present: %w", drillID, mapError(err))
	}
	return true, nil
}

// InsertDrillProblem links a problem to the hazard it opened (once per position).
func InsertDrillProblem(ctx context.Context, tx sqlx.ExtContext, drillID int64, position int, unitID int64, description string, deadline time.Time, hazardID int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO drill_problems (drill_id, position, unit_id, description, deadline, hazard_id)
VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`, drillID, position, unitID, description, domain.Stored(deadline), hazardID)
	if err != nil {
		return fmt.Errorf("drill %d problem %d: %w", drillID, position, mapError(err))
	}
	return nil
}

// CloseDrill records a drill's problems all rectified, once; false when it was closed before.
func CloseDrill(ctx context.Context, tx sqlx.ExtContext, id int64, at time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE drills SET status = 'closed', closed_at = $2, updated_at = $2 WHERE id = $1 AND status = 'evaluated'`, id, at)
	if err != nil {
		return false, fmt.Errorf("close drill %d: %w", id, mapError(err))
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// DrillCount counts drills and the problems they found: Rectified those whose hazard is closed.
type DrillCount struct {
	Drills    int `db:"drills" json:"drills"`
	Problems  int `db:"problems" json:"problems"`
	Rectified int `db:"rectified" json:"rectified"`
}

// DrillStats count the joint drills in total and by year (a key, "2021", for
// each year with a drill).
type DrillStats struct {
	DrillCount
	ByYear map[string]DrillCount `json:"by_year"`
}

// Drills are chosen by their planned day (drill_at in the county's time), a
// participating unit (UnitID, Sector) and their campaign; the inspection
// filters do not apply. Their problems are counted whatever their unit.
var statsDrillsSQL = statsParams + `, chosen AS (
    SELECT d.id, extract(year FROM (d.drill_at AT TIME ZONE 'Asia/Shanghai'))::int AS year
    FROM drills d, q
    WHERE ` + statsDay("(d.drill_at AT TIME ZONE 'Asia/Shanghai')::date") + ` AND (q.campaign_id IS NULL OR d.campaign_id = q.campaign_id)
      AND (q.unit_id IS NULL AND q.sector IS NULL OR EXISTS (SELECT 1 FROM drill_units du WHERE du.drill_id = d.id AND ` + statsUnit("du") + `))
)
SELECT GROUPING(c.year) = 1 AS total, COALESCE(c.year::text, '') AS key, count(DISTINCT c.id) AS drills,
    count(p.hazard_id) AS problems, count(p.hazard_id) FILTER (WHERE h.status = 'closed') AS rectified
FROM chosen c LEFT JOIN drill_problems p ON p.drill_id = c.id LEFT JOIN hazards h ON h.id = p.hazard_id
GROUP BY GROUPING SETS ((), (c.year))`

// drillStats counts the drills of a statistics query (its args).
func drillStats(ctx context.Context, db sqlx.ExtContext, args []any) (DrillStats, error) {
	st := DrillStats{ByYear: map[string]DrillCount{}}
	var rows []struct {
		Total bool   `db:"total"`
		Key   string `db:"key"`
		DrillCount
	}
	if err := sqlx.SelectContext(ctx, db, &rows, statsDrillsSQL, args...); err != nil {
		return st, fmt.Errorf("statistics: drills: %w", err)
	}
	for _, r := range rows {
		if r.Total {
			st.DrillCount = r.DrillCount
		} else {
			st.ByYear[r.Key] = r.DrillCount
		}
	}
	return st, nil
}
