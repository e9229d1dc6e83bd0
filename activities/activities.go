// Package activities is everything with side effects that workflows call:
// database writes and reads, notifications. Each activity is one transaction and
// idempotent, so a retry after a crash writes nothing twice.
package activities

import (
	"context"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/client"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/store"
)

// Activities holds the dependencies of every activity.
type Activities struct {
	Store *store.Store
	// Temporal lets an activity reach other processes (a campaign's pause); nil in workflow unit tests.
	Temporal client.Client
	// MaxChildren overrides DefaultMaxChildren (the time-skipping
	// benchmark, which has no client, runs a province's reports and pledges
	// as children; a test makes a province of the demo county).
	MaxChildren int
}

// contract.Census counts units and people.
func (a *Activities) Census(ctx context.Context) (contract.Census, error) {
	c, err := store.CountOrganisation(ctx, a.Store.DB)
	if err != nil {
		return contract.Census{}, err
	}
	v, err := store.SchemaVersion(ctx, a.Store.DB.DB)
	if err != nil {
		return contract.Census{}, err
	}
	return contract.Census{Units: c.Units, People: c.People, SchemaVersion: v}, nil
}

// recordOnce runs step in one transaction unless the audit row keyed key
// already exists: a step an earlier try recorded is not applied again.
func (a *Activities) recordOnce(ctx context.Context, key string, step func(tx *sqlx.Tx) error) error {
	return a.inTx(ctx, func(tx *sqlx.Tx) error {
		seen, err := store.Audited(ctx, tx, key)
		if err != nil || seen {
			return err
		}
		return step(tx)
	})
}
