package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/json"
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
	Seq         int64     `db:"seq" json:"seq"` // the log's order (may have gaps)
	Chain       int       `db:"chain" json:"-"` // the hash chain the row belongs to (see AuditChains)
	Link        int64     `db:"link" json:"-"`  // its place in that chain: 1, 2, 3, … without gaps
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

// AuditChains is how many chains the rows of units are spread over. The log
// is many hash chains, each with its own lock, so that writers of different
// units do not wait for one another: a unit's rows go to chain
// 1 + id mod AuditChains, rows without a unit to chain 0 (which also holds
// every row written while the log was a single chain). A transaction's rows
// all go to the chain of its first row, so it holds one chain lock at most and
// two transactions cannot deadlock on them.
const AuditChains = 64

// auditLockClass is the first key of a chain's advisory lock
// (pg_advisory_xact_lock(int4, int4)); the second is the chain.
const auditLockClass = 716_161_600

// auditChainSetting pins a transaction's audit rows to one chain.
const auditChainSetting = "zeren.audit_chain"

// chainOf answers the chain of e's row when it is its transaction's first.
func chainOf(e Event) int32 {
	if e.UnitID == 0 {
		return 0
	}
	m := e.UnitID % AuditChains
	if m < 0 {
		m += AuditChains
	}
	return int32(m) + 1
}

// Append writes one audit row linked to the head of its chain; it must run
// inside the (read committed) transaction of the change it records, and holds
// the chain's lock until that transaction ends. It returns false when the key
// was already recorded (a retried activity), and then writes nothing.
func Append(ctx context.Context, tx sqlx.ExtContext, e Event) (bool, error) {
	// Lock the chain: the transaction's chain if an earlier append chose one.
	var lock struct {
		Chain  int32  `db:"chain"`
		Pinned string `db:"pinned"`
		Locked string `db:"locked"`
	}
	err := getPrepared(ctx, tx, &lock, `
WITH c AS (SELECT coalesce(nullif(current_setting($1, true), '')::int, $2) AS chain)
SELECT chain, set_config($1, chain::text, true) AS pinned, pg_advisory_xact_lock($3, chain)::text AS locked FROM c`,
		auditChainSetting, chainOf(e), auditLockClass)
	if err != nil {
		return false, fmt.Errorf("audit lock: %w", err)
	}
	// A new statement, so a new snapshot: it sees the head the lock's last holder committed.
	var head struct {
		Seq  int64         `db:"seq"`
		Seen bool          `db:"seen"`
		Link sql.NullInt64 `db:"link"`
		Hash []byte        `db:"hash"`
	}
	err = getPrepared(ctx, tx, &head, `
SELECT nextval('audit_log_seq') AS seq, ($2 <> '' AND EXISTS (SELECT 1 FROM audit_log WHERE key = $2)) AS seen, h.link, h.hash
FROM (VALUES (1)) one LEFT JOIN LATERAL (SELECT link, hash FROM audit_log WHERE chain = $1 ORDER BY link DESC LIMIT 1) h ON true`,
		lock.Chain, e.Key)
	if err != nil {
		return false, fmt.Errorf("audit head: %w", err)
	}
	if head.Seen {
		return false, nil
	}
	if head.Hash == nil {
		head.Hash = make([]byte, 32)
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	row := AuditEntry{
		Seq: head.Seq, Chain: int(lock.Chain), Link: head.Link.Int64 + 1,
		At: domain.Stored(e.At.UTC()), Actor: e.Actor, Action: e.Action,
		SubjectType: e.SubjectType, SubjectID: e.SubjectID, PrevHash: head.Hash,
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
	// The same key appended at once in another chain: whichever commits first
	// wins, and this append writes nothing (ON CONFLICT waits for the other).
	res, err := execPrepared(ctx, tx, `
INSERT INTO audit_log (seq, chain, link, key, at, actor, action, subject_type, subject_id, task_id, unit_id, before, after, prev_hash, hash)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
ON CONFLICT (key) DO NOTHING`,
		row.Seq, row.Chain, row.Link, row.Key, row.At, row.Actor, row.Action, row.SubjectType, row.SubjectID, row.TaskID, row.UnitID,
		nullJSON(row.Before), nullJSON(row.After), row.PrevHash, row.Hash)
	if err != nil {
		return false, fmt.Errorf("audit append: %w", mapError(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("audit append: %w", err)
	}
	return n == 1, nil
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

// computeHash is SHA-256 over the previous hash and every field, each
// length-prefixed: the link (the row's place in its chain), the key, time,
// actor, action, subject, task, unit, before and after, then the chain and
// seq. A row of chain 0 whose seq is its link leaves the last two out: that is
// how the single chain hashed its rows (its seq was the place), so they still
// verify; the field count tells the two forms apart.
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
	field([]byte(fmt.Sprint(r.Link)))
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
	if r.Chain != 0 || r.Seq != r.Link {
		field([]byte(fmt.Sprint(r.Chain)))
		field([]byte(fmt.Sprint(r.Seq)))
	}
	return h.Sum(nil)
}

// VerifyResult says how far the chains hold.
type VerifyResult struct {
	Rows   int64 // rows read, in every chain
	Chains int   // chains read
	Broken bool
	// BadSeq and Problem name the first broken row of the log (the smallest
	// seq among Breaks); Breaks has the first broken row of every broken
	// chain, by chain.
	BadSeq  int64
	Problem string
	Breaks  []ChainBreak
}

// ChainBreak is the first row at which one chain does not hold.
type ChainBreak struct {
	Chain   int
	Link    int64 // the row's place in the chain (where a row is missing: the missing one's)
	Seq     int64 // the seq of the row read at that place
	Problem string
}

// String names the chain, the row and what is wrong with it.
func (b ChainBreak) String() string {
	return fmt.Sprintf("chain %d, row %d (seq %d): %s", b.Chain, b.Link, b.Seq, b.Problem)
}

// VerifyAudit walks every chain in order and recomputes every hash: an edited
// row breaks its own hash, a re-hashed one the link of the row after it, and a
// deleted one the numbering of its chain's places. A chain is read to its end
// after its first break, so Rows counts every row.
func VerifyAudit(ctx context.Context, db *sqlx.DB) (VerifyResult, error) {
	rows, err := db.QueryxContext(ctx, `
SELECT seq, chain, link, key, at, actor, action, subject_type, subject_id, task_id, unit_id,
       before::text AS before, after::text AS after, prev_hash, hash
FROM audit_log ORDER BY chain, link`)
	if err != nil {
		return VerifyResult{}, fmt.Errorf("read audit log: %w", err)
	}
	defer rows.Close()
	var res VerifyResult
	var (
		chain  = -1
		prev   []byte
		want   int64
		broken bool
	)
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
		if e.Chain != chain {
			chain, prev, want, broken = e.Chain, make([]byte, 32), 1, false
			res.Chains++
		}
		if broken {
			continue
		}
		problem := ""
		switch {
		case e.Link != want:
			problem = fmt.Sprintf("row %d is missing (found row %d next)", want, e.Link)
		case !bytes.Equal(e.PrevHash, prev):
			problem = "its previous hash does not match the row before"
		case !bytes.Equal(e.computeHash(), e.Hash):
			problem = "its content does not match its hash (edited)"
		}
		if problem != "" {
			broken = true
			b := ChainBreak{Chain: e.Chain, Link: want, Seq: e.Seq, Problem: problem}
			res.Breaks = append(res.Breaks, b)
			if !res.Broken || e.Seq < res.BadSeq {
				res.Broken, res.BadSeq, res.Problem = true, e.Seq, b.String()
			}
			continue
		}
		prev, want = e.Hash, want+1
	}
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("read audit log: %w", err)
	}
	return res, nil
}

// AuditFor lists the audit rows of a task or its subject, oldest first.
func AuditFor(ctx context.Context, db sqlx.ExtContext, taskID, subjectType, subjectID string) ([]AuditEntry, error) {
	var out []AuditEntry
	err := sqlx.SelectContext(ctx, db, &out, `
SELECT seq, chain, link, key, at, actor, action, subject_type, subject_id, task_id, unit_id, before, after, prev_hash, hash
FROM audit_log WHERE task_id = $1 OR (subject_type = $2 AND subject_id = $3) ORDER BY seq`, taskID, subjectType, subjectID)
	if err != nil {
		return nil, fmt.Errorf("audit of task %s: %w", taskID, err)
	}
	return out, nil
}
