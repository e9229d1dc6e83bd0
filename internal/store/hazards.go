package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/zeren-county/zeren/internal/domain"
)

// Inspection is a recorded inspection (检查) with its visits.
type Inspection struct {
	ID         int64      `db:"id" json:"id"`
	Kind       string     `db:"kind" json:"kind"`
	Title      string     `db:"title" json:"title"`
	BodyUnitID int64      `db:"body_unit_id" json:"body_unit_id"`
	BodyName   string     `db:"body_name" json:"body_name"`
	BodyLevel  string     `db:"body_level" json:"body_level"`
	Source     *string    `db:"source" json:"source,omitempty"`
	LeaderID   int64      `db:"leader_id" json:"leader_id"`
	LeaderName string     `db:"leader_name" json:"leader_name"`
	Members    string     `db:"members" json:"members"`
	StartsOn   Date       `db:"starts_on" json:"starts_on"`
	EndsOn     Date       `db:"ends_on" json:"ends_on"`
	CampaignID *string    `db:"campaign_id" json:"campaign_id,omitempty"`
	Status     string     `db:"status" json:"status"`
	ClosedAt   *time.Time `db:"closed_at" json:"closed_at,omitempty"`
	CreatedBy  int64      `db:"created_by" json:"created_by"`
	CreatedAt  time.Time  `db:"created_at" json:"created_at"`
	Key        *string    `db:"idempotency_key" json:"-"`
	Visits     []Visit    `db:"-" json:"visits"`
	Hazards    int        `db:"hazards" json:"hazards"`
	// Assignments: in the answer that records a people's-congress inspection,
	// the assigned matters its recommendations became.
	Assignments []int64 `db:"-" json:"assignments,omitempty"`
}

// Visit is one unit visited by an inspection on a day.
type Visit struct {
	UnitID     int64  `db:"unit_id" json:"unit_id"`
	UnitCode   string `db:"unit_code" json:"unit_code"`
	UnitName   string `db:"unit_name" json:"unit_name"`
	VisitedOn  Date   `db:"visited_on" json:"visited_on"`
	Findings   string `db:"findings" json:"findings"`
	Examined   int    `db:"examined" json:"examined"`
	Passed     int    `db:"passed" json:"passed"`
	LeaderDown *bool  `db:"leader_down" json:"leader_down,omitempty"`
}

// Date is a calendar day as PostgreSQL's date and JSON's "2020-06-01".
type Date struct{ time.Time }

// Scan reads a date column.
func (d *Date) Scan(src any) error {
	t, ok := src.(time.Time)
	if !ok {
		return fmt.Errorf("date: cannot read %T", src)
	}
	d.Time = t
	return nil
}

// MarshalJSON writes the day ("2020-06-01"), not the embedded instant.
func (d Date) MarshalJSON() ([]byte, error) { return []byte(`"` + d.Format(time.DateOnly) + `"`), nil }

// UnmarshalJSON reads a day.
func (d *Date) UnmarshalJSON(b []byte) error {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return fmt.Errorf("date: %s is not a quoted day", b)
	}
	t, err := time.Parse(time.DateOnly, string(b[1:len(b)-1]))
	d.Time = t
	return err
}

const inspectionColumns = `i.id, i.kind, i.title, i.body_unit_id, b.name AS body_name, i.body_level, i.source, i.leader_id,
p.name AS leader_name, i.members, i.starts_on, i.ends_on, i.campaign_id, i.status, i.closed_at, i.created_by, i.created_at,
i.idempotency_key, (SELECT count(*) FROM hazards h WHERE h.inspection_id = i.id) AS hazards`

const inspectionFrom = ` FROM inspections i JOIN units b ON b.id = i.body_unit_id JOIN people p ON p.id = i.leader_id`

// InsertInspection writes an inspection and its visits; a repeated key answers
// the first one (created false).
func InsertInspection(ctx context.Context, tx *sqlx.Tx, in Inspection) (int64, bool, error) {
	var id int64
	err := sqlx.GetContext(ctx, tx, &id, `INSERT INTO inspections (kind, title, body_unit_id, body_level, source, leader_id, members,
    starts_on, ends_on, campaign_id, created_by, idempotency_key)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
		in.Kind, in.Title, in.BodyUnitID, in.BodyLevel, in.Source, in.LeaderID, in.Members, in.StartsOn.Time, in.EndsOn.Time,
		in.CampaignID, in.CreatedBy, in.Key)
	if errors.Is(err, sql.ErrNoRows) {
		err = sqlx.GetContext(ctx, tx, &id, `SELECT id FROM inspections WHERE idempotency_key = $1`, in.Key)
		return id, false, mapError(err)
	}
	if err != nil {
		return 0, false, fmt.Errorf("insert inspection: %w", mapError(err))
	}
	for _, v := range in.Visits {
		if _, err := tx.ExecContext(ctx, `INSERT INTO inspection_visits (inspection_id, unit_id, visited_on, findings, examined, passed, leader_down)
VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, v.UnitID, v.VisitedOn.Time, v.Findings, v.Examined, v.Passed, v.LeaderDown); err != nil {
			return 0, false, fmt.Errorf("insert visit: %w", mapError(err))
		}
	}
	return id, true, nil
}

// InspectionByID reads an inspection with its visits.
func InspectionByID(ctx context.Context, db sqlx.ExtContext, id int64) (Inspection, error) {
	var in Inspection
	if err := sqlx.GetContext(ctx, db, &in, `SELECT `+inspectionColumns+inspectionFrom+` WHERE i.id = $1`, id); err != nil {
		return in, fmt.Errorf("inspection %d: %w", id, mapError(err))
	}
	in.Visits = []Visit{}
	err := sqlx.SelectContext(ctx, db, &in.Visits, `SELECT v.unit_id, u.code AS unit_code, u.name AS unit_name, v.visited_on, v.findings,
    v.examined, v.passed, v.leader_down FROM inspection_visits v JOIN units u ON u.id = v.unit_id
WHERE v.inspection_id = $1 ORDER BY v.visited_on, u.id`, id)
	return in, mapError(err)
}

// InspectionQuery selects inspections for a list, newest first.
type InspectionQuery struct {
	Kind   string
	UnitID int64 // visited
	Limit  int
}

// Inspections lists inspections.
func Inspections(ctx context.Context, db sqlx.ExtContext, q InspectionQuery) ([]Inspection, error) {
	if q.Limit <= 0 || q.Limit > 500 {
		q.Limit = 200
	}
	var out []Inspection
	err := sqlx.SelectContext(ctx, db, &out, `SELECT `+inspectionColumns+inspectionFrom+`
WHERE ($1 = '' OR i.kind = $1) AND ($2 = 0 OR EXISTS (SELECT 1 FROM inspection_visits v WHERE v.inspection_id = i.id AND v.unit_id = $2))
ORDER BY i.starts_on DESC, i.id DESC LIMIT $3`, q.Kind, q.UnitID, q.Limit)
	return out, mapError(err)
}

// CloseInspection closes an open inspection (its team leader); false when it was closed already.
func CloseInspection(ctx context.Context, tx sqlx.ExtContext, id int64, at time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE inspections SET status = 'closed', closed_at = $2 WHERE id = $1 AND status = 'open'`, id, at)
	if err != nil {
		return false, mapError(err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Hazard is a hazard (隐患) and where its loop stands.
type Hazard struct {
	ID       int64  `db:"id" json:"id"`
	UnitID   int64  `db:"unit_id" json:"unit_id"`
	UnitCode string `db:"unit_code" json:"unit_code"`
	UnitName string `db:"unit_name" json:"unit_name"`
	// UnitStop is the unit's stop now (停产整顿): unit (the whole unit), faces, or empty.
	UnitStop      string        `db:"unit_stop" json:"unit_stop,omitempty"`
	Sector        *string       `db:"sector" json:"sector,omitempty"`
	FaceID        *int64        `db:"face_id" json:"face_id,omitempty"`
	FaceName      *string       `db:"face_name" json:"face_name,omitempty"`
	Source        string        `db:"source" json:"source"`
	Level         string        `db:"level" json:"level"`
	Category      string        `db:"category" json:"category"`
	Description   string        `db:"description" json:"description"`
	Location      string        `db:"location" json:"location"`
	FoundBy       string        `db:"found_by" json:"found_by"`
	InspectionID  *int64        `db:"inspection_id" json:"inspection_id,omitempty"`
	FinderUnitID  int64         `db:"finder_unit_id" json:"finder_unit_id"`
	FinderName    string        `db:"finder_name" json:"finder_name"`
	FoundOn       Date          `db:"found_on" json:"found_on"`
	Deadline      time.Time     `db:"deadline" json:"deadline"`
	Status        domain.Status `db:"status" json:"status"`
	Plan          JSON          `db:"plan" json:"plan,omitempty"`
	Rectification *string       `db:"rectification" json:"rectification,omitempty"`
	SupervisorID  *int64        `db:"supervisor_id" json:"supervisor_id,omitempty"`
	Supervisor    *string       `db:"supervisor_name" json:"supervisor_name,omitempty"`
	ClosedAt      *time.Time    `db:"closed_at" json:"closed_at,omitempty"`
	CampaignID    *string       `db:"campaign_id" json:"campaign_id,omitempty"`
	Key           *string       `db:"idempotency_key" json:"-"`
	CreatedBy     int64         `db:"created_by" json:"created_by"`
	CreatedAt     time.Time     `db:"created_at" json:"created_at"`
	UpdatedAt     time.Time     `db:"updated_at" json:"updated_at"`
}

// stopOf is the SQL of a unit's stop now (停产整顿): 'unit' while an order
// stopping the whole unit stands (or is being lifted), 'faces' while only face
// orders do, ” otherwise. unit is the SQL of the unit's id.
func stopOf(unit string) string {
	return `(SELECT CASE WHEN count(*) = 0 THEN '' WHEN bool_or(so.scope = 'unit') THEN 'unit' ELSE 'faces' END
FROM stop_orders so WHERE so.unit_id = ` + unit + ` AND so.status <> 'lifted')`
}

// StopStates are the units under a stop order now: unit id → 'unit' or 'faces' (see stopOf).
func StopStates(ctx context.Context, db sqlx.ExtContext) (map[int64]string, error) {
	var rows []struct {
		UnitID int64  `db:"unit_id"`
		Stop   string `db:"stop"`
	}
	if err := sqlx.SelectContext(ctx, db, &rows, `SELECT DISTINCT unit_id, `+stopOf("s.unit_id")+` AS stop FROM stop_orders s WHERE s.status <> 'lifted'`); err != nil {
		return nil, fmt.Errorf("stop states: %w", err)
	}
	out := make(map[int64]string, len(rows))
	for _, r := range rows {
		out[r.UnitID] = r.Stop
	}
	return out, nil
}

var hazardColumns = `h.id, h.unit_id, u.code AS unit_code, u.name AS unit_name, ` + stopOf("h.unit_id") + ` AS unit_stop, pu.sector, h.face_id, f.name AS face_name,
h.source, h.level, h.category, h.description, h.location, h.found_by, h.inspection_id, h.finder_unit_id, fu.name AS finder_name,
h.found_on, h.deadline, h.status, h.plan, h.rectification, h.supervisor_id, sp.name AS supervisor_name, h.closed_at, h.campaign_id,
h.idempotency_key, h.created_by, h.created_at, h.updated_at`

const hazardFrom = ` FROM hazards h JOIN units u ON u.id = h.unit_id JOIN units fu ON fu.id = h.finder_unit_id
LEFT JOIN production_units pu ON pu.unit_id = h.unit_id LEFT JOIN work_faces f ON f.id = h.face_id
LEFT JOIN people sp ON sp.id = h.supervisor_id`

// InsertHazard writes a hazard; a repeated key answers the first (created false).
func InsertHazard(ctx context.Context, tx *sqlx.Tx, h Hazard) (int64, bool, error) {
	var id int64
	if h.Status == (domain.Status{}) {
		h.Status = domain.HazardOpen
	}
	err := sqlx.GetContext(ctx, tx, &id, `INSERT INTO hazards (unit_id, face_id, source, level, category, description, location,
    found_by, inspection_id, finder_unit_id, found_on, deadline, campaign_id, idempotency_key, created_by, created_at, updated_at, status, closed_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16, $17, $18)
ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
		h.UnitID, h.FaceID, h.Source, h.Level, h.Category, h.Description, h.Location, h.FoundBy, h.InspectionID, h.FinderUnitID,
		h.FoundOn.Time, domain.Stored(h.Deadline), h.CampaignID, h.Key, h.CreatedBy, domain.Stored(h.CreatedAt), h.Status, h.ClosedAt)
	if errors.Is(err, sql.ErrNoRows) {
		err = sqlx.GetContext(ctx, tx, &id, `SELECT id FROM hazards WHERE idempotency_key = $1`, h.Key)
		return id, false, mapError(err)
	}
	if err != nil {
		return 0, false, fmt.Errorf("insert hazard: %w", mapError(err))
	}
	return id, true, nil
}

// HazardByID reads a hazard.
func HazardByID(ctx context.Context, db sqlx.ExtContext, id int64) (Hazard, error) {
	var h Hazard
	if err := sqlx.GetContext(ctx, db, &h, `SELECT `+hazardColumns+hazardFrom+` WHERE h.id = $1`, id); err != nil {
		return h, fmt.Errorf("hazard %d: %w", id, mapError(err))
	}
	return h, nil
}

// HazardQuery selects hazards for a list (the 隐患台账), newest first.
type HazardQuery struct {
	UnitIDs      []int64 // the hazards of these units, or (with All) every one
	All          bool
	Status       string // a status, or "open" for every one not closed
	Level        string
	Source       string
	InspectionID int64
	Limit        int
}

// Hazards lists hazards.
func Hazards(ctx context.Context, db sqlx.ExtContext, q HazardQuery) ([]Hazard, error) {
	if q.Limit <= 0 || q.Limit > 5000 {
		q.Limit = 500
	}
	var out []Hazard
	err := sqlx.SelectContext(ctx, db, &out, `SELECT `+hazardColumns+hazardFrom+`
WHERE ($1 OR h.unit_id = ANY($2) OR h.finder_unit_id = ANY($2) OR pu.supervisor_unit_id = ANY($2))
  AND ($3 = '' OR ($3 = 'open' AND h.status <> 'closed') OR h.status = $3)
  AND ($4 = '' OR h.level = $4) AND ($5 = '' OR h.source = $5) AND ($6 = 0 OR h.inspection_id = $6)
ORDER BY h.found_on DESC, h.id DESC LIMIT $7`, q.All, pq.Array(q.UnitIDs), q.Status, q.Level, q.Source, q.InspectionID, q.Limit)
	return out, mapError(err)
}

// SetHazardState records a step of a hazard's loop: the plan when it is
// submitted, the rectification's text, the county leader who supervises a
// listed hazard, the closing time. A return of a plan is plan_returned.
func SetHazardState(ctx context.Context, tx sqlx.ExtContext, id int64, status domain.Status, plan *domain.Plan, rectification *string,
	supervisorID *int64, at time.Time) (Hazard, Hazard, error) {
	before, err := HazardByID(ctx, tx, id)
	if err != nil {
		return before, before, err
	}
	if status == domain.HazardReturned && (before.Status == domain.HazardPlanned || before.Status == domain.HazardPlanReturned) {
		status = domain.HazardPlanReturned
	}
	var planJSON []byte
	if plan != nil {
		if planJSON, err = json.Marshal(plan); err != nil {
			return before, before, err
		}
	}
	var closed *time.Time
	if status == domain.HazardClosed {
		t := domain.Stored(at)
		closed = &t
	}
	if _, err := tx.ExecContext(ctx, `UPDATE hazards SET status = $2, plan = COALESCE($3::jsonb, plan), rectification = COALESCE($4, rectification),
    supervisor_id = COALESCE($5, supervisor_id), closed_at = COALESCE($6, closed_at), updated_at = $7 WHERE id = $1`,
		id, status, nullJSON(JSON(planJSON)), rectification, supervisorID, closed, domain.Stored(at)); err != nil {
		return before, before, fmt.Errorf("hazard %d state: %w", id, mapError(err))
	}
	after, err := HazardByID(ctx, tx, id)
	return before, after, err
}

// HazardFile is a hazard's evidence file (its content is read apart).
type HazardFile struct {
	ID        int64     `db:"id" json:"id"`
	HazardID  int64     `db:"hazard_id" json:"hazard_id"`
	Name      string    `db:"name" json:"name"`
	MediaType string    `db:"media_type" json:"media_type"`
	Size      int       `db:"size" json:"size"`
	SHA256    []byte    `db:"sha256" json:"sha256"`
	AddedBy   int64     `db:"added_by" json:"added_by"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

// AddHazardFile stores a file with its checksum; the same content twice is one file.
func AddHazardFile(ctx context.Context, tx *sqlx.Tx, hazardID int64, name, mediaType string, content []byte, by int64) (HazardFile, error) {
	var f HazardFile
	sum := sha256.Sum256(content)
	var n int
	if err := sqlx.GetContext(ctx, tx, &n, `SELECT count(*) FROM hazard_files WHERE hazard_id = $1`, hazardID); err != nil {
		return f, mapError(err)
	}
	if n >= domain.MaxEvidenceFiles {
		return f, &domain.ValidationError{Fields: []domain.FieldError{{Field: "file", Detail: domain.MsgAtMostItems(domain.MaxEvidenceFiles)}}}
	}
	err := sqlx.GetContext(ctx, tx, &f, `INSERT INTO hazard_files (hazard_id, name, media_type, size, sha256, content, added_by)
VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (hazard_id, sha256) DO UPDATE SET name = hazard_files.name
RETURNING id, hazard_id, name, media_type, size, sha256, added_by, created_at`, hazardID, name, mediaType, len(content), sum[:], content, by)
	return f, mapError(err)
}

// HazardFiles lists a hazard's files.
func HazardFiles(ctx context.Context, db sqlx.ExtContext, hazardID int64) ([]HazardFile, error) {
	out := []HazardFile{}
	err := sqlx.SelectContext(ctx, db, &out, `SELECT id, hazard_id, name, media_type, size, sha256, added_by, created_at
FROM hazard_files WHERE hazard_id = $1 ORDER BY id`, hazardID)
	return out, mapError(err)
}

// HazardFileContent reads a file's bytes.
func HazardFileContent(ctx context.Context, db sqlx.ExtContext, hazardID, fileID int64) (HazardFile, []byte, error) {
	var row struct {
		HazardFile
		Content []byte `db:"content"`
	}
	err := sqlx.GetContext(ctx, db, &row, `SELECT id, hazard_id, name, media_type, size, sha256, added_by, created_at, content
FROM hazard_files WHERE hazard_id = $1 AND id = $2`, hazardID, fileID)
	return row.HazardFile, row.Content, mapError(err)
}

// StopOrder is an order to stop production (停产整顿) of a unit or of named faces.
type StopOrder struct {
	ID        int64         `db:"id" json:"id"`
	UnitID    int64         `db:"unit_id" json:"unit_id"`
	UnitName  string        `db:"unit_name" json:"unit_name"`
	Scope     string        `db:"scope" json:"scope"`
	FaceIDs   pq.Int64Array `db:"face_ids" json:"face_ids"`
	Reason    string        `db:"reason" json:"reason"`
	HazardIDs pq.Int64Array `db:"hazard_ids" json:"hazard_ids"`
	CaseID    *int64        `db:"case_id" json:"case_id,omitempty"`
	Status    domain.Status `db:"status" json:"status"`
	Key       string        `db:"key" json:"-"`
	IssuedBy  *int64        `db:"issued_by" json:"issued_by,omitempty"`
	IssuedAt  time.Time     `db:"issued_at" json:"issued_at"`
	LiftedAt  *time.Time    `db:"lifted_at" json:"lifted_at,omitempty"`
}

const stopColumns = `s.id, s.unit_id, u.name AS unit_name, s.scope, s.face_ids, s.reason, s.hazard_ids, s.case_id, s.status, s.key,
s.issued_by, s.issued_at, s.lifted_at FROM stop_orders s JOIN units u ON u.id = s.unit_id`

// InsertStopOrder issues a stop order once per key (created false on a repeat).
func InsertStopOrder(ctx context.Context, tx *sqlx.Tx, o StopOrder) (int64, bool, error) {
	if o.FaceIDs == nil {
		o.FaceIDs = pq.Int64Array{}
	}
	if o.HazardIDs == nil {
		o.HazardIDs = pq.Int64Array{}
	}
	var id int64
	if o.Status == (domain.Status{}) {
		o.Status = domain.StopStanding
	}
	err := sqlx.GetContext(ctx, tx, &id, `INSERT INTO stop_orders (unit_id, scope, face_ids, reason, hazard_ids, case_id, key, issued_by, issued_at, status, lifted_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (key) DO NOTHING RETURNING id`,
		o.UnitID, o.Scope, o.FaceIDs, o.Reason, o.HazardIDs, o.CaseID, o.Key, o.IssuedBy, domain.Stored(o.IssuedAt), o.Status, o.LiftedAt)
	if errors.Is(err, sql.ErrNoRows) {
		err = sqlx.GetContext(ctx, tx, &id, `SELECT id FROM stop_orders WHERE key = $1`, o.Key)
		return id, false, mapError(err)
	}
	if err != nil {
		return 0, false, fmt.Errorf("insert stop order: %w", mapError(err))
	}
	return id, true, nil
}

// StopOrderByID reads a stop order.
func StopOrderByID(ctx context.Context, db sqlx.ExtContext, id int64) (StopOrder, error) {
	var o StopOrder
	if err := sqlx.GetContext(ctx, db, &o, `SELECT `+stopColumns+` WHERE s.id = $1`, id); err != nil {
		return o, fmt.Errorf("stop order %d: %w", id, mapError(err))
	}
	return o, nil
}

// StopOrders lists a unit's stop orders (0: every unit's), standing first.
func StopOrders(ctx context.Context, db sqlx.ExtContext, unitID int64) ([]StopOrder, error) {
	out := []StopOrder{}
	err := sqlx.SelectContext(ctx, db, &out, `SELECT `+stopColumns+` WHERE ($1 = 0 OR s.unit_id = $1)
ORDER BY s.status = 'lifted', s.issued_at DESC LIMIT 500`, unitID)
	return out, mapError(err)
}

// OpenHazardsBehind counts the hazards behind a stop order that are not closed.
func OpenHazardsBehind(ctx context.Context, db sqlx.ExtContext, stopID int64) (int, error) {
	var n int
	err := sqlx.GetContext(ctx, db, &n, `SELECT count(*) FROM hazards h, stop_orders s
WHERE s.id = $1 AND h.id = ANY(s.hazard_ids) AND h.status <> 'closed'`, stopID)
	return n, mapError(err)
}

// ErrHazardsOpen refuses lifting a stop order while a hazard behind it is open.
var ErrHazardsOpen = fmt.Errorf("%w: 停产整顿所涉隐患尚未全部销号，不能复产", domain.ErrConflict)

// SetStopState moves a stop order to lifting or lifted (refused while a
// hazard behind it is open) or back to standing.
func SetStopState(ctx context.Context, tx sqlx.ExtContext, id int64, status domain.Status, at time.Time) (StopOrder, StopOrder, error) {
	before, err := StopOrderByID(ctx, tx, id)
	if err != nil {
		return before, before, err
	}
	if status == domain.StopLifted {
		n, err := OpenHazardsBehind(ctx, tx, id)
		if err != nil {
			return before, before, err
		}
		if n > 0 {
			return before, before, ErrHazardsOpen
		}
	}
	var lifted *time.Time
	if status == domain.StopLifted {
		t := domain.Stored(at)
		lifted = &t
	}
	if _, err := tx.ExecContext(ctx, `UPDATE stop_orders SET status = $2, lifted_at = COALESCE($3, lifted_at) WHERE id = $1`, id, status, lifted); err != nil {
		return before, before, mapError(err)
	}
	after, err := StopOrderByID(ctx, tx, id)
	return before, after, err
}

// UnitStopped says whether a unit stands under a stop order: its whole
// production (停产整顿), or the ids of its stopped faces.
func UnitStopped(ctx context.Context, db sqlx.ExtContext, unitID int64) (whole bool, faces []int64, err error) {
	var rows []StopOrder
	if err := sqlx.SelectContext(ctx, db, &rows, `SELECT `+stopColumns+` WHERE s.unit_id = $1 AND s.status <> 'lifted'`, unitID); err != nil {
		return false, nil, mapError(err)
	}
	for _, o := range rows {
		if o.Scope == "unit" {
			whole = true
		}
		faces = append(faces, o.FaceIDs...)
	}
	return whole, faces, nil
}

// Case is an enforcement case (立案查处).
type Case struct {
	ID           int64         `db:"id" json:"id"`
	UnitID       int64         `db:"unit_id" json:"unit_id"`
	UnitName     string        `db:"unit_name" json:"unit_name"`
	Sector       *string       `db:"sector" json:"sector,omitempty"`
	InspectionID *int64        `db:"inspection_id" json:"inspection_id,omitempty"`
	HazardID     *int64        `db:"hazard_id" json:"hazard_id,omitempty"`
	AuthorityID  int64         `db:"authority_id" json:"authority_id"`
	Authority    string        `db:"authority_name" json:"authority_name"`
	Violation    string        `db:"violation" json:"violation"`
	LegalBasis   string        `db:"legal_basis" json:"legal_basis"`
	Decision     *string       `db:"decision" json:"decision,omitempty"`
	Fine         *float64      `db:"fine" json:"fine,omitempty"`
	Step         domain.Status `db:"step" json:"step"`
	Numbers      JSON          `db:"numbers" json:"numbers"`
	FiledOn      Date          `db:"filed_on" json:"filed_on"`
	ClosedAt     *time.Time    `db:"closed_at" json:"closed_at,omitempty"`
	Key          *string       `db:"idempotency_key" json:"-"`
	CreatedBy    int64         `db:"created_by" json:"created_by"`
	CreatedAt    time.Time     `db:"created_at" json:"created_at"`
}

const caseColumns = `c.id, c.unit_id, u.name AS unit_name, pu.sector, c.inspection_id, c.hazard_id, c.authority_id, a.name AS authority_name,
c.violation, c.legal_basis, c.decision, c.fine, c.step, c.numbers, c.filed_on, c.closed_at, c.idempotency_key, c.created_by, c.created_at
FROM cases c JOIN units u ON u.id = c.unit_id JOIN units a ON a.id = c.authority_id LEFT JOIN production_units pu ON pu.unit_id = c.unit_id`

// InsertCase files a case once per key (created false on a repeat).
func InsertCase(ctx context.Context, tx *sqlx.Tx, c Case) (int64, bool, error) {
	var id int64
	if c.Step == (domain.Status{}) {
		c.Step = domain.CaseFiled
	}
	err := sqlx.GetContext(ctx, tx, &id, `INSERT INTO cases (unit_id, inspection_id, hazard_id, authority_id, violation, legal_basis,
    filed_on, idempotency_key, created_by, step, decision, fine, closed_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
		c.UnitID, c.InspectionID, c.HazardID, c.AuthorityID, c.Violation, c.LegalBasis, c.FiledOn.Time, c.Key, c.CreatedBy, c.Step, c.Decision, c.Fine, c.ClosedAt)
	if errors.Is(err, sql.ErrNoRows) {
		err = sqlx.GetContext(ctx, tx, &id, `SELECT id FROM cases WHERE idempotency_key = $1`, c.Key)
		return id, false, mapError(err)
	}
	if err != nil {
		return 0, false, fmt.Errorf("insert case: %w", mapError(err))
	}
	return id, true, nil
}

// CaseByID reads a case.
func CaseByID(ctx context.Context, db sqlx.ExtContext, id int64) (Case, error) {
	var c Case
	if err := sqlx.GetContext(ctx, db, &c, `SELECT `+caseColumns+` WHERE c.id = $1`, id); err != nil {
		return c, fmt.Errorf("case %d: %w", id, mapError(err))
	}
	return c, nil
}

// Cases lists cases of some units (or every one with all), newest first.
func Cases(ctx context.Context, db sqlx.ExtContext, unitIDs []int64, all bool) ([]Case, error) {
	out := []Case{}
	err := sqlx.SelectContext(ctx, db, &out, `SELECT `+caseColumns+`
WHERE $1 OR c.unit_id = ANY($2) OR c.authority_id = ANY($2) ORDER BY c.filed_on DESC, c.id DESC LIMIT 1000`, all, pq.Array(unitIDs))
	return out, mapError(err)
}

// SetCaseStep records a case's step: its document number under the step's
// name, and at the decision its decision and fine.
func SetCaseStep(ctx context.Context, tx sqlx.ExtContext, id int64, step domain.Status, decision string, fine *float64, number string, at time.Time) (Case, Case, error) {
	before, err := CaseByID(ctx, tx, id)
	if err != nil {
		return before, before, err
	}
	var closed *time.Time
	if step == domain.CaseClosed {
		t := domain.Stored(at)
		closed = &t
	}
	var dec *string
	if decision != "" {
		dec = &decision
	}
	if _, err := tx.ExecContext(ctx, `UPDATE cases SET step = $2, decision = COALESCE($3, decision), fine = COALESCE($4, fine),
    numbers = CASE WHEN $5 = '' THEN numbers ELSE numbers || jsonb_build_object($2::text, $5::text) END,
    closed_at = COALESCE($6, closed_at), updated_at = $7 WHERE id = $1`, id, step, dec, fine, number, closed, domain.Stored(at)); err != nil {
		return before, before, mapError(err)
	}
	after, err := CaseByID(ctx, tx, id)
	return before, after, err
}

// UnitProduction is a production unit's sector and supervising department
// (domain.ErrNotFound when the unit is not a production unit).
func UnitProduction(ctx context.Context, db sqlx.ExtContext, unitID int64) (sector string, supervisorID int64, err error) {
	var row struct {
		Sector     string `db:"sector"`
		Supervisor int64  `db:"supervisor_unit_id"`
	}
	if err := sqlx.GetContext(ctx, db, &row, `SELECT sector, supervisor_unit_id FROM production_units WHERE unit_id = $1`, unitID); err != nil {
		return "", 0, fmt.Errorf("production unit %d: %w", unitID, mapError(err))
	}
	return row.Sector, row.Supervisor, nil
}

// FaceIDsByCode maps a unit's face codes to their ids; an unknown code is absent.
func FaceIDsByCode(ctx context.Context, db sqlx.ExtContext, unitID int64, codes []string) (map[string]int64, error) {
	var rows []struct {
		ID   int64  `db:"id"`
		Code string `db:"code"`
	}
	if err := sqlx.SelectContext(ctx, db, &rows, `SELECT id, code FROM work_faces WHERE unit_id = $1 AND code = ANY($2)`, unitID, pq.Array(codes)); err != nil {
		return nil, mapError(err)
	}
	out := map[string]int64{}
	for _, r := range rows {
		out[r.Code] = r.ID
	}
	return out, nil
}

// HasRole says whether anyone holds role in the unit.
func HasRole(ctx context.Context, db sqlx.ExtContext, unitID int64, role domain.Role) (bool, error) {
	var n int
	err := sqlx.GetContext(ctx, db, &n, `SELECT count(*) FROM role_grants WHERE unit_id = $1 AND role = $2`, unitID, role.String())
	return n > 0, mapError(err)
}

// CountyLeader is the county's first leader: by default the supervisor of a listed hazard (挂牌督办).
func CountyLeader(ctx context.Context, db sqlx.ExtContext, countyID int64) (int64, error) {
	var id int64
	err := sqlx.GetContext(ctx, db, &id, `SELECT person_id FROM role_grants WHERE unit_id = $1 AND role = 'leader' ORDER BY person_id LIMIT 1`, countyID)
	if err != nil {
		return 0, fmt.Errorf("county leader: %w", mapError(err))
	}
	return id, nil
}
