// Package activities is everything with side effects that workflows call:
// database writes and reads, notifications. Each activity is one transaction and
// idempotent, so a retry after a crash writes nothing twice.
package activities

import (
	"go.temporal.io/sdk/client"

	"context"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/internal/store"
)

// Activities holds the dependencies of every activity.
type Activities struct {
	Store *store.Store
	// Temporal lets an activity reach other processes (a campaign's pause); nil in workflow unit tests.
	Temporal client.Client
	// MaxChildReports overrides DefaultMaxChildReports (the time-skipping
	// benchmark, which has no client, runs a province's reports as children).
	MaxChildReports int
}

// Census is a count of the organisation and the schema version.
type Census struct {
	Units         int   `json:"units"`
	People        int   `json:"people"`
	SchemaVersion int64 `json:"schema_version"`
}

// Census counts units and people.
func (a *Activities) Census(ctx context.Context) (Census, error) {
	c, err := store.CountOrganisation(ctx, a.Store.DB)
	if err != nil {
		return Census{}, err
	}
	v, err := store.SchemaVersion(ctx, a.Store.DB.DB)
	if err != nil {
		return Census{}, err
	}
	return Census{Units: c.Units, People: c.People, SchemaVersion: v}, nil
}

// recordOnce runs step in one transaction unless the audit row keyed key
// already exists: a step an earlier try recorded is not applied again.
func (a *Activities) recordOnce(ctx context.Context, key string, step func(tx *sqlx.Tx) error) error {
	return a.inTx(ctx, func(tx *sqlx.Tx) error {
		var seen int
		if err := tx.GetContext(ctx, &seen, `SELECT count(*) FROM audit_log WHERE key = $1`, key); err != nil || seen > 0 {
			return err
		}
		return step(tx)
	})
}
