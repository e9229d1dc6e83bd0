// Package testdb gives each test its own migrated database on the real
// PostgreSQL that `make test` starts (DATABASE_URL), dropped when the test ends.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/internal/store"
)

// URL creates a fresh empty database and returns its URL.
func URL(t testing.TB) string {
	t.Helper()
	base := BaseURL(t)
	admin, err := sqlx.Open("postgres", base)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	defer admin.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "zt_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("testdb: create database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sqlx.Open("postgres", base)
		if err != nil {
			return
		}
		defer admin.Close()
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	u, _ := url.Parse(base)
	u.Path = "/" + name
	return u.String()
}

// BaseURL is DATABASE_URL; without it the test fails with how to run it.
func BaseURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("DATABASE_URL")
	if base == "" {
		t.Fatal("DATABASE_URL is not set: run the tests with `make test`, which starts a throw-away PostgreSQL")
	}
	return base
}

// New opens a fresh migrated database.
func New(t testing.TB) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), URL(t))
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("testdb: %v", err)
	}
	return s
}

// Count runs a query answering one integer (a count, a sum) and fails the
// test if it cannot.
func Count(t testing.TB, db sqlx.Queryer, q string, args ...any) int {
	t.Helper()
	var n int
	if err := sqlx.Get(db, &n, q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}
