package devenv

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"
)

// KeptVisibilityIndexes are the indexes of Temporal's SQLite visibility
// table that the embedded server keeps: those its Web UI, the CLI and the
// server's own system workflows list by (all, by id, type, status, task
// queue, parent and root, schedules, the namespace division), and every
// custom Keyword and Int slot, where zeren's search attributes live
// (internal/namespace). Temporal's schema has 58; each write of a visibility
// record — the start, the close and every search-attribute update of every
// process — rewrites an entry in each, and that was 28 % of the server's CPU
// under completions. A list by any other column still answers, by scanning
// the table instead.
var KeptVisibilityIndexes = []string{
	"default_idx", "by_execution_time", "by_workflow_id", "by_workflow_type", "by_status", "by_task_queue",
	"by_parent_workflow_id", "by_root_workflow_id",
	"by_temporal_scheduled_by_id", "by_temporal_schedule_paused", "by_temporal_namespace_division",
	"by_int_01", "by_int_02", "by_int_03",
	"by_keyword_01", "by_keyword_02", "by_keyword_03", "by_keyword_04", "by_keyword_05",
	"by_keyword_06", "by_keyword_07", "by_keyword_08", "by_keyword_09", "by_keyword_10",
}

// trimVisibilityIndexes drops the visibility table's other indexes from the
// embedded server's SQLite database (dsn, as the server opened it). It is
// idempotent, so it runs on every start; it waits out the server's own
// writes (a shared in-memory database answers "locked" at once rather than
// waiting as a file does).
func trimVisibilityIndexes(ctx context.Context, dsn string) error {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	names, err := visibilityIndexes(ctx, db)
	if err != nil {
		return err
	}
	for _, n := range names {
		if slices.Contains(KeptVisibilityIndexes, n) {
			continue
		}
		// Names come from the database's own catalogue and are plain identifiers.
		if err := retryLocked(ctx, func() error {
			_, err := db.ExecContext(ctx, `DROP INDEX IF EXISTS "`+n+`"`)
			return err
		}); err != nil {
			return fmt.Errorf("drop visibility index %s: %w", n, err)
		}
	}
	return nil
}

// VisibilityIndexes answers the names of the indexes of the server's
// visibility table, sorted.
func (t *Temporal) VisibilityIndexes(ctx context.Context) ([]string, error) {
	db, err := sql.Open("sqlite", t.dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return visibilityIndexes(ctx, db)
}

func visibilityIndexes(ctx context.Context, db *sql.DB) ([]string, error) {
	var names []string
	err := retryLocked(ctx, func() error {
		names = names[:0]
		rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'executions_visibility' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				return err
			}
			names = append(names, n)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("visibility indexes: %w", err)
	}
	return names, nil
}

// retryLocked runs op until SQLite stops answering that the database is busy
// or locked, or ctx ends.
func retryLocked(ctx context.Context, op func() error) error {
	for {
		err := op()
		var coded interface{ Code() int }
		if err == nil || !errors.As(err, &coded) || (coded.Code()&0xff != 5 && coded.Code()&0xff != 6) { // SQLITE_BUSY, SQLITE_LOCKED
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (%w)", err, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// sqliteDSN is a data source name for the database the server's SQLite
// plugin opens from its configured name and connection attributes: the same
// file, or the same shared in-memory database (by name), with the file's
// busy timeout.
func sqliteDSN(name string, attrs map[string]string) string {
	q := url.Values{}
	for k, v := range attrs {
		switch k {
		case "mode", "cache":
			q.Set(k, v)
		case "busy_timeout":
			q.Add("_pragma", k+"="+v)
		}
	}
	return "file:" + name + "?" + q.Encode()
}
