package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// Audited says whether an audit row with the key exists: a step an earlier
// try recorded.
func Audited(ctx context.Context, db sqlx.ExtContext, key string) (bool, error) {
	var n int
	if err := getPrepared(ctx, db, &n, `SELECT count(*) FROM audit_log WHERE key = $1`, key); err != nil {
		return false, fmt.Errorf("audit key %s: %w", key, err)
	}
	return n > 0, nil
}
