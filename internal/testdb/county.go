package testdb

import (
	"context"
	"testing"

	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
)

// County is a database holding the demo county: the store, each seeded
// person's id and bearer token by key, and each unit's id by code.
type County struct {
	*store.Store
	People []seed.Person
	IDs    map[string]int64  // person key → id
	Tokens map[string]string // person key → bearer token
	Units  map[string]int64  // unit code → id
}

// NewCounty is a fresh database holding the demo county.
func NewCounty(t testing.TB) County {
	t.Helper()
	return Seed(t, New(t))
}

// Seed loads the demo county into a migrated database and issues a token to each person.
func Seed(t testing.TB, s *store.Store) County {
	t.Helper()
	ctx := context.Background()
	people, err := seed.Load(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := seed.IssueTokens(ctx, s.DB, people, "test")
	if err != nil {
		t.Fatal(err)
	}
	units, err := store.Units(ctx, s.DB)
	if err != nil {
		t.Fatal(err)
	}
	c := County{Store: s, People: people, IDs: map[string]int64{}, Tokens: tokens, Units: map[string]int64{}}
	for _, p := range people {
		c.IDs[p.Key] = p.ID
	}
	for _, u := range units {
		c.Units[u.Code] = u.ID
	}
	return c
}
