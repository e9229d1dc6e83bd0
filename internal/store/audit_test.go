package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"

	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

func appendEvents(t *testing.T, s *store.Store, n int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		err := s.InTx(ctx, func(tx *sqlx.Tx) error {
			_, err := store.Append(ctx, tx, store.Event{Key: fmt.Sprint("k", i), At: time.Now(), Actor: "tester", Action: "task.created",
				SubjectType: "assignment", SubjectID: fmt.Sprint(i), TaskID: fmt.Sprint("t", i), After: map[string]any{"n": i, "名称": "督办"}})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// The chain verifies; an edited row, a deleted row or a re-hashed row is detected.
func TestAuditVerifyDetectsTampering(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		tamper  string
		wantBad int64
	}{
		{"intact", "", 0},
		{"edited row", `UPDATE audit_log SET actor = 'someone-else' WHERE seq = 3`, 3},
		{"edited detail", `UPDATE audit_log SET after = '{"n": 99}' WHERE seq = 2`, 2},
		{"deleted row", `DELETE FROM audit_log WHERE seq = 4`, 5},
		{"rehashed row", `UPDATE audit_log SET hash = sha256('x') WHERE seq = 1`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testdb.New(t)
			appendEvents(t, s, 6)
			if tt.tamper != "" {
				tamper(t, s, tt.tamper)
			}
			res, err := store.VerifyAudit(ctx, s.DB)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantBad == 0 {
				if res.Broken || res.Rows != 6 {
					t.Fatalf("intact log reported %+v", res)
				}
				return
			}
			if !res.Broken || res.BadSeq != tt.wantBad {
				t.Fatalf("got %+v, want broken at %d", res, tt.wantBad)
			}
		})
	}
}

// tamper runs stmt on the audit log as an attacker with the owner's rights
// would: append-only is enforced by a trigger, which the owner can disable.
func tamper(t *testing.T, s *store.Store, stmt string, args ...any) {
	t.Helper()
	if _, err := s.DB.Exec(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB.Exec(stmt, args...); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
	if _, err := s.DB.Exec(`ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only`); err != nil {
		t.Fatal(err)
	}
}

func TestAuditIsAppendOnlyAndIdempotent(t *testing.T) {
	s := testdb.New(t)
	appendEvents(t, s, 2)
	appendEvents(t, s, 2) // same keys: a retried activity
	var n int
	if err := s.DB.Get(&n, `SELECT count(*) FROM audit_log`); err != nil || n != 2 {
		t.Fatalf("rows %d (%v), want 2", n, err)
	}
	if _, err := s.DB.Exec(`UPDATE audit_log SET actor = 'x'`); err == nil {
		t.Fatal("an update of the audit log went through")
	}
	if _, err := s.DB.Exec(`DELETE FROM audit_log`); err == nil {
		t.Fatal("a delete from the audit log went through")
	}
}

// chainOf is the chain of a transaction's first row for unit (0: none), as
// store.AuditChains documents it.
func chainOf(unit int64) int {
	if unit == 0 {
		return 0
	}
	return 1 + int(unit%store.AuditChains)
}

// appendOne appends one keyed event for unit in its own transaction.
func appendOne(t *testing.T, s *store.Store, key string, unit int64) {
	t.Helper()
	ctx := context.Background()
	err := s.InTx(ctx, func(tx *sqlx.Tx) error {
		added, err := store.Append(ctx, tx, store.Event{Key: key, Actor: "tester", Action: "task.completed",
			SubjectType: "task", SubjectID: key, TaskID: "t-" + key, UnitID: unit,
			Before: map[string]any{"status": "open"}, After: map[string]any{"status": "completed", "意见": "已整改"}})
		if err == nil && !added {
			err = fmt.Errorf("append %s: not added", key)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// auditRow is every hashed column of an audit row, as the test reads it.
type auditRow struct {
	Seq         int64     `db:"seq"`
	Chain       int       `db:"chain"`
	Link        int64     `db:"link"`
	Key         *string   `db:"key"`
	At          time.Time `db:"at"`
	Actor       string    `db:"actor"`
	Action      string    `db:"action"`
	SubjectType string    `db:"subject_type"`
	SubjectID   string    `db:"subject_id"`
	TaskID      *string   `db:"task_id"`
	UnitID      *int64    `db:"unit_id"`
	Before      *string   `db:"before"`
	After       *string   `db:"after"`
	PrevHash    []byte    `db:"prev_hash"`
	Hash        []byte    `db:"hash"`
}

func readRow(t *testing.T, s *store.Store, chain int, link int64) auditRow {
	t.Helper()
	var r auditRow
	err := s.DB.QueryRowx(`
SELECT seq, chain, link, key, at, actor, action, subject_type, subject_id, task_id, unit_id,
       before::text AS before, after::text AS after, prev_hash, hash
FROM audit_log WHERE chain = $1 AND link = $2`, chain, link).Scan(&r.Seq, &r.Chain, &r.Link, &r.Key, &r.At, &r.Actor, &r.Action,
		&r.SubjectType, &r.SubjectID, &r.TaskID, &r.UnitID, &r.Before, &r.After, &r.PrevHash, &r.Hash)
	if err != nil {
		t.Fatalf("row %d of chain %d: %v", link, chain, err)
	}
	return r
}

// hashFields is SHA-256 over length-prefixed fields, as the audit log hashes.
func hashFields(fields ...[]byte) []byte {
	h := sha256.New()
	for _, f := range fields {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write(f)
	}
	return h.Sum(nil)
}

// content is the hashed fields after the previous hash and the place.
func (r auditRow) content() [][]byte {
	str := func(p *string) []byte {
		if p == nil {
			return []byte{0xff}
		}
		return []byte(*p)
	}
	unit := []byte{0xff}
	if r.UnitID != nil {
		unit = []byte(fmt.Sprint(*r.UnitID))
	}
	raw := func(p *string) []byte {
		if p == nil {
			return nil
		}
		return []byte(*p)
	}
	return [][]byte{str(r.Key), []byte(r.At.UTC().Format(time.RFC3339Nano)), []byte(r.Actor), []byte(r.Action),
		[]byte(r.SubjectType), []byte(r.SubjectID), str(r.TaskID), unit, raw(r.Before), raw(r.After)}
}

// legacyHash is how the single chain hashed a row: its seq was its place.
func (r auditRow) legacyHash() []byte {
	return hashFields(slices.Concat([][]byte{r.PrevHash, []byte(fmt.Sprint(r.Seq))}, r.content())...)
}

// chainHash is how a chained row is hashed: the place in its chain first,
// the chain and seq last (left out for a row of chain 0 whose seq is its place).
func (r auditRow) chainHash() []byte {
	fields := slices.Concat([][]byte{r.PrevHash, []byte(fmt.Sprint(r.Link))}, r.content())
	if r.Chain != 0 || r.Seq != r.Link {
		fields = append(fields, []byte(fmt.Sprint(r.Chain)), []byte(fmt.Sprint(r.Seq)))
	}
	return hashFields(fields...)
}

// Each chain is verified on its own: tampering in one chain names that
// chain's first broken row, whatever the other chains hold, and tampering in
// several chains names the first broken row of each.
func TestAuditVerifyDetectsTamperingInEachChain(t *testing.T) {
	ctx := context.Background()
	// Units 1…4 are chains 2…5; chain 0 holds the rows without a unit. Four
	// rounds, one row per chain each, so seqs interleave across chains.
	units := []int64{0, 1, 2, 3, 4}
	type want struct {
		chain int
		link  int64 // the place the broken row should have
		from  int64 // the place of the row reported broken
	}
	type tampering struct {
		name string
		do   func(t *testing.T, s *store.Store)
		want []want
	}
	edit := tampering{"edited", func(t *testing.T, s *store.Store) {
		tamper(t, s, `UPDATE audit_log SET actor = 'someone-else' WHERE chain = 2 AND link = 2`)
	}, []want{{2, 2, 2}}}
	editDetail := tampering{"edited detail", func(t *testing.T, s *store.Store) {
		tamper(t, s, `UPDATE audit_log SET after = '{"status": "open"}' WHERE chain = 3 AND link = 3`)
	}, []want{{3, 3, 3}}}
	deleted := tampering{"deleted", func(t *testing.T, s *store.Store) {
		tamper(t, s, `DELETE FROM audit_log WHERE chain = 3 AND link = 2`)
	}, []want{{3, 2, 3}}}
	deletedFirst := tampering{"deleted first", func(t *testing.T, s *store.Store) {
		tamper(t, s, `DELETE FROM audit_log WHERE chain = 0 AND link = 1`)
	}, []want{{0, 1, 2}}}
	rehashed := tampering{"re-hashed", func(t *testing.T, s *store.Store) {
		tamper(t, s, `UPDATE audit_log SET hash = sha256('x') WHERE chain = 4 AND link = 1`)
	}, []want{{4, 1, 1}}}
	// Edited, then re-hashed properly: the row itself holds, the next one's link does not.
	rehashedAfterEdit := tampering{"edited and re-hashed", func(t *testing.T, s *store.Store) {
		r := readRow(t, s, 5, 2)
		r.Actor = "someone-else"
		tamper(t, s, `UPDATE audit_log SET actor = $1, hash = $2 WHERE chain = 5 AND link = 2`, r.Actor, r.chainHash())
	}, []want{{5, 3, 3}}}
	all := []tampering{edit, deleted, rehashed, rehashedAfterEdit, deletedFirst}
	tests := []tampering{{"intact", func(*testing.T, *store.Store) {}, nil}, edit, editDetail, deleted, deletedFirst, rehashed, rehashedAfterEdit,
		{"every chain at once", func(t *testing.T, s *store.Store) {
			for _, tt := range all {
				tt.do(t, s)
			}
		}, []want{{0, 1, 2}, {2, 2, 2}, {3, 2, 3}, {4, 1, 1}, {5, 3, 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testdb.New(t)
			for round := range 4 {
				for _, u := range units {
					appendOne(t, s, fmt.Sprintf("u%d-%d", u, round), u)
				}
			}
			seqOf := map[[2]int64]int64{}
			for _, c := range []int{0, 2, 3, 4, 5} {
				for link := int64(1); link <= 4; link++ {
					seqOf[[2]int64{int64(c), link}] = readRow(t, s, c, link).Seq
				}
			}
			tt.do(t, s)
			res, err := store.VerifyAudit(ctx, s.DB)
			if err != nil {
				t.Fatal(err)
			}
			var rows int64
			if err := s.DB.Get(&rows, `SELECT count(*) FROM audit_log`); err != nil {
				t.Fatal(err)
			}
			if res.Rows != rows || res.Chains != 5 {
				t.Errorf("read %d rows in %d chains, want %d in 5", res.Rows, res.Chains, rows)
			}
			if len(tt.want) == 0 {
				if res.Broken || len(res.Breaks) != 0 {
					t.Fatalf("intact log reported %+v", res)
				}
				return
			}
			if !res.Broken || len(res.Breaks) != len(tt.want) {
				t.Fatalf("got %+v, want %d broken chains", res, len(tt.want))
			}
			first := int64(-1)
			for i, w := range tt.want {
				b := res.Breaks[i]
				seq := seqOf[[2]int64{int64(w.chain), w.from}]
				if b.Chain != w.chain || b.Link != w.link || b.Seq != seq || b.Problem == "" {
					t.Errorf("break %d: %+v, want chain %d broken at row %d (seq %d)", i, b, w.chain, w.link, seq)
				}
				if first < 0 || seq < first {
					first = seq
				}
			}
			if res.BadSeq != first {
				t.Errorf("first broken row %d, want %d", res.BadSeq, first)
			}
		})
	}
}

// Rows written while the log was one chain verify after the migration that
// splits it, chain 0 goes on from the last of them, and tampering with them
// is still detected.
func TestAuditSingleChainRowsVerifyAfterSplit(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(ctx, testdb.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, s.DB.DB, os.DirFS("migrations"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 9); err != nil { // the schema before the split
		t.Fatal(err)
	}
	prev := make([]byte, 32)
	at := time.Date(2021, 3, 4, 5, 6, 7, 891_011_000, time.UTC)
	for seq := int64(1); seq <= 5; seq++ {
		key, task, after := fmt.Sprint("old-", seq), fmt.Sprint("t", seq), fmt.Sprintf(`{"n": %d, "名称": "督办"}`, seq)
		unit := seq // every row of the single chain carried its unit
		r := auditRow{Seq: seq, Link: seq, Key: &key, At: at.Add(time.Duration(seq) * time.Minute), Actor: "engine", Action: "task.created",
			SubjectType: "assignment", SubjectID: fmt.Sprint(seq), TaskID: &task, UnitID: &unit, After: &after, PrevHash: prev}
		r.Hash = r.legacyHash()
		if _, err := s.DB.Exec(`
INSERT INTO audit_log (seq, key, at, actor, action, subject_type, subject_id, task_id, unit_id, before, after, prev_hash, hash)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, $10, $11, $12)`,
			r.Seq, r.Key, r.At, r.Actor, r.Action, r.SubjectType, r.SubjectID, r.TaskID, r.UnitID, after, r.PrevHash, r.Hash); err != nil {
			t.Fatal(err)
		}
		prev = r.Hash
	}
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := store.VerifyAudit(ctx, s.DB)
	if err != nil || res.Broken || res.Rows != 5 || res.Chains != 1 {
		t.Fatalf("single chain after the split: %+v %v", res, err)
	}

	appendOne(t, s, "new-none", 0)
	appendOne(t, s, "new-unit", 7)
	appendOne(t, s, "new-none-2", 0)
	res, err = store.VerifyAudit(ctx, s.DB)
	if err != nil || res.Broken || res.Rows != 8 || res.Chains != 2 {
		t.Fatalf("after new appends: %+v %v", res, err)
	}
	next := readRow(t, s, 0, 6)
	if *next.Key != "new-none" || !slices.Equal(next.PrevHash, prev) || next.Seq != 6 {
		t.Errorf("chain 0 goes on with %+v, want new-none at seq 6 linked to the last single-chain row", next)
	}
	if r := readRow(t, s, chainOf(7), 1); *r.Key != "new-unit" || r.Seq != 7 {
		t.Errorf("unit 7's first row: %+v", r)
	}
	if r := readRow(t, s, 0, 7); *r.Key != "new-none-2" || r.Seq != 8 {
		t.Errorf("chain 0's next row: %+v (seq %d, place 7: hashed with chain and seq)", r, r.Seq)
	}

	tamper(t, s, `UPDATE audit_log SET after = '{"n": 99}' WHERE seq = 3`)
	res, err = store.VerifyAudit(ctx, s.DB)
	if err != nil || !res.Broken || res.BadSeq != 3 || len(res.Breaks) != 1 || res.Breaks[0].Chain != 0 {
		t.Fatalf("edited single-chain row: %+v %v", res, err)
	}
}

// Many writers at once, of different units, of units sharing a chain, of no
// unit, some transactions with rows of two units in either order, and all
// racing for the same keys: every append either writes or says the key is
// taken, no transaction deadlocks, each key is written once, a transaction's
// rows share one chain, and every chain verifies.
func TestAuditConcurrentAppendsKeepChainsValid(t *testing.T) {
	ctx := context.Background()
	s := testdb.New(t)
	const writers, rounds = 16, 15
	// Units 1 and 65 share chain 2; 0 is no unit (chain 0).
	units := []int64{0, 1, 2, 3, 65, 100, 200, 300}
	var (
		mu      sync.Mutex
		written = map[string]int{} // key → appends that answered true
		pairs   [][2]string        // keys written in one transaction
	)
	errs := make(chan error, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				a, b := units[(w+i)%len(units)], units[(w+i+3)%len(units)]
				if w%2 == 1 {
					a, b = b, a
				}
				keys := []string{fmt.Sprintf("w%d-%d-a", w, i), fmt.Sprintf("w%d-%d-b", w, i), fmt.Sprint("shared-", i)}
				added := make([]bool, len(keys))
				err := s.InTx(ctx, func(tx *sqlx.Tx) error {
					for j, ev := range []store.Event{
						{Key: keys[0], Actor: "tester", Action: "task.completed", SubjectType: "task", SubjectID: keys[0], UnitID: a},
						{Key: keys[1], Actor: "tester", Action: "task.completed", SubjectType: "task", SubjectID: keys[1], UnitID: b},
						// Last, so a transaction waits on no other while holding a contested key.
						{Key: keys[2], Actor: "tester", Action: "rung.fired", SubjectType: "task", SubjectID: keys[2], UnitID: b},
					} {
						if w%3 == 0 && j == 1 {
							continue // some transactions write one row of their own
						}
						ok, err := store.Append(ctx, tx, ev)
						if err != nil {
							return err
						}
						added[j] = ok
					}
					return nil
				})
				if err != nil {
					errs <- fmt.Errorf("writer %d round %d: %w", w, i, err)
					return
				}
				mu.Lock()
				for j, k := range keys {
					if added[j] {
						written[k]++
					}
				}
				if added[1] {
					pairs = append(pairs, [2]string{keys[0], keys[1]})
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}

	var total int64
	for k, n := range written {
		if n != 1 {
			t.Errorf("key %s written %d times", k, n)
		}
		total += int64(n)
	}
	for i := range rounds {
		if written[fmt.Sprint("shared-", i)] != 1 {
			t.Errorf("shared-%d written %d times, want once", i, written[fmt.Sprint("shared-", i)])
		}
	}
	for _, p := range pairs {
		var chains []int
		if err := s.DB.Select(&chains, `SELECT DISTINCT chain FROM audit_log WHERE key = ANY(ARRAY[$1, $2])`, p[0], p[1]); err != nil || len(chains) != 1 {
			t.Errorf("rows %v of one transaction in chains %v (%v)", p, chains, err)
		}
	}
	// A transaction's first row goes to its unit's chain (the pin does not outlive the transaction).
	var stray int
	if err := s.DB.Get(&stray, `
SELECT count(*) FROM audit_log WHERE key LIKE '%-a' AND chain <> CASE WHEN unit_id IS NULL THEN 0 ELSE 1 + unit_id % $1 END`,
		store.AuditChains); err != nil || stray != 0 {
		t.Errorf("%d first rows outside their unit's chain (%v)", stray, err)
	}

	res, err := store.VerifyAudit(ctx, s.DB)
	if err != nil {
		t.Fatal(err)
	}
	if res.Broken || res.Rows != total {
		t.Fatalf("after concurrent appends: %+v, want %d rows intact", res, total)
	}
	want := map[int]bool{}
	for _, u := range units {
		want[chainOf(u)] = true
	}
	if res.Chains != len(want) {
		t.Errorf("%d chains, want %d", res.Chains, len(want))
	}
}

// An append of a key that another transaction, in another chain, has written
// but not yet committed waits for it, then writes nothing: the key's append
// stays idempotent although the two chains' locks do not exclude each other.
func TestAuditAppendWaitsForTheSameKeyInAnotherChain(t *testing.T) {
	ctx := context.Background()
	s := testdb.New(t)
	ev := func(unit int64) store.Event {
		return store.Event{Key: "task.completed:t1", Actor: "tester", Action: "task.completed", SubjectType: "task", SubjectID: "t1", UnitID: unit}
	}
	first, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Rollback()
	if added, err := store.Append(ctx, first, ev(1)); err != nil || !added {
		t.Fatalf("first append: %v %v", added, err)
	}
	type result struct {
		added bool
		err   error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		r.err = s.InTx(ctx, func(tx *sqlx.Tx) error {
			var err error
			r.added, err = store.Append(ctx, tx, ev(2))
			return err
		})
		done <- r
	}()
	// The second append must wait for the first transaction's row.
	for waiting := 0; waiting == 0; {
		select {
		case r := <-done:
			t.Fatalf("second append returned %+v while the first was in flight", r)
		case <-time.After(10 * time.Millisecond):
		}
		if err := s.DB.Get(&waiting, `SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'transactionid'`); err != nil {
			t.Fatal(err)
		}
	}
	if err := first.Commit(); err != nil {
		t.Fatal(err)
	}
	if r := <-done; r.err != nil || r.added {
		t.Fatalf("second append: %+v, want nothing written and no error", r)
	}
	if n := testdb.Count(t, s.DB, `SELECT count(*) FROM audit_log WHERE key = 'task.completed:t1'`); n != 1 {
		t.Fatalf("%d rows with the key, want 1", n)
	}
	if res, err := store.VerifyAudit(ctx, s.DB); err != nil || res.Broken || res.Rows != 1 {
		t.Fatalf("audit %+v %v", res, err)
	}
}
