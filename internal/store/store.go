// Package store keeps zeren's facts in PostgreSQL: repositories on
// sqlx.ExtContext, so the same code runs in or out of a transaction, and the
// embedded SQL migrations.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	neturl "net/url"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/pressly/goose/v3"

	"github.com/zeren-county/zeren/internal/domain"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store holds the database handle.
type Store struct {
	DB *sqlx.DB

	url      string // what Open connected to ("": Authenticate reads every token from the database)
	authOnce sync.Once
	auth     *authCache
}

// Open connects to PostgreSQL and checks the connection. Parameters are sent
// in one round trip (see OneRoundTrip).
func Open(ctx context.Context, url string) (*Store, error) {
	url = OneRoundTrip(url)
	db, err := sqlx.Open("postgres", url)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(16)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return &Store{DB: db, url: url}, nil
}

// OneRoundTrip returns the connection string with lib/pq's
// binary_parameters on, unless it says otherwise. lib/pq otherwise sends a
// query with parameters in two round trips — the statement to be described,
// then its parameters — and with it on, in one: a completion's transaction
// of ten statements makes half as many trips to PostgreSQL. The parameters
// are then sent untyped, []byte ones in binary: right for bytea, wrong for
// jsonb, which is why every JSON document is written as a string (JSON.Value).
// Both forms of connection string are understood: a URL and key=value pairs.
func OneRoundTrip(conn string) string {
	if strings.Contains(conn, "binary_parameters") {
		return conn
	}
	if u, err := neturl.Parse(conn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set("binary_parameters", "yes")
		u.RawQuery = q.Encode()
		return u.String()
	}
	return strings.TrimSpace(conn + " binary_parameters=yes")
}

// Close closes the pool, its prepared statements, and the listener of
// Authenticate's cache.
func (s *Store) Close() error {
	s.authOnce.Do(func() {}) // no cache starts after Close
	if s.auth != nil {
		_ = s.auth.close()
	}
	closeStatements(s.DB)
	return s.DB.Close()
}

// Migrate applies every pending migration and returns the versions applied.
func (s *Store) Migrate(ctx context.Context) ([]int64, error) {
	return Migrate(ctx, s.DB.DB)
}

// Migrate applies the embedded migrations to db.
func Migrate(ctx context.Context, db *sql.DB) ([]int64, error) {
	p, err := newProvider(db)
	if err != nil {
		return nil, err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	var applied []int64
	for _, r := range results {
		applied = append(applied, r.Source.Version)
	}
	return applied, nil
}

// SchemaVersion is the version of the newest applied migration.
func SchemaVersion(ctx context.Context, db *sql.DB) (int64, error) {
	p, err := newProvider(db)
	if err != nil {
		return 0, err
	}
	return p.GetDBVersion(ctx)
}

func newProvider(db *sql.DB) (*goose.Provider, error) {
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrationsFS())
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

// Snapshot runs fn's reads in one read-only transaction that sees the
// database as of one moment (REPEATABLE READ): what one transaction wrote is
// seen whole or not at all, however many queries fn sends.
func (s *Store) Snapshot(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	return snapshot(ctx, s.DB, fn)
}

// snapshot is Store.Snapshot on a pool.
func snapshot(ctx context.Context, pool *sqlx.DB, fn func(tx *sqlx.Tx) error) error {
	tx, err := pool.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer began(pool, tx)()
	defer func() { _ = tx.Rollback() }()
	return fn(tx)
}

// InTx runs fn in one transaction, committing when it returns nil.
func (s *Store) InTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer began(s.DB, tx)()
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", mapError(err))
	}
	return nil
}

// mapError turns PostgreSQL error codes into domain sentinels, in one place.
func mapError(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return domain.ErrNotFound
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		// The PostgreSQL error stays in the chain, so Rejected and Unavailable still see it.
		switch pqErr.Code {
		case "23505": // unique_violation
			return &dbError{sentinel: domain.ErrConflict, msg: "与已有记录重复", pq: pqErr}
		case "23503": // foreign_key_violation
			return &dbError{sentinel: domain.ErrNotFound, msg: "引用的记录不存在", pq: pqErr}
		}
	}
	return err
}

// dbError is a PostgreSQL error mapped to a domain sentinel: its message is
// the sentinel's and words an official can read; the PostgreSQL error stays
// in the chain (errors.As), for the log and for Rejected.
type dbError struct {
	sentinel error
	msg      string
	pq       *pq.Error
}

func (e *dbError) Error() string   { return e.sentinel.Error() + ": " + e.msg }
func (e *dbError) Unwrap() []error { return []error{e.sentinel, e.pq} }
