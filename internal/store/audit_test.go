package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

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

// The chain verifies; an edited row, a deleted row or a deleted tail is detected.
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
				// Append-only is enforced by a trigger; an attacker with the owner's rights disables it.
				if _, err := s.DB.Exec(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`); err != nil {
					t.Fatal(err)
				}
				if _, err := s.DB.Exec(tt.tamper); err != nil {
					t.Fatal(err)
				}
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
