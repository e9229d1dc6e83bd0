package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"
)

// The engine's uptime. Every worker beats once a minute (BeatEvery); a gap of
// more than OutageGap between two beats is an outage — a time when zeren could
// not take a submission — recorded once, by whoever beats first after it.

// BeatEvery is how often a worker beats.
const BeatEvery = time.Minute

// OutageGap is the longest gap between beats that is not an outage.
const OutageGap = 2 * time.Minute

// Outage is a span of wall time when the engine was down.
type Outage struct {
	ID        int64     `db:"id" json:"id"`
	StartedAt time.Time `db:"started_at" json:"started_at"`
	EndedAt   time.Time `db:"ended_at" json:"ended_at"`
}

// Duration is how long the outage lasted.
func (o Outage) Duration() time.Duration { return o.EndedAt.Sub(o.StartedAt) }

// Beat records that the engine is up at now (wall time) and, when the last
// beat is more than OutageGap before now, the outage between them. It answers
// the outage it recorded, if any.
func (s *Store) Beat(ctx context.Context, now time.Time) (*Outage, error) {
	var out *Outage
	err := s.InTx(ctx, func(tx *sqlx.Tx) error {
		var last sql.NullTime
		if err := tx.GetContext(ctx, &last, `SELECT last_beat FROM engine_pulse WHERE id = 1 FOR UPDATE`); err != nil {
			return fmt.Errorf("engine pulse: %w", err)
		}
		if last.Valid && now.Sub(last.Time) > OutageGap {
			var o Outage
			err := tx.GetContext(ctx, &o, `INSERT INTO engine_outages (started_at, ended_at) VALUES ($1, $2)
ON CONFLICT (started_at) DO NOTHING RETURNING id, started_at, ended_at`, last.Time, now)
			switch {
			case err == nil:
				out = &o
			case !errors.Is(err, sql.ErrNoRows):
				return fmt.Errorf("record outage: %w", err)
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE engine_pulse SET last_beat = GREATEST(COALESCE(last_beat, $1), $1) WHERE id = 1`, now)
		return err
	})
	return out, err
}

// LastBeat is the wall time of the newest beat (zero when none).
func LastBeat(ctx context.Context, db sqlx.ExtContext) (time.Time, error) {
	var last sql.NullTime
	if err := sqlx.GetContext(ctx, db, &last, `SELECT last_beat FROM engine_pulse WHERE id = 1`); err != nil {
		return time.Time{}, fmt.Errorf("engine pulse: %w", err)
	}
	return last.Time, nil
}

// OutageAt is the recorded outage that wall time at falls in, if any.
func OutageAt(ctx context.Context, db sqlx.ExtContext, at time.Time) (Outage, bool, error) {
	var o Outage
	err := sqlx.GetContext(ctx, db, &o, `SELECT id, started_at, ended_at FROM engine_outages
WHERE started_at < $1 AND ended_at > $1 ORDER BY started_at DESC LIMIT 1`, at)
	if errors.Is(err, sql.ErrNoRows) {
		return o, false, nil
	}
	if err != nil {
		return o, false, fmt.Errorf("outage at %s: %w", at.Format(time.RFC3339), err)
	}
	return o, true, nil
}

// Outages lists the recorded outages, newest first.
func Outages(ctx context.Context, db sqlx.ExtContext, limit int) ([]Outage, error) {
	var out []Outage
	if err := sqlx.SelectContext(ctx, db, &out, `SELECT id, started_at, ended_at FROM engine_outages ORDER BY started_at DESC LIMIT $1`, limit); err != nil {
		return nil, fmt.Errorf("outages: %w", err)
	}
	return out, nil
}

// Heartbeat beats at once and then every BeatEvery until ctx ends; a beat the
// database refuses is logged and the next one tries again.
func (s *Store) Heartbeat(ctx context.Context, log *slog.Logger) {
	t := time.NewTicker(BeatEvery)
	defer t.Stop()
	for {
		o, err := s.Beat(ctx, time.Now())
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("engine heartbeat", "error", err)
		case o != nil:
			log.Warn("engine outage recorded", "from", o.StartedAt, "to", o.EndedAt, "seconds", int(o.Duration().Seconds()))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
