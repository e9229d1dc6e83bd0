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

// Training is a recorded training session (安全培训) of a unit.
type Training struct {
	ID         int64     `db:"id" json:"id"`
	UnitID     int64     `db:"unit_id" json:"unit_id"`
	UnitCode   string    `db:"unit_code" json:"unit_code"`
	UnitName   string    `db:"unit_name" json:"unit_name"`
	HeldOn     Date      `db:"held_on" json:"held_on"`
	Topic      string    `db:"topic" json:"topic"`
	Audience   string    `db:"audience" json:"audience"`
	Trained    int       `db:"trained" json:"trained"`
	Hours      *float64  `db:"hours" json:"hours,omitempty"`
	Location   string    `db:"location" json:"location"`
	Notes      string    `db:"notes" json:"notes"`
	CampaignID *string   `db:"campaign_id" json:"campaign_id,omitempty"`
	CreatedBy  int64     `db:"created_by" json:"created_by"`
	CreatedAt  time.Time `db:"created_at" json:"created_at"`
	Key        *string   `db:"idempotency_key" json:"-"`
}

// Publicity is a recorded publicity item (宣传) of a unit: a television
// column's episode, an article, an event.
type Publicity struct {
	ID          int64     `db:"id" json:"id"`
	UnitID      int64     `db:"unit_id" json:"unit_id"`
	UnitCode    string    `db:"unit_code" json:"unit_code"`
	UnitName    string    `db:"unit_name" json:"unit_name"`
	Kind        string    `db:"kind" json:"kind"`
	Title       string    `db:"title" json:"title"`
	Channel     string    `db:"channel" json:"channel"`
	PublishedOn Date      `db:"published_on" json:"published_on"`
	Notes       string    `db:"notes" json:"notes"`
	CampaignID  *string   `db:"campaign_id" json:"campaign_id,omitempty"`
	CreatedBy   int64     `db:"created_by" json:"created_by"`
	CreatedAt   time.Time `db:"created_at" json:"created_at"`
	Key         *string   `db:"idempotency_key" json:"-"`
}

const trainingColumns = `t.id, t.unit_id, u.code AS unit_code, u.name AS unit_name, t.held_on, t.topic, t.audience, t.trained,
t.hours::float8 AS hours, t.location, t.notes, t.campaign_id, t.created_by, t.created_at, t.idempotency_key
FROM trainings t JOIN units u ON u.id = t.unit_id`

const publicityColumns = `p.id, p.unit_id, u.code AS unit_code, u.name AS unit_name, p.kind, p.title, p.channel, p.published_on,
p.notes, p.campaign_id, p.created_by, p.created_at, p.idempotency_key
FROM publicity_items p JOIN units u ON u.id = p.unit_id`

// InsertTraining records a training session once per key (created false on
// a repeat, answering the first one's id).
func InsertTraining(ctx context.Context, tx *sqlx.Tx, t Training) (int64, bool, error) {
	var id int64
	err := sqlx.GetContext(ctx, tx, &id, `INSERT INTO trainings (unit_id, held_on, topic, audience, trained, hours, location, notes,
    campaign_id, idempotency_key, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
		t.UnitID, t.HeldOn.Time, t.Topic, t.Audience, t.Trained, t.Hours, t.Location, t.Notes, t.CampaignID, t.Key, t.CreatedBy)
	if errors.Is(err, sql.ErrNoRows) {
		err = sqlx.GetContext(ctx, tx, &id, `SELECT id FROM trainings WHERE idempotency_key = $1`, t.Key)
		return id, false, mapError(err)
	}
	if err != nil {
		return 0, false, fmt.Errorf("insert training: %w", mapError(err))
	}
	return id, true, nil
}

// TrainingByID reads a training session.
func TrainingByID(ctx context.Context, db sqlx.ExtContext, id int64) (Training, error) {
	var t Training
	if err := sqlx.GetContext(ctx, db, &t, `SELECT `+trainingColumns+` WHERE t.id = $1`, id); err != nil {
		return t, fmt.Errorf("training %d: %w", id, mapError(err))
	}
	return t, nil
}

// RecordQuery selects training sessions or publicity items for a list,
// newest first: those of UnitIDs (or every one with All), of one unit
// (UnitID), of a kind (Kind: a training's audience, a publicity item's kind),
// in a year.
type RecordQuery struct {
	UnitIDs []int64
	All     bool
	UnitID  int64
	Kind    string
	Year    int
	Limit   int
}

func (q RecordQuery) limit() int {
	if q.Limit <= 0 || q.Limit > 1000 {
		return 500
	}
	return q.Limit
}

// Trainings lists training sessions.
func Trainings(ctx context.Context, db sqlx.ExtContext, q RecordQuery) ([]Training, error) {
	out := []Training{}
	err := sqlx.SelectContext(ctx, db, &out, `SELECT `+trainingColumns+`
WHERE ($1 OR t.unit_id = ANY($2)) AND ($3 = 0 OR t.unit_id = $3) AND ($4 = '' OR t.audience = $4)
  AND ($5 = 0 OR extract(year FROM t.held_on) = $5)
ORDER BY t.held_on DESC, t.id DESC LIMIT $6`, q.All, pq.Array(q.UnitIDs), q.UnitID, q.Kind, q.Year, q.limit())
	return out, mapError(err)
}

// InsertPublicity records a publicity item once per key (created false on a repeat).
func InsertPublicity(ctx context.Context, tx *sqlx.Tx, p Publicity) (int64, bool, error) {
	var id int64
	err := sqlx.GetContext(ctx, tx, &id, `INSERT INTO publicity_items (unit_id, kind, title, channel, published_on, notes,
    campaign_id, idempotency_key, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
		p.UnitID, p.Kind, p.Title, p.Channel, p.PublishedOn.Time, p.Notes, p.CampaignID, p.Key, p.CreatedBy)
	if errors.Is(err, sql.ErrNoRows) {
		err = sqlx.GetContext(ctx, tx, &id, `SELECT id FROM publicity_items WHERE idempotency_key = $1`, p.Key)
		return id, false, mapError(err)
	}
	if err != nil {
		return 0, false, fmt.Errorf("insert publicity: %w", mapError(err))
	}
	return id, true, nil
}

// PublicityByID reads a publicity item.
func PublicityByID(ctx context.Context, db sqlx.ExtContext, id int64) (Publicity, error) {
	var p Publicity
	if err := sqlx.GetContext(ctx, db, &p, `SELECT `+publicityColumns+` WHERE p.id = $1`, id); err != nil {
		return p, fmt.Errorf("publicity %d: %w", id, mapError(err))
	}
	return p, nil
}

// PublicityItems lists publicity items.
func PublicityItems(ctx context.Context, db sqlx.ExtContext, q RecordQuery) ([]Publicity, error) {
	out := []Publicity{}
	err := sqlx.SelectContext(ctx, db, &out, `SELECT `+publicityColumns+`
WHERE ($1 OR p.unit_id = ANY($2)) AND ($3 = 0 OR p.unit_id = $3) AND ($4 = '' OR p.kind = $4)
  AND ($5 = 0 OR extract(year FROM p.published_on) = $5)
ORDER BY p.published_on DESC, p.id DESC LIMIT $6`, q.All, pq.Array(q.UnitIDs), q.UnitID, q.Kind, q.Year, q.limit())
	return out, mapError(err)
}
