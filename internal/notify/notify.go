// Package notify delivers the outbox: reminders, notices and new tasks that
// activities queued in PostgreSQL, sent by a pluggable Sender (the log by
// default, an HTTP webhook for real) and to the DingTalk and WeCom group
// robots of the message's unit, each at most once, retried with backoff.
package notify

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

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

// Dispatcher drains the outbox.
//
// It claims a batch of due messages in one short statement that leases them:
// their next_attempt_at moves to the end of the lease, so other dispatchers
// skip them, and the messages of a dispatcher that dies mid-batch come due
// again when the lease ends. It then sends them with no transaction open and
// no row locked, and records each result in its own statement. Delivery is at
// least once.
//
// With Channels set, each message goes to the main Sender and to every
// enabled channel of its unit (store.Channel: DingTalk and WeCom group
// robots). Each target that takes it is recorded at once
// (store.RecordDelivery), so a message tried again because another target
// failed goes only to the targets that have not had it; the message is sent
// when every target has had it, and counts one attempt per try whichever
// targets failed.
type Dispatcher struct {
	Store  *store.Store
	Sender Sender
	// Channels delivers to the units' group robots (a *RobotSender); nil: the
	// main Sender only.
	Channels ChannelSender
	Log      *slog.Logger
	// MaxAttempts before a message is marked failed; default 12 (about 2 days of backoff).
	MaxAttempts int
	// Backoff is the wait before attempt n+1; default 10s·2ⁿ capped at 6h.
	Backoff func(attempt int) time.Duration
	// BatchSize is how many due messages one claim takes; default 50.
	BatchSize int
	// Lease is how long claimed messages are kept from other dispatchers;
	// default 2 minutes. No send runs past it: messages the lease has no time
	// left for are handed back, due at once.
	Lease time.Duration
	// SendTimeout bounds one Send; default 15 seconds.
	SendTimeout time.Duration
}

const (
	defaultMaxAttempts = 12
	defaultBatchSize   = 50
	defaultLease       = 2 * time.Minute
	defaultSendTimeout = 15 * time.Second
	// recordTimeout bounds each statement that records a result or hands
	// messages back; these run even when the dispatcher is stopping.
	recordTimeout = 30 * time.Second
)

func (d *Dispatcher) backoff(n int) time.Duration {
	if d.Backoff != nil {
		return d.Backoff(n)
	}
	w := 10 * time.Second << min(n, 12)
	return min(w, 6*time.Hour)
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
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

// Drain sends what is due, a batch at a time, and returns how many were
// delivered. Each batch is leased to this dispatcher (see Dispatcher), so
// several workers share the outbox without sending a message twice, except
// after a lease ran out.
func (d *Dispatcher) Drain(ctx context.Context) (int, error) {
	maxAttempts := orDefault(d.MaxAttempts, defaultMaxAttempts)
	sent := 0
	for {
		n, more, err := d.batch(ctx, maxAttempts)
		sent += n
		if err != nil || !more {
			return sent, err
		}
	}
}

// claimed is a message leased to this dispatcher.
type claimed struct {
	Message
	Attempts int `db:"attempts"`
	// DueAt is next_attempt_at before the claim, restored when the message is
	// handed back unsent.
	DueAt time.Time `db:"due_at"`
	// LeaseEnd is next_attempt_at as the claim set it: while it is unchanged
	// the message is still this dispatcher's, so it fences every update.
	LeaseEnd time.Time `db:"lease_end"`
}

// claimSQL leases up to $1 due messages for $2 milliseconds, in one statement
// (its own short transaction). SKIP LOCKED passes over rows another dispatcher
// is claiming at the same moment; once that claim commits, their
// next_attempt_at is in the future and they are no longer due.
const claimSQL = `
WITH due AS MATERIALIZED (
	SELECT id, next_attempt_at FROM outbox
	WHERE status = 'pending' AND next_attempt_at <= now()
	ORDER BY next_attempt_at, id
	LIMIT $1
	FOR UPDATE SKIP LOCKED
)
UPDATE outbox o SET next_attempt_at = now() + $2 * interval '1 millisecond'
FROM due, units u
WHERE o.id = due.id AND u.id = o.unit_id
RETURNING o.id, o.unit_id, u.code AS unit_code, u.name AS unit_name, o.task_id, o.kind, o.title, o.body,
	o.created_at, o.attempts, due.next_attempt_at AS due_at, o.next_attempt_at AS lease_end`

// batch claims one batch, sends it and records the results. more is true when
// there may be further due messages.
func (d *Dispatcher) batch(ctx context.Context, maxAttempts int) (sent int, more bool, err error) {
	size := orDefault(d.BatchSize, defaultBatchSize)
	lease := orDefault(d.Lease, defaultLease)
	sendTimeout := orDefault(d.SendTimeout, defaultSendTimeout)

	// The lease is counted from before the claim, so this process's idea of
	// its end is never later than the database's.
	leaseEnd := time.Now().Add(lease)
	var rows []claimed
	if err := sqlx.SelectContext(ctx, d.Store.DB, &rows, claimSQL, size, lease.Milliseconds()); err != nil {
		return 0, false, fmt.Errorf("outbox claim: %w", err)
	}
	sort.Slice(rows, func(i, j int) bool {
		if !rows[i].DueAt.Equal(rows[j].DueAt) {
			return rows[i].DueAt.Before(rows[j].DueAt)
		}
		return rows[i].ID < rows[j].ID
	})

	// Results are recorded even when ctx ends meanwhile: a message that went
	// out should not be sent again for want of a database write.
	bg := context.WithoutCancel(ctx)
	for i, r := range rows {
		left := time.Until(leaseEnd)
		switch {
		case ctx.Err() != nil:
			d.release(bg, rows[i:])
			return sent, false, ctx.Err()
		case i > 0 && left < sendTimeout:
			// Not enough lease for another full send: hand the rest back, due
			// at once, and claim them again with a fresh lease.
			d.release(bg, rows[i:])
			return sent, true, nil
		case left <= 0:
			d.release(bg, rows[i:])
			return sent, false, fmt.Errorf("outbox: the %s lease ended before the first send", lease)
		}
		serr, err := d.deliver(ctx, r, leaseEnd, sendTimeout)
		if err != nil {
			// The database, not a receiver, failed (or the dispatcher is
			// stopping): no attempt, hand the message back.
			d.release(bg, rows[i:])
			return sent, false, err
		}
		if serr != nil && ctx.Err() != nil {
			// The send failed because the dispatcher is stopping, not because
			// of the receiver: this is no attempt, hand the message back.
			d.release(bg, rows[i:])
			return sent, false, ctx.Err()
		}
		if serr == nil {
			sent++
		}
		if err := d.record(bg, r, serr, maxAttempts); err != nil {
			d.release(bg, rows[i+1:])
			return sent, false, err
		}
	}
	return sent, len(rows) == size, nil
}

// deliver sends r to its targets: the main Sender, and with Channels every
// enabled channel of its unit that has not had it yet. Each send has its own
// time-out (sendTimeout) and none runs past the lease. serr is what the
// targets that failed answered (nil when all took it); err is a database
// error, or ctx's when the dispatcher stops before sending.
func (d *Dispatcher) deliver(ctx context.Context, r claimed, leaseEnd time.Time, sendTimeout time.Duration) (serr, err error) {
	send := func(f func(context.Context) error) error {
		deadline := time.Now().Add(sendTimeout)
		if leaseEnd.Before(deadline) {
			deadline = leaseEnd
		}
		sendCtx, cancel := context.WithDeadline(ctx, deadline)
		defer cancel()
		return f(sendCtx)
	}
	sendMain := func(c context.Context) error { return d.Sender.Send(c, r.Message) }
	if d.Channels == nil {
		return send(sendMain), nil
	}
	mainDue, channels, err := store.Undelivered(ctx, d.Store.DB, r.ID, r.UnitID)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	// A delivery is recorded even when ctx ends meanwhile, like a result.
	bg := context.WithoutCancel(ctx)
	delivered := func(channelID int64) error {
		c, cancel := context.WithTimeout(bg, recordTimeout)
		defer cancel()
		return store.RecordDelivery(c, d.Store.DB, r.ID, channelID)
	}
	var failed sendErrors
	if mainDue {
		if e := send(sendMain); e != nil {
			failed = append(failed, e)
		} else if len(channels) > 0 {
			// With no channel, the message's status says it all.
			if err := delivered(0); err != nil {
				return nil, err
			}
		}
	}
	for _, ch := range channels {
		if ctx.Err() != nil {
			failed = append(failed, ctx.Err())
			break
		}
		if e := send(func(c context.Context) error { return d.Channels.SendChannel(c, ch, r.Message) }); e != nil {
			failed = append(failed, e)
			continue
		}
		if err := delivered(ch.ID); err != nil {
			return nil, err
		}
	}
	if len(failed) == 1 {
		return failed[0], nil
	}
	if len(failed) > 1 {
		return failed, nil
	}
	return nil, nil
}

// sendErrors are the failures of one message's targets, on one line.
type sendErrors []error

func (e sendErrors) Error() string {
	msgs := make([]string, len(e))
	for i, err := range e {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

func (e sendErrors) Unwrap() []error { return e }

// record writes the result of sending r: sent, failed for good after
// maxAttempts, or due again after the backoff.
func (d *Dispatcher) record(ctx context.Context, r claimed, serr error, maxAttempts int) error {
	ctx, cancel := context.WithTimeout(ctx, recordTimeout)
	defer cancel()
	attempts := r.Attempts + 1
	var (
		res sql.Result
		err error
	)
	switch {
	case serr == nil:
		// Not fenced by the lease: the message did go out, whoever holds it now.
		res, err = d.Store.DB.ExecContext(ctx, `
UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = now(), last_error = NULL
WHERE id = $1 AND status = 'pending'`, r.ID)
	case attempts >= maxAttempts:
		res, err = d.Store.DB.ExecContext(ctx, `
UPDATE outbox SET status = 'failed', attempts = $2, last_error = $3
WHERE id = $1 AND status = 'pending' AND next_attempt_at = $4`, r.ID, attempts, serr.Error(), r.LeaseEnd)
		d.Log.Error("notification failed for good", "id", r.ID, "attempts", attempts, "error", serr)
	default:
		res, err = d.Store.DB.ExecContext(ctx, `
UPDATE outbox SET attempts = $2, last_error = $3, next_attempt_at = now() + $5 * interval '1 millisecond'
WHERE id = $1 AND status = 'pending' AND next_attempt_at = $4`, r.ID, attempts, serr.Error(), r.LeaseEnd, d.backoff(attempts).Milliseconds())
	}
	if err != nil {
		return fmt.Errorf("outbox %d: record result: %w", r.ID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		// The lease ran out and another dispatcher took the message over, or
		// already recorded it as sent.
		d.Log.Warn("outbox: the message was no longer this dispatcher's when its result was recorded",
			"id", r.ID, "send_error", serr)
	}
	return nil
}

// release hands claimed messages back unsent, due when they were before the
// claim, unless the lease has already passed to another dispatcher. It is best
// effort: what it cannot hand back comes due when the lease ends.
func (d *Dispatcher) release(ctx context.Context, rows []claimed) {
	if len(rows) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, recordTimeout)
	defer cancel()
	ids := make(pq.Int64Array, len(rows))
	due := make(pq.StringArray, len(rows))
	leaseEnd := make(pq.StringArray, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
		due[i] = r.DueAt.Format(time.RFC3339Nano)
		leaseEnd[i] = r.LeaseEnd.Format(time.RFC3339Nano)
	}
	_, err := d.Store.DB.ExecContext(ctx, `
UPDATE outbox o SET next_attempt_at = r.due_at
FROM unnest($1::bigint[], $2::timestamptz[], $3::timestamptz[]) AS r (id, due_at, lease_end)
WHERE o.id = r.id AND o.status = 'pending' AND o.next_attempt_at = r.lease_end`, ids, due, leaseEnd)
	if err != nil {
		d.Log.Warn("outbox: could not hand messages back; they come due when their lease ends", "count", len(rows), "error", err)
	}
}
