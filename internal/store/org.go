package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/zeren-county/zeren/internal/domain"
)

const upsertUnitSQL = `
INSERT INTO units (code, name, kind, parent_id) VALUES ($1, $2, $3, $4)
ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, parent_id = EXCLUDED.parent_id
RETURNING id`

// UpsertUnit creates the unit or updates it by code, returning its id.
func UpsertUnit(ctx context.Context, db sqlx.ExtContext, code, name string, kind domain.UnitKind, parentID *int64) (int64, error) {
	var id int64
	if err := sqlx.GetContext(ctx, db, &id, upsertUnitSQL, code, name, kind.String(), parentID); err != nil {
		return 0, fmt.Errorf("upsert unit %s: %w", code, mapError(err))
	}
	return id, nil
}

// AddSupervision records that supervisor supervises supervised.
func AddSupervision(ctx context.Context, db sqlx.ExtContext, supervisorID, supervisedID int64) error {
	_, err := db.ExecContext(ctx, `INSERT INTO supervision (supervisor_id, supervised_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, supervisorID, supervisedID)
	if err != nil {
		return fmt.Errorf("add supervision: %w", mapError(err))
	}
	return nil
}

// AddCommitteeMember seats a unit on a committee.
func AddCommitteeMember(ctx context.Context, db sqlx.ExtContext, committeeID, unitID int64, lead bool) error {
	_, err := db.ExecContext(ctx, `
INSERT INTO committee_members (committee_id, unit_id, is_lead) VALUES ($1, $2, $3)
ON CONFLICT (committee_id, unit_id) DO UPDATE SET is_lead = EXCLUDED.is_lead`, committeeID, unitID, lead)
	if err != nil {
		return fmt.Errorf("add committee member: %w", mapError(err))
	}
	return nil
}

const upsertPersonSQL = `
INSERT INTO people (key, name, title, unit_id) VALUES ($1, $2, $3, $4)
ON CONFLICT (key) DO UPDATE SET name = EXCLUDED.name, title = EXCLUDED.title, unit_id = EXCLUDED.unit_id
RETURNING id`

// UpsertPerson creates the person or updates them by key, returning their id.
func UpsertPerson(ctx context.Context, db sqlx.ExtContext, key, name, title string, unitID int64) (int64, error) {
	var id int64
	if err := sqlx.GetContext(ctx, db, &id, upsertPersonSQL, key, name, title, unitID); err != nil {
		return 0, fmt.Errorf("upsert person %s: %w", key, mapError(err))
	}
	return id, nil
}

// GrantRole gives a person a role in a unit.
func GrantRole(ctx context.Context, db sqlx.ExtContext, personID int64, role domain.Role, unitID int64) error {
	_, err := db.ExecContext(ctx, `INSERT INTO role_grants (person_id, role, unit_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, personID, role.String(), unitID)
	if err != nil {
		return fmt.Errorf("grant role: %w", mapError(err))
	}
	return nil
}

type unitRow struct {
	ID       int64  `db:"id"`
	Code     string `db:"code"`
	Name     string `db:"name"`
	Kind     string `db:"kind"`
	ParentID *int64 `db:"parent_id"`
}

func (r unitRow) toDomain() (domain.Unit, error) {
	kind, err := domain.ParseUnitKind(r.Kind)
	if err != nil {
		return domain.Unit{}, err
	}
	return domain.Unit{ID: r.ID, Code: r.Code, Name: r.Name, Kind: kind, ParentID: r.ParentID}, nil
}

// UnitHead is the person who heads a unit (主要负责人).
type UnitHead struct {
	UnitID   int64  `db:"unit_id"`
	PersonID int64  `db:"person_id"`
	Name     string `db:"name"`
	Title    string `db:"title"`
}

// Units lists every unit ordered by id.
func Units(ctx context.Context, db sqlx.ExtContext) ([]domain.Unit, error) {
	return selectUnits(ctx, db, "list units", `SELECT id, code, name, kind, parent_id FROM units ORDER BY id`)
}

// selectUnits runs a query for unit rows and converts them.
func selectUnits(ctx context.Context, db sqlx.ExtContext, what, query string, args ...any) ([]domain.Unit, error) {
	var rows []unitRow
	if err := sqlx.SelectContext(ctx, db, &rows, query, args...); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	units := make([]domain.Unit, 0, len(rows))
	for _, r := range rows {
		u, err := r.toDomain()
		if err != nil {
			return nil, err
		}
		units = append(units, u)
	}
	return units, nil
}

// UnitByCode finds one unit.
func UnitByCode(ctx context.Context, db sqlx.ExtContext, code string) (domain.Unit, error) {
	var r unitRow
	if err := sqlx.GetContext(ctx, db, &r, `SELECT id, code, name, kind, parent_id FROM units WHERE code = $1`, code); err != nil {
		return domain.Unit{}, fmt.Errorf("unit %s: %w", code, mapError(err))
	}
	return r.toDomain()
}

// UnitByID finds one unit by its id.
func UnitByID(ctx context.Context, db sqlx.ExtContext, id int64) (domain.Unit, error) {
	var r unitRow
	if err := sqlx.GetContext(ctx, db, &r, `SELECT id, code, name, kind, parent_id FROM units WHERE id = $1`, id); err != nil {
		return domain.Unit{}, fmt.Errorf("unit %d: %w", id, mapError(err))
	}
	return r.toDomain()
}

// UnitHeads lists the heads of every unit.
func UnitHeads(ctx context.Context, db sqlx.ExtContext) ([]UnitHead, error) {
	var heads []UnitHead
	err := sqlx.SelectContext(ctx, db, &heads, `
SELECT g.unit_id, p.id AS person_id, p.name, p.title
FROM role_grants g JOIN people p ON p.id = g.person_id
WHERE g.role = 'unit_head' ORDER BY g.unit_id, p.id`)
	if err != nil {
		return nil, fmt.Errorf("unit heads: %w", err)
	}
	return heads, nil
}

// Supervision lists (supervisor, supervised) pairs.
func Supervision(ctx context.Context, db sqlx.ExtContext) (map[int64][]int64, error) {
	var rows []struct {
		Supervisor int64 `db:"supervisor_id"`
		Supervised int64 `db:"supervised_id"`
	}
	if err := sqlx.SelectContext(ctx, db, &rows, `SELECT supervisor_id, supervised_id FROM supervision ORDER BY supervisor_id, supervised_id`); err != nil {
		return nil, fmt.Errorf("supervision: %w", err)
	}
	m := map[int64][]int64{}
	for _, r := range rows {
		m[r.Supervisor] = append(m[r.Supervisor], r.Supervised)
	}
	return m, nil
}

// CommitteeMembers lists each committee's member units, lead first.
func CommitteeMembers(ctx context.Context, db sqlx.ExtContext) (map[int64][]int64, error) {
	var rows []struct {
		Committee int64 `db:"committee_id"`
		Unit      int64 `db:"unit_id"`
	}
	err := sqlx.SelectContext(ctx, db, &rows, `SELECT committee_id, unit_id FROM committee_members ORDER BY committee_id, is_lead DESC, unit_id`)
	if err != nil {
		return nil, fmt.Errorf("committee members: %w", err)
	}
	m := map[int64][]int64{}
	for _, r := range rows {
		m[r.Committee] = append(m[r.Committee], r.Unit)
	}
	return m, nil
}

// personSQL selects a person with their grants, one row per grant (one row
// with null grant columns for a person without any); the caller adds the WHERE
// that picks the person. One query, so a request's authentication is one round trip.
const personSQL = `
SELECT p.id, p.key, p.name, p.title, p.unit_id, g.role, g.unit_id AS grant_unit_id, u.code AS grant_unit_code, u.name AS grant_unit_name
FROM people p LEFT JOIN role_grants g ON g.person_id = p.id LEFT JOIN units u ON u.id = g.unit_id`

// personRow is one row of personSQL.
type personRow struct {
	ID            int64   `db:"id"`
	Key           string  `db:"key"`
	Name          string  `db:"name"`
	Title         string  `db:"title"`
	UnitID        int64   `db:"unit_id"`
	Role          *string `db:"role"`
	GrantUnitID   *int64  `db:"grant_unit_id"`
	GrantUnitCode *string `db:"grant_unit_code"`
	GrantUnitName *string `db:"grant_unit_name"`
}

// personOf turns the rows of one person (ordered by grant) into the person;
// no rows is domain.ErrNotFound.
func personOf(rows []personRow) (domain.Person, error) {
	if len(rows) == 0 {
		return domain.Person{}, domain.ErrNotFound
	}
	r := rows[0]
	p := domain.Person{ID: r.ID, Key: r.Key, Name: r.Name, Title: r.Title, UnitID: r.UnitID, Grants: make([]domain.Grant, 0, len(rows))}
	for _, g := range rows {
		if g.Role == nil {
			continue
		}
		role, err := domain.ParseRole(*g.Role)
		if err != nil {
			return p, err
		}
		p.Grants = append(p.Grants, domain.Grant{Role: role, UnitID: *g.GrantUnitID, UnitCode: *g.GrantUnitCode, UnitName: *g.GrantUnitName})
	}
	return p, nil
}

// PersonByID loads a person with their grants.
func PersonByID(ctx context.Context, db sqlx.ExtContext, id int64) (domain.Person, error) {
	var rows []personRow
	if err := sqlx.SelectContext(ctx, db, &rows, personSQL+` WHERE p.id = $1 ORDER BY g.unit_id, g.role`, id); err != nil {
		return domain.Person{}, fmt.Errorf("person %d: %w", id, mapError(err))
	}
	p, err := personOf(rows)
	if err != nil {
		return p, fmt.Errorf("person %d: %w", id, err)
	}
	return p, nil
}

// TokenPrefix marks zeren bearer tokens, so a leaked one is recognisable.
const TokenPrefix = "zrn_"

// HashToken is how a token is kept: its SHA-256.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// IssueToken creates a new bearer token for a person and stores only its hash.
func IssueToken(ctx context.Context, db sqlx.ExtContext, personID int64, label string) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	token := TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	_, err := db.ExecContext(ctx, `INSERT INTO api_tokens (person_id, token_hash, label) VALUES ($1, $2, $3)`, personID, HashToken(token), label)
	if err != nil {
		return "", fmt.Errorf("store token: %w", mapError(err))
	}
	return token, nil
}

// PersonByKey finds a person by their key, with their grants.
func PersonByKey(ctx context.Context, db sqlx.ExtContext, key string) (domain.Person, error) {
	var id int64
	if err := sqlx.GetContext(ctx, db, &id, `SELECT id FROM people WHERE key = $1`, key); err != nil {
		return domain.Person{}, fmt.Errorf("person %q: %w", key, mapError(err))
	}
	return PersonByID(ctx, db, id)
}

// Counts is a small census of the organisation.
type Counts struct {
	Units  int `db:"units" json:"units"`
	People int `db:"people" json:"people"`
}

// CountOrganisation counts units and people.
func CountOrganisation(ctx context.Context, db sqlx.ExtContext) (Counts, error) {
	var c Counts
	err := sqlx.GetContext(ctx, db, &c, `SELECT (SELECT count(*) FROM units) AS units, (SELECT count(*) FROM people) AS people`)
	if err != nil {
		return c, fmt.Errorf("count organisation: %w", err)
	}
	return c, nil
}

// UnitName is a unit's name, for the texts officials read.
func UnitName(ctx context.Context, db sqlx.ExtContext, id int64) (string, error) {
	var name string
	if err := sqlx.GetContext(ctx, db, &name, `SELECT name FROM units WHERE id = $1`, id); err != nil {
		return "", fmt.Errorf("unit %d: %w", id, mapError(err))
	}
	return name, nil
}

// PersonNames maps person keys to names, for documents.
func PersonNames(ctx context.Context, db sqlx.ExtContext, keys []string) (map[string]string, error) {
	var rows []struct {
		Key  string `db:"key"`
		Name string `db:"name"`
	}
	if err := sqlx.SelectContext(ctx, db, &rows, `SELECT key, name FROM people WHERE key = ANY($1)`, pq.Array(keys)); err != nil {
		return nil, fmt.Errorf("people: %w", err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.Key] = r.Name
	}
	return out, nil
}

// CountyUnit is the root unit of kind county.
func CountyUnit(ctx context.Context, db sqlx.ExtContext) (domain.Unit, error) {
	var r unitRow
	if err := sqlx.GetContext(ctx, db, &r, `SELECT id, code, name, kind, parent_id FROM units WHERE kind = 'county' ORDER BY id LIMIT 1`); err != nil {
		return domain.Unit{}, fmt.Errorf("county unit: %w", mapError(err))
	}
	return r.toDomain()
}
