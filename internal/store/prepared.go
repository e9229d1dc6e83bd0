package store

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// The queries a busy county sends most — a task's page, the inbox, its counts
// and its notifications, a task by id — are prepared once per connection and then only
// executed: PostgreSQL planned the task's page in 0.5 ms and ran it in 0.1 ms,
// so without this most of a read was planning (measured: README, Benchmarks).
// Statements are named per connection by lib/pq and re-prepared by
// database/sql on each connection they run on; PostgreSQL plans them anew
// itself when a table they read changes. Behind PgBouncer this needs its
// support of protocol-level prepared statements (1.21 or later,
// max_prepared_statements above 0), or a direct connection.

// maxStatements bounds the statements kept for one pool: the inbox's query
// text varies with its filters, a bounded set; past the bound a query is sent
// as it is.
const maxStatements = 256

type statementKey struct {
	db    *sqlx.DB
	query string
}

var (
	statementsMu sync.Mutex
	statements   = map[statementKey]*sqlx.Stmt{}
	statementsOf = map[*sqlx.DB]int{}
)

// statement answers db's prepared statement of query, preparing it on first
// use, or nil when db is not a pool (a transaction sends its queries as they
// are) or the pool holds maxStatements already.
func statement(ctx context.Context, db sqlx.ExtContext, query string) (*sqlx.Stmt, error) {
	pool, ok := db.(*sqlx.DB)
	if !ok {
		return nil, nil
	}
	key := statementKey{pool, query}
	statementsMu.Lock()
	st, ok := statements[key]
	full := statementsOf[pool] >= maxStatements
	statementsMu.Unlock()
	if ok || full {
		return st, nil
	}
	// Prepared outside the lock: two callers may both prepare, and the
	// second's statement is closed.
	st, err := pool.PreparexContext(ctx, query)
	if err != nil {
		return nil, err
	}
	statementsMu.Lock()
	defer statementsMu.Unlock()
	if kept, ok := statements[key]; ok {
		_ = st.Close()
		return kept, nil
	}
	statements[key] = st
	statementsOf[pool]++
	return st, nil
}

// getPrepared is sqlx.GetContext through db's prepared statement of query.
func getPrepared(ctx context.Context, db sqlx.ExtContext, dest any, query string, args ...any) error {
	return throughStatement(ctx, db, query,
		func(st *sqlx.Stmt) error { return st.GetContext(ctx, dest, args...) },
		func() error { return sqlx.GetContext(ctx, db, dest, query, args...) })
}

// selectPrepared is sqlx.SelectContext through db's prepared statement of query.
func selectPrepared(ctx context.Context, db sqlx.ExtContext, dest any, query string, args ...any) error {
	return throughStatement(ctx, db, query,
		func(st *sqlx.Stmt) error { return st.SelectContext(ctx, dest, args...) },
		func() error { return sqlx.SelectContext(ctx, db, dest, query, args...) })
}

// throughStatement runs query as prepared, or plain when it is not prepared.
// A statement PostgreSQL refuses because the columns it answers changed
// under it (a migration altered one while the server ran) is dropped and the
// query sent plain; its next use prepares it again.
func throughStatement(ctx context.Context, db sqlx.ExtContext, query string, prepared func(*sqlx.Stmt) error, plain func() error) error {
	st, err := statement(ctx, db, query)
	if err != nil {
		return err
	}
	if st == nil {
		return plain()
	}
	err = prepared(st)
	var pe *pq.Error
	if errors.As(err, &pe) && pe.Code == "0A000" && strings.Contains(pe.Message, "cached plan must not change result type") {
		forgetStatement(db.(*sqlx.DB), query, st)
		return plain()
	}
	return err
}

// forgetStatement forgets st, db's statement of query. It is not closed:
// requests under way may hold it (a closed one answers them an error); each
// of its connections drops its copy when it closes.
func forgetStatement(db *sqlx.DB, query string, st *sqlx.Stmt) {
	statementsMu.Lock()
	defer statementsMu.Unlock()
	key := statementKey{db, query}
	if statements[key] == st {
		delete(statements, key)
		statementsOf[db]--
	}
}

// closeStatements closes and forgets the statements prepared on db.
func closeStatements(db *sqlx.DB) {
	statementsMu.Lock()
	defer statementsMu.Unlock()
	for k, st := range statements {
		if k.db == db {
			_ = st.Close()
			delete(statements, k)
		}
	}
	delete(statementsOf, db)
}
