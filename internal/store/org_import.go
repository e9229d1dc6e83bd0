package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// PersonRow is a person as stored, without their grants.
type PersonRow struct {
	ID     int64  `db:"id"`
	Key    string `db:"key"`
	Name   string `db:"name"`
	Title  string `db:"title"`
	UnitID int64  `db:"unit_id"`
}

// PeopleByKeys loads the people with the given keys (unknown keys are left out).
func PeopleByKeys(ctx context.Context, db sqlx.ExtContext, keys []string) ([]PersonRow, error) {
	var out []PersonRow
	if err := sqlx.SelectContext(ctx, db, &out, `SELECT id, key, name, title, unit_id FROM people WHERE key = ANY($1) ORDER BY id`, pq.Array(keys)); err != nil {
		return nil, fmt.Errorf("people by key: %w", err)
	}
	return out, nil
}

// PeopleOfUnits lists the people of the given units, by unit then registration.
func PeopleOfUnits(ctx context.Context, db sqlx.ExtContext, unitIDs []int64) ([]PersonRow, error) {
	var out []PersonRow
	if err := sqlx.SelectContext(ctx, db, &out, `SELECT id, key, name, title, unit_id FROM people WHERE unit_id = ANY($1) ORDER BY unit_id, id`, pq.Array(unitIDs)); err != nil {
		return nil, fmt.Errorf("people of units: %w", err)
	}
	return out, nil
}

// AllPeople lists every person, in the order they were registered.
func AllPeople(ctx context.Context, db sqlx.ExtContext) ([]PersonRow, error) {
	var out []PersonRow
	if err := sqlx.SelectContext(ctx, db, &out, `SELECT id, key, name, title, unit_id FROM people ORDER BY id`); err != nil {
		return nil, fmt.Errorf("people: %w", err)
	}
	return out, nil
}

// RoleGrantRow is one role a person holds in one unit.
type RoleGrantRow struct {
	PersonID int64  `db:"person_id"`
	Role     string `db:"role"`
	UnitID   int64  `db:"unit_id"`
}

// RoleGrantsOf lists the grants of the given people (nil: of everyone), by
// person, then unit, then role in the order of domain.Roles.
func RoleGrantsOf(ctx context.Context, db sqlx.ExtContext, personIDs []int64) ([]RoleGrantRow, error) {
	var out []RoleGrantRow
	err := sqlx.SelectContext(ctx, db, &out, `SELECT person_id, role, unit_id FROM role_grants
WHERE $1::bigint[] IS NULL OR person_id = ANY($1::bigint[])
ORDER BY person_id, unit_id, array_position(ARRAY['leader', 'safety_office', 'unit_head', 'staff', 'inspector', 'admin'], role)`,
		pq.Array(personIDs))
	if err != nil {
		return nil, fmt.Errorf("role grants: %w", err)
	}
	return out, nil
}

// CommitteeSeat is a unit's seat on a committee.
type CommitteeSeat struct {
	CommitteeID int64 `db:"committee_id"`
	UnitID      int64 `db:"unit_id"`
	Lead        bool  `db:"is_lead"`
}

// CommitteeSeats lists every committee seat, each committee's lead first.
func CommitteeSeats(ctx context.Context, db sqlx.ExtContext) ([]CommitteeSeat, error) {
	var out []CommitteeSeat
	if err := sqlx.SelectContext(ctx, db, &out, `SELECT committee_id, unit_id, is_lead FROM committee_members ORDER BY committee_id, is_lead DESC, unit_id`); err != nil {
		return nil, fmt.Errorf("committee seats: %w", err)
	}
	return out, nil
}

// SeatOnCommittee seats a unit on a committee, as its lead or not; a new lead
// takes the lead from the committee's former lead, who keeps a plain seat.
func SeatOnCommittee(ctx context.Context, db sqlx.ExtContext, committeeID, unitID int64, lead bool) error {
	if lead {
		if _, err := db.ExecContext(ctx, `UPDATE committee_members SET is_lead = false WHERE committee_id = $1 AND unit_id <> $2 AND is_lead`,
			committeeID, unitID); err != nil {
			return fmt.Errorf("committee lead: %w", mapError(err))
		}
	}
	return AddCommitteeMember(ctx, db, committeeID, unitID, lead)
}
