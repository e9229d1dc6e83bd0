package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// The statements a busy county sends most — a task's page, the inbox, its
// counts and its notifications, a task by id; in transactions the audit log's
// append, a task's insert and completion — are prepared once per connection
// and then only executed: PostgreSQL planned the task's page in 0.5 ms and ran
// it in 0.1 ms, so without this most of a read was planning, and the audit
// log's writes went from about 1,850 a second to 2,600–3,000 (measured:
// README, Benchmarks).
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

// txPools maps each transaction Store.InTx or Store.Snapshot began to its
// pool: a transaction's queries run through the pool's statements, on the
// transaction's connection.
var txPools sync.Map // *sqlx.Tx → *sqlx.DB

// pending holds the statements being prepared in the background for a
// transaction that found none; closeStatements drops a pool's.
var pending = map[statementKey]bool{}

// began notes that tx was begun on pool, until the returned func is called.
func began(pool *sqlx.DB, tx *sqlx.Tx) (ended func()) {
	txPools.Store(tx, pool)
	return func() { txPools.Delete(tx) }
}

// prepared is a query's statement as it is run: on a pool, the pool's; in a
// transaction, the pool's (parent) bound to the transaction's connection.
type prepared struct {
	run    *sqlx.Stmt
	pool   *sqlx.DB
	parent *sqlx.Stmt
	inTx   bool
}

// statement answers db's prepared statement of query, preparing it on first
// use; run is nil when db is neither a pool nor a transaction one of them
// began, or the pool holds maxStatements already. A transaction never waits
// for a statement to be prepared — that takes a second connection, which a
// pool whose every connection a transaction holds would never give —: the
// first finds none and sends its query as it is while the pool prepares it
// in the background; the next runs it on its own connection, where database/sql
// prepares it once and keeps it (Tx.StmtContext).
func statement(ctx context.Context, db sqlx.ExtContext, query string) (prepared, error) {
	switch d := db.(type) {
	case *sqlx.DB:
		st, err := poolStatement(ctx, d, query, true)
		return prepared{run: st, pool: d, parent: st}, err
	case *sqlx.Tx:
		p, ok := txPools.Load(d)
		if !ok {
			return prepared{}, nil
		}
		pool := p.(*sqlx.DB)
		st, err := poolStatement(ctx, pool, query, false)
		if st == nil || err != nil {
			return prepared{}, err
		}
		return prepared{run: d.StmtxContext(ctx, st), pool: pool, parent: st, inTx: true}, nil
	}
	return prepared{}, nil
}

// poolStatement answers pool's statement of query. When there is none it is
// prepared — at once when wait is set, else in the background and nil answered.
func poolStatement(ctx context.Context, pool *sqlx.DB, query string, wait bool) (*sqlx.Stmt, error) {
	key := statementKey{pool, query}
	statementsMu.Lock()
	st, ok := statements[key]
	full := statementsOf[pool] >= maxStatements
	if !ok && !full && !wait {
		if !pending[key] {
			pending[key] = true
			go prepareInBackground(key)
		}
	}
	statementsMu.Unlock()
	if ok || full || !wait {
		return st, nil
	}
	// Prepared outside the lock: two callers may both prepare, and the
	// second's statement is closed.
	st, err := pool.PreparexContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return keep(key, st, false), nil
}

// prepareInBackground prepares key's statement for a transaction that found
// none; a failure leaves it to the next transaction to try again.
func prepareInBackground(key statementKey) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := key.db.PreparexContext(ctx, key.query)
	if err != nil {
		statementsMu.Lock()
		delete(pending, key)
		statementsMu.Unlock()
		return
	}
	keep(key, st, true)
}

// keep stores st as key's statement, unless another was stored first: then
// st is closed and that one answered. A statement prepared in the background
// (pended) is kept only while its preparation is pending: closeStatements
// ends that when it closes the pool, and st is then closed and nil answered.
func keep(key statementKey, st *sqlx.Stmt, pended bool) *sqlx.Stmt {
	statementsMu.Lock()
	defer statementsMu.Unlock()
	if pended {
		open := pending[key]
		delete(pending, key)
		if !open {
			_ = st.Close()
			return nil
		}
	}
	if kept, ok := statements[key]; ok {
		_ = st.Close()
		return kept
	}
	statements[key] = st
	statementsOf[key.db]++
	return st
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

// execPrepared is ExecContext through db's prepared statement of query.
func execPrepared(ctx context.Context, db sqlx.ExtContext, query string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := throughStatement(ctx, db, query,
		func(st *sqlx.Stmt) (err error) { res, err = st.ExecContext(ctx, args...); return err },
		func() (err error) { res, err = db.ExecContext(ctx, query, args...); return err })
	return res, err
}

// throughStatement runs query as prepared, or plain when it is not prepared.
// A statement PostgreSQL refuses because the columns it answers changed
// under it (a migration altered one while the server ran) is dropped, and its
// next use prepares it again; on a pool the query is then sent plain, while
// in a transaction, which the refusal ended, the error is answered (an
// activity's transaction is retried whole).
func throughStatement(ctx context.Context, db sqlx.ExtContext, query string, run func(*sqlx.Stmt) error, plain func() error) error {
	p, err := statement(ctx, db, query)
	if err != nil {
		return err
	}
	if p.run == nil {
		return plain()
	}
	err = run(p.run)
	var pe *pq.Error
	if errors.As(err, &pe) && pe.Code == "0A000" && strings.Contains(pe.Message, "cached plan must not change result type") {
		forgetStatement(p.pool, query, p.parent)
		if !p.inTx {
			return plain()
		}
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
	for k := range pending {
		if k.db == db {
			delete(pending, k)
		}
	}
	delete(statementsOf, db)
}
