package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Notification is an outbox row: something a unit is told.
type Notification struct {
	ID        int64      `db:"id" json:"id"`
	Key       string     `db:"key" json:"-"`
	UnitID    int64      `db:"unit_id" json:"unit_id"`
	TaskID    *string    `db:"task_id" json:"task_id,omitempty"`
	Kind      string     `db:"kind" json:"kind"`
	Title     string     `db:"title" json:"title"`
	Body      string     `db:"body" json:"body"`
	Status    string     `db:"status" json:"status"`
	Attempts  int        `db:"attempts" json:"attempts"`
	LastError *string    `db:"last_error" json:"-"`
	CreatedAt time.Time  `db:"created_at" json:"created_at"`
	SentAt    *time.Time `db:"sent_at" json:"sent_at,omitempty"`
}

// Enqueue puts a notification in the outbox once per key.
func Enqueue(ctx context.Context, tx sqlx.ExtContext, n Notification) (bool, error) {
	res, err := execPrepared(ctx, tx, `
INSERT INTO outbox (key, unit_id, task_id, kind, title, body) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (key) DO NOTHING`, n.Key, n.UnitID, n.TaskID, n.Kind, n.Title, n.Body)
	if err != nil {
		return false, fmt.Errorf("enqueue %s: %w", n.Key, mapError(err))
	}
	c, _ := res.RowsAffected()
	return c == 1, nil
}

// NotificationsFor lists the newest notifications of some units (or, when
// taskID is set, of that task). Each filter is its own prepared statement: one
// statement for both needed a plan made for the values in hand.
func NotificationsFor(ctx context.Context, db sqlx.ExtContext, unitIDs []int64, taskID string, limit int) ([]Notification, error) {
	const columns = `SELECT id, key, unit_id, task_id, kind, title, body, status, attempts, last_error, created_at, sent_at FROM outbox `
	var out []Notification
	var err error
	if taskID != "" {
		err = selectPrepared(ctx, db, &out, columns+`WHERE task_id = $1 ORDER BY id DESC LIMIT $2`, taskID, limit)
	} else {
		err = selectPrepared(ctx, db, &out, columns+`WHERE unit_id = ANY($1) ORDER BY id DESC LIMIT $2`, pq.Array(unitIDs), limit)
	}
	if err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	return out, nil
}

// LedgerEntry is one score change in the annual assessment.
type LedgerEntry struct {
	Key        string  `db:"key"`
	CampaignID *string `db:"campaign_id"`
	Year       int     `db:"year"`
	UnitID     int64   `db:"unit_id"`
	Points     float64 `db:"points"`
	Reason     string  `db:"reason"`
	Process    string  `db:"process"`
	Rung       *int    `db:"rung"`
	// CreatedAt is when it was recorded, in its campaign's time (zero: now).
	CreatedAt time.Time `db:"created_at"`
}

// AddLedgerEntry appends to the score ledger once per key.
func AddLedgerEntry(ctx context.Context, tx sqlx.ExtContext, e LedgerEntry) (bool, error) {
	if e.CreatedAt.IsZero() {
		e.CreatedAt = time.Now()
	}
	res, err := sqlx.NamedExecContext(ctx, tx, `
INSERT INTO score_ledger (key, campaign_id, year, unit_id, points, reason, process, rung, created_at)
VALUES (:key, :campaign_id, :year, :unit_id, :points, :reason, :process, :rung, :created_at) ON CONFLICT (key) DO NOTHING`, e)
	if err != nil {
		return false, fmt.Errorf("ledger %s: %w", e.Key, mapError(err))
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Notice is a public notice (通报).
type Notice struct {
	Key          string  `db:"key"`
	IssuerUnitID int64   `db:"issuer_unit_id"`
	UnitIDs      []int64 `db:"-"`
	Reason       string  `db:"reason"`
	SubjectType  string  `db:"subject_type"`
	SubjectID    string  `db:"subject_id"`
	// IssuedBy is the person key of a notice issued by hand; empty for the engine.
	IssuedBy string `db:"issued_by"`
	// At is when it was issued, in its campaign's time (zero: now).
	At time.Time `db:"-"`
}

// AddNotice publishes a notice once per key, and answers its id and whether
// this call published it (false: a notice with the key exists).
func AddNotice(ctx context.Context, tx sqlx.ExtContext, n Notice) (int64, bool, error) {
	if n.At.IsZero() {
		n.At = time.Now()
	}
	var id int64
	err := sqlx.GetContext(ctx, tx, &id, `
INSERT INTO notices (key, issuer_unit_id, unit_ids, reason, subject_type, subject_id, issued_by, created_at)
VALUES ($1, $2, $3, $4, $5, $6, COALESCE(NULLIF($7, ''), 'engine'), $8)
ON CONFLICT (key) DO NOTHING RETURNING id`, n.Key, n.IssuerUnitID, pq.Array(n.UnitIDs), n.Reason, n.SubjectType, n.SubjectID, n.IssuedBy, n.At)
	if err == nil {
		return id, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, false, fmt.Errorf("notice %s: %w", n.Key, mapError(err))
	}
	if err := sqlx.GetContext(ctx, tx, &id, `SELECT id FROM notices WHERE key = $1`, n.Key); err != nil {
		return 0, false, fmt.Errorf("notice %s: %w", n.Key, mapError(err))
	}
	return id, false, nil
}

// AddLetter records a supervision letter (督办函) once per key.
func AddLetter(ctx context.Context, tx sqlx.ExtContext, key string, issuerUnitID, unitID int64, body, subjectType, subjectID string) (bool, error) {
	res, err := tx.ExecContext(ctx, `
INSERT INTO supervision_letters (key, issuer_unit_id, unit_id, body, subject_type, subject_id) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (key) DO NOTHING`, key, issuerUnitID, unitID, body, subjectType, subjectID)
	if err != nil {
		return false, fmt.Errorf("letter %s: %w", key, mapError(err))
	}
	c, _ := res.RowsAffected()
	return c == 1, nil
}
