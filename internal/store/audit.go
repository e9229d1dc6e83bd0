package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/internal/domain"
)

// Event is one state change for the audit log.
type Event struct {
	// Key makes the append idempotent: a second append with the same key writes nothing.
	Key         string
	At          time.Time
	Actor       string // a person key, or "engine"
	Action      string // e.g. task.created, task.completed, rung.fired, points.deducted
	SubjectType string
	SubjectID   string
	TaskID      string
	UnitID      int64
	Before      any
	After       any
}

// ActorEngine is the actor of what the engine does by itself.
const ActorEngine = domain.ActorEngine

// AuditEntry is a stored audit row.
type AuditEntry struct {
	Seq         int64     `db:"seq" json:"seq"`
	Key         *string   `db:"key" json:"-"`
	At          time.Time `db:"at" json:"at"`
	Actor       string    `db:"actor" json:"actor"`
	Action      string    `db:"action" json:"action"`
	SubjectType string    `db:"subject_type" json:"subject_type"`
	SubjectID   string    `db:"subject_id" json:"subject_id"`
	TaskID      *string   `db:"task_id" json:"task_id,omitempty"`
	UnitID      *int64    `db:"unit_id" json:"unit_id,omitempty"`
	Before      JSON      `db:"before" json:"before,omitempty"`
	After       JSON      `db:"after" json:"after,omitempty"`
	PrevHash    []byte    `db:"prev_hash" json:"-"`
	Hash        []byte    `db:"hash" json:"-"`
}

// auditLock serialises appends so the hash chain stays a single line.
const auditLock = 7_161_616_001

// Append writes one audit row chained to the last; it must run inside the
// transaction of the change it records. It returns false when the key was
// already recorded (a retried activity), and then writes nothing.
func Append(ctx context.Context, tx sqlx.ExtContext, e Event) (bool, error) {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, auditLock); err != nil {
		return false, fmt.Errorf("audit lock: %w", err)
	}
	if e.Key != "" {
		var n int
		if err := sqlx.GetContext(ctx, tx, &n, `SELECT count(*) FROM audit_log WHERE key = $1`, e.Key); err != nil {
			return false, fmt.Errorf("audit key: %w", err)
		}
		if n > 0 {
			return false, nil
		}
	}
	var last struct {
		Seq  int64  `db:"seq"`
		Hash []byte `db:"hash"`
	}
	err := sqlx.GetContext(ctx, tx, &last, `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("audit head: %w", err)
	}
	if last.Hash == nil {
		last.Hash = make([]byte, 32)
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	row := AuditEntry{
		Seq: last.Seq + 1, At: e.At.UTC().Truncate(time.Microsecond), Actor: e.Actor, Action: e.Action,
		SubjectType: e.SubjectType, SubjectID: e.SubjectID, PrevHash: last.Hash,
	}
	if e.Key != "" {
		row.Key = &e.Key
	}
	if e.TaskID != "" {
		row.TaskID = &e.TaskID
	}
	if e.UnitID != 0 {
		row.UnitID = &e.UnitID
	}
	if row.Before, err = jsonOrNil(e.Before); err != nil {
		return false, err
	}
	if row.After, err = jsonOrNil(e.After); err != nil {
		return false, err
	}
	row.Hash = row.computeHash()
	_, err = tx.ExecContext(ctx, `
INSERT INTO audit_log (seq, key, at, actor, action, subject_type, subject_id, task_id, unit_id, before, after, prev_hash, hash)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		row.Seq, row.Key, row.At, row.Actor, row.Action, row.SubjectType, row.SubjectID, row.TaskID, row.UnitID,
		nullJSON(row.Before), nullJSON(row.After), row.PrevHash, row.Hash)
	if err != nil {
		return false, fmt.Errorf("audit append: %w", mapError(err))
	}
	return true, nil
}

func jsonOrNil(v any) (JSON, error) {
	if v == nil {
		return nil, nil
	}
	if raw, ok := v.(json.RawMessage); ok {
		return JSON(raw), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("audit json: %w", err)
	}
	return b, nil
}

func nullJSON(b JSON) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// computeHash is SHA-256 over the previous hash and every field, each length-prefixed.
func (r AuditEntry) computeHash() []byte {
	h := sha256.New()
	field := func(b []byte) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	str := func(p *string) []byte {
		if p == nil {
			return []byte{0xff}
		}
		return []byte(*p)
	}
	field(r.PrevHash)
	field([]byte(fmt.Sprint(r.Seq)))
	field(str(r.Key))
	field([]byte(r.At.UTC().Format(time.RFC3339Nano)))
	field([]byte(r.Actor))
	field([]byte(r.Action))
	field([]byte(r.SubjectType))
	field([]byte(r.SubjectID))
	field(str(r.TaskID))
	if r.UnitID == nil {
		field([]byte{0xff})
	} else {
		field([]byte(fmt.Sprint(*r.UnitID)))
	}
	field(r.Before)
	field(r.After)
	return h.Sum(nil)
}

// VerifyResult says how far the chain holds.
type VerifyResult struct {
	Rows    int64
	Broken  bool
	BadSeq  int64
	Problem string
}

// VerifyAudit walks the whole log in order and recomputes every hash: an
// edited row breaks its own hash, a deleted one breaks the sequence and the chain.
func VerifyAudit(ctx context.Context, db *sqlx.DB) (VerifyResult, error) {
	rows, err := db.QueryxContext(ctx, `
SELECT seq, key, at, actor, action, subject_type, subject_id, task_id, unit_id, before::text AS before, after::text AS after, prev_hash, hash
FROM audit_log ORDER BY seq`)
	if err != nil {
		return VerifyResult{}, fmt.Errorf("read audit log: %w", err)
	}
	defer rows.Close()
	var res VerifyResult
	prev := make([]byte, 32)
	var want int64 = 1
	for rows.Next() {
		var r struct {
			AuditEntry
			Before *string `db:"before"`
			After  *string `db:"after"`
		}
		if err := rows.StructScan(&r); err != nil {
			return res, fmt.Errorf("read audit row: %w", err)
		}
		e := r.AuditEntry
		if r.Before != nil {
			e.Before = JSON(*r.Before)
		}
		if r.After != nil {
			e.After = JSON(*r.After)
		}
		res.Rows++
		fail := func(problem string) (VerifyResult, error) {
			res.Broken, res.BadSeq, res.Problem = true, e.Seq, problem
			return res, nil
		}
		switch {
		case e.Seq != want:
			return fail(fmt.Sprintf("row %d is missing (found %d next)", want, e.Seq))
		case !bytes.Equal(e.PrevHash, prev):
			return fail("its previous hash does not match the row before")
		case !bytes.Equal(e.computeHash(), e.Hash):
			return fail("its content does not match its hash (edited)")
		}
		prev, want = e.Hash, want+1
	}
	return res, rows.Err()
}

// AuditFor lists the audit rows of a task or its subject, oldest first.
func AuditFor(ctx context.Context, db sqlx.ExtContext, taskID, subjectType, subjectID string) ([]AuditEntry, error) {
	var out []AuditEntry
	err := sqlx.SelectContext(ctx, db, &out, `
SELECT seq, key, at, actor, action, subject_type, subject_id, task_id, unit_id, before, after, prev_hash, hash
FROM audit_log WHERE task_id = $1 OR (subject_type = $2 AND subject_id = $3) ORDER BY seq`, taskID, subjectType, subjectID)
	if err != nil {
		return nil, fmt.Errorf("audit of task %s: %w", taskID, err)
	}
	return out, nil
}
