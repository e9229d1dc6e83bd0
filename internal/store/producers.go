package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/zeren-county/zeren/internal/domain"
)

// Production units (生产经营单位) are the units the county's departments
// supervise: units of kind producer below their supervising department, and
// the coal mines, which stay enterprises (they report monthly and sign
// pledges) and are production units too. A unit's supervisor is recorded in
// production_units, not in supervision, which is the chain of pledges and
// reports: a producer neither reports nor signs.

// ProductionUnit is a production unit with its supervising department and,
// when it has one, its town.
type ProductionUnit struct {
	UnitID int64  `db:"unit_id" json:"unit_id"`
	Code   string `db:"code" json:"code"`
	Name   string `db:"name" json:"name"`
	// Kind is the unit's kind: producer, or enterprise for the coal mines.
	Kind   string `db:"kind" json:"kind"`
	Sector string `db:"sector" json:"sector"`
	// Stop is the unit's stop now (停产整顿): unit (the whole unit), faces, or empty.
	Stop           string `db:"stop" json:"stop,omitempty"`
	SupervisorID   int64  `db:"supervisor_id" json:"supervisor_id"`
	SupervisorCode string `db:"supervisor_code" json:"supervisor_code"`
	SupervisorName string `db:"supervisor_name" json:"supervisor_name"`
	TownID         *int64 `db:"town_id" json:"town_id,omitempty"`
	TownCode       string `db:"town_code" json:"town_code,omitempty"`
	TownName       string `db:"town_name" json:"town_name,omitempty"`
	Responsible    string `db:"responsible" json:"responsible"`
	Phone          string `db:"phone" json:"phone,omitempty"`
	Demo           bool   `db:"demo" json:"demo"`
}

// ProductionUnitSpec is a production unit as it is registered.
type ProductionUnitSpec struct {
	Code   string
	Name   string
	Sector string // one of domain.Sectors
	// SupervisorID is the supervising department.
	SupervisorID int64
	// TownID is the town the unit lies in, if any.
	TownID      *int64
	Responsible string // the person in charge (主要负责人)
	Phone       string
	Demo        bool
}

// ProducerHeadTitle is the title of a producer's head person.
const ProducerHeadTitle = "主要负责人"

var unitCodePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// Validate checks the spec's own fields; every wrong field is named.
func (p *ProductionUnitSpec) Validate(v *domain.ValidationError) {
	if !unitCodePattern.MatchString(p.Code) {
		v.Add("code", "应为小写字母、数字和连字符，不超过63个字符")
	}
	v.Text("name", &p.Name, true, 200)
	if !slices.Contains(domain.Sectors, p.Sector) {
		v.Add("sector", domain.MsgOneOf(domain.Sectors...))
	}
	if p.SupervisorID <= 0 {
		v.Add("supervisor", domain.MsgRequired)
	}
	v.Text("responsible", &p.Responsible, true, 100)
	v.Text("phone", &p.Phone, false, 40)
}

const upsertProducerUnitSQL = `
INSERT INTO units (code, name, kind, parent_id) VALUES ($1, $2, 'producer', $3)
ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name,
    parent_id = CASE WHEN units.kind = 'producer' THEN EXCLUDED.parent_id ELSE units.parent_id END
WHERE units.kind IN ('producer', 'enterprise')
RETURNING id, kind`

const upsertProductionUnitSQL = `
INSERT INTO production_units (unit_id, sector, supervisor_unit_id, town_unit_id, responsible, phone, demo)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (unit_id) DO UPDATE SET sector = EXCLUDED.sector, supervisor_unit_id = EXCLUDED.supervisor_unit_id,
    town_unit_id = EXCLUDED.town_unit_id, responsible = EXCLUDED.responsible, phone = EXCLUDED.phone, demo = EXCLUDED.demo`

// UpsertProductionUnit registers a production unit by its code, or updates
// it, and returns its unit id. A new code becomes a unit of kind producer
// below its supervising department (its parent follows the supervisor); an
// existing enterprise (a coal mine) keeps its kind and parent and gains its
// production_units row; a code of any other kind is refused (ErrConflict).
// The supervisor must be a department, the town a town.
//
// Every production unit has a head, so that tasks addressed to (unit,
// unit_head) reach someone: a producer's is the person "<code>-head", named
// after its responsible person, with the role unit_head on the unit; an
// enterprise keeps the head the organisation gave it (and is given one the
// same way when it has none). Upserting the same spec again changes nothing.
func UpsertProductionUnit(ctx context.Context, tx *sqlx.Tx, p ProductionUnitSpec) (int64, error) {
	v := &domain.ValidationError{}
	p.Validate(v)
	if p.SupervisorID > 0 || p.TownID != nil {
		var kinds struct {
			Supervisor *string `db:"supervisor"`
			Town       *string `db:"town"`
		}
		if err := sqlx.GetContext(ctx, tx, &kinds, `SELECT (SELECT kind FROM units WHERE id = $1) AS supervisor, (SELECT kind FROM units WHERE id = $2) AS town`,
			p.SupervisorID, p.TownID); err != nil {
			return 0, fmt.Errorf("production unit %s: %w", p.Code, err)
		}
		if p.SupervisorID > 0 && (kinds.Supervisor == nil || *kinds.Supervisor != domain.KindDepartment.String()) {
			v.Add("supervisor", "监管部门应为县级部门")
		}
		if p.TownID != nil && (kinds.Town == nil || *kinds.Town != domain.KindTown.String()) {
			v.Add("town", "所在乡镇应为乡镇")
		}
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	var unit struct {
		ID   int64  `db:"id"`
		Kind string `db:"kind"`
	}
	if err := sqlx.GetContext(ctx, tx, &unit, upsertProducerUnitSQL, p.Code, p.Name, p.SupervisorID); err != nil {
		if err = mapError(err); errors.Is(err, domain.ErrNotFound) {
			return 0, fmt.Errorf("production unit %s: %w: 该代码已是其他类别的单位", p.Code, domain.ErrConflict)
		}
		return 0, fmt.Errorf("production unit %s: %w", p.Code, err)
	}
	if _, err := tx.ExecContext(ctx, upsertProductionUnitSQL, unit.ID, p.Sector, p.SupervisorID, p.TownID, p.Responsible, p.Phone, p.Demo); err != nil {
		return 0, fmt.Errorf("production unit %s: %w", p.Code, mapError(err))
	}
	if unit.Kind != domain.KindProducer.String() {
		var headed bool
		if err := sqlx.GetContext(ctx, tx, &headed, `SELECT EXISTS (SELECT 1 FROM role_grants WHERE unit_id = $1 AND role = 'unit_head')`, unit.ID); err != nil {
			return 0, fmt.Errorf("production unit %s: head: %w", p.Code, err)
		}
		if headed {
			return unit.ID, nil
		}
	}
	head, err := UpsertPerson(ctx, tx, p.Code+"-head", p.Responsible, ProducerHeadTitle, unit.ID)
	if err != nil {
		return 0, err
	}
	if err := GrantRole(ctx, tx, head, domain.RoleUnitHead, unit.ID); err != nil {
		return 0, err
	}
	return unit.ID, nil
}

// ProducerQuery filters production units; zero fields do not filter.
type ProducerQuery struct {
	Sector       string
	SupervisorID int64
	TownID       int64
}

var selectProductionUnitsSQL = `
SELECT u.id AS unit_id, u.code, u.name, u.kind, pu.sector, ` + stopOf("u.id") + ` AS stop,
       s.id AS supervisor_id, s.code AS supervisor_code, s.name AS supervisor_name,
       t.id AS town_id, COALESCE(t.code, '') AS town_code, COALESCE(t.name, '') AS town_name,
       pu.responsible, pu.phone, pu.demo
FROM production_units pu
JOIN units u ON u.id = pu.unit_id
JOIN units s ON s.id = pu.supervisor_unit_id
LEFT JOIN units t ON t.id = pu.town_unit_id`

// ProductionUnits lists the production units that match q, by sector (in the
// order of domain.Sectors) and code. An unknown sector is a ValidationError.
func ProductionUnits(ctx context.Context, db sqlx.ExtContext, q ProducerQuery) ([]ProductionUnit, error) {
	if q.Sector != "" && !slices.Contains(domain.Sectors, q.Sector) {
		v := &domain.ValidationError{}
		v.Add("sector", domain.MsgOneOf(domain.Sectors...))
		return nil, v
	}
	out := []ProductionUnit{}
	err := sqlx.SelectContext(ctx, db, &out, selectProductionUnitsSQL+`
WHERE ($1::text = '' OR pu.sector = $1) AND ($2::bigint = 0 OR pu.supervisor_unit_id = $2) AND ($3::bigint = 0 OR pu.town_unit_id = $3)
ORDER BY array_position($4::text[], pu.sector), u.code`, q.Sector, q.SupervisorID, q.TownID, pq.Array(domain.Sectors))
	if err != nil {
		return nil, fmt.Errorf("production units: %w", err)
	}
	return out, nil
}

// ProductionUnitByCode finds one production unit by its unit's code, or domain.ErrNotFound.
func ProductionUnitByCode(ctx context.Context, db sqlx.ExtContext, code string) (ProductionUnit, error) {
	var p ProductionUnit
	if err := sqlx.GetContext(ctx, db, &p, selectProductionUnitsSQL+` WHERE u.code = $1`, code); err != nil {
		return p, fmt.Errorf("production unit %s: %w", code, mapError(err))
	}
	return p, nil
}

// ProductionUnitByID finds one production unit by its unit id, or domain.ErrNotFound.
func ProductionUnitByID(ctx context.Context, db sqlx.ExtContext, unitID int64) (ProductionUnit, error) {
	var p ProductionUnit
	if err := sqlx.GetContext(ctx, db, &p, selectProductionUnitsSQL+` WHERE pu.unit_id = $1`, unitID); err != nil {
		return p, fmt.Errorf("production unit %d: %w", unitID, mapError(err))
	}
	return p, nil
}

// Working-face kinds: 采煤工作面 and 掘进工作面.
const (
	FaceCoal    = "coal"
	FaceHeading = "heading"
)

// FaceKinds lists the kinds of working face.
var FaceKinds = []string{FaceCoal, FaceHeading}

// Face is a working face of a mine (工作面), which can be stopped by itself.
type Face struct {
	ID     int64  `db:"id" json:"id"`
	UnitID int64  `db:"unit_id" json:"unit_id"`
	Code   string `db:"code" json:"code"`
	Name   string `db:"name" json:"name"`
	Kind   string `db:"kind" json:"kind"`
	// Stopped: a stop order of the face, or of its whole unit, stands now.
	Stopped bool `db:"stopped" json:"stopped"`
}

var faceCodePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,40}$`)

// UpsertFace registers a working face of a production unit by its code
// (unique within the unit), or updates its name and kind, and returns its
// id. kind is FaceCoal or FaceHeading. A unit that is not a production unit
// is domain.ErrNotFound.
func UpsertFace(ctx context.Context, tx sqlx.ExtContext, unitID int64, code, name, kind string) (int64, error) {
	v := &domain.ValidationError{}
	if !faceCodePattern.MatchString(code) {
		v.Add("code", "应为字母、数字、下划线和连字符，不超过40个字符")
	}
	v.Text("name", &name, true, 200)
	if !slices.Contains(FaceKinds, kind) {
		v.Add("kind", domain.MsgOneOf(FaceKinds...))
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	var id int64
	err := sqlx.GetContext(ctx, tx, &id, `
INSERT INTO work_faces (unit_id, code, name, kind)
SELECT unit_id, $2, $3, $4 FROM production_units WHERE unit_id = $1
ON CONFLICT (unit_id, code) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind
RETURNING id`, unitID, code, name, kind)
	if err != nil {
		return 0, fmt.Errorf("face %s of unit %d: %w", code, unitID, mapError(err))
	}
	return id, nil
}

// Faces lists a unit's working faces by code.
func Faces(ctx context.Context, db sqlx.ExtContext, unitID int64) ([]Face, error) {
	out := []Face{}
	if err := sqlx.SelectContext(ctx, db, &out, `SELECT id, unit_id, code, name, kind,
  EXISTS (SELECT 1 FROM stop_orders so WHERE so.unit_id = work_faces.unit_id AND so.status <> 'lifted'
    AND (so.scope = 'unit' OR work_faces.id = ANY(so.face_ids))) AS stopped
FROM work_faces WHERE unit_id = $1 ORDER BY code`, unitID); err != nil {
		return nil, fmt.Errorf("faces of unit %d: %w", unitID, err)
	}
	return out, nil
}

// FaceByCode finds one of a unit's working faces, or domain.ErrNotFound.
func FaceByCode(ctx context.Context, db sqlx.ExtContext, unitID int64, code string) (Face, error) {
	var f Face
	if err := sqlx.GetContext(ctx, db, &f, `SELECT id, unit_id, code, name, kind FROM work_faces WHERE unit_id = $1 AND code = $2`, unitID, code); err != nil {
		return f, fmt.Errorf("face %s of unit %d: %w", code, unitID, mapError(err))
	}
	return f, nil
}
