// Package notify delivers the outbox: reminders, notices and new tasks that
// activities queued in PostgreSQL, sent by a pluggable Sender (the log by
// default, an HTTP webhook for real), retried with backoff.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/internal/store"
)

// Message is what a sender delivers.
type Message struct {
	ID        int64     `db:"id" json:"id"`
	UnitID    int64     `db:"unit_id" json:"unit_id"`
	UnitCode  string    `db:"unit_code" json:"unit_code"`
	UnitName  string    `db:"unit_name" json:"unit_name"`
	TaskID    *string   `db:"task_id" json:"task_id,omitempty"`
	Kind      string    `db:"kind" json:"kind"`
	Title     string    `db:"title" json:"title"`
	Body      string    `db:"body" json:"body"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

// Sender delivers one message; an error means try again later.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// LogSender writes messages to the log: the default, so nothing is lost when no
// channel is configured.
type LogSender struct{ Log *slog.Logger }

// Send logs the message.
func (s LogSender) Send(ctx context.Context, m Message) error {
	s.Log.InfoContext(ctx, "notification", "id", m.ID, "unit", m.UnitCode, "kind", m.Kind, "title", m.Title)
	return nil
}

// WebhookSender POSTs each message as JSON; any 2xx is delivery.
type WebhookSender struct {
	URL    string
	Client *http.Client
}

// Send posts the message.
func (s WebhookSender) Send(ctx context.Context, m Message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", fmt.Sprintf("zeren-outbox-%d", m.ID))
	c := s.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<16))
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered %s", res.Status)
	}
	return nil
}

// Dispatcher drains the outbox.
type Dispatcher struct {
	Store  *store.Store
	Sender Sender
	Log    *slog.Logger
	// MaxAttempts before a message is marked failed; default 12 (about 2 days of backoff).
	MaxAttempts int
	// Backoff is the wait before attempt n+1; default 10s·2ⁿ capped at 6h.
	Backoff func(attempt int) time.Duration
}

func (d *Dispatcher) backoff(n int) time.Duration {
	if d.Backoff != nil {
		return d.Backoff(n)
	}
	w := 10 * time.Second << min(n, 12)
	return min(w, 6*time.Hour)
}

// Run drains the outbox every interval until ctx ends.
func (d *Dispatcher) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := d.Drain(ctx); err != nil && ctx.Err() == nil {
			d.Log.Warn("outbox", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Drain sends what is due, a batch at a time, and returns how many were delivered.
// Rows are locked with SKIP LOCKED, so several workers share the outbox.
func (d *Dispatcher) Drain(ctx context.Context) (int, error) {
	max := d.MaxAttempts
	if max == 0 {
		max = 12
	}
	sent := 0
	for {
		n, more, err := d.batch(ctx, max)
		sent += n
		if err != nil || !more {
			return sent, err
		}
	}
}

func (d *Dispatcher) batch(ctx context.Context, maxAttempts int) (int, bool, error) {
	const size = 50
	sent := 0
	var rows []struct {
		Message
		Attempts int `db:"attempts"`
	}
	err := d.Store.InTx(ctx, func(tx *sqlx.Tx) error {
		err := sqlx.SelectContext(ctx, tx, &rows, `
SELECT o.id, o.unit_id, u.code AS unit_code, u.name AS unit_name, o.task_id, o.kind, o.title, o.body, o.created_at, o.attempts
FROM outbox o JOIN units u ON u.id = o.unit_id
WHERE o.status = 'pending' AND o.next_attempt_at <= now()
ORDER BY o.next_attempt_at, o.id LIMIT $1 FOR UPDATE OF o SKIP LOCKED`, size)
		if err != nil {
			return fmt.Errorf("outbox batch: %w", err)
		}
		for _, r := range rows {
			sendCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
			serr := d.Sender.Send(sendCtx, r.Message)
			cancel()
			attempts := r.Attempts + 1
			switch {
			case serr == nil:
				_, err = tx.ExecContext(ctx, `UPDATE outbox SET status = 'sent', attempts = $2, sent_at = now(), last_error = NULL WHERE id = $1`, r.ID, attempts)
				sent++
			case attempts >= maxAttempts:
				_, err = tx.ExecContext(ctx, `UPDATE outbox SET status = 'failed', attempts = $2, last_error = $3 WHERE id = $1`, r.ID, attempts, serr.Error())
				d.Log.Error("notification failed for good", "id", r.ID, "attempts", attempts, "error", serr)
			default:
				_, err = tx.ExecContext(ctx, `UPDATE outbox SET attempts = $2, last_error = $3, next_attempt_at = now() + $4 * interval '1 millisecond' WHERE id = $1`,
					r.ID, attempts, serr.Error(), d.backoff(attempts).Milliseconds())
			}
			if err != nil {
				return fmt.Errorf("outbox %d: %w", r.ID, err)
			}
		}
		return nil
	})
	return sent, err == nil && len(rows) == size, err
}
