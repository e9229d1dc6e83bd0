package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/internal/domain"
)

// RecordAccident records a major accident of a unit: the year's one-vote veto.
func RecordAccident(ctx context.Context, tx sqlx.ExtContext, campaignID string, unitID int64, occurred time.Time, reason, by string) (int64, error) {
	var id int64
	err := sqlx.GetContext(ctx, tx, &id, `INSERT INTO accidents (campaign_id, year, unit_id, occurred_on, reason, recorded_by)
VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, campaignID, occurred.Year(), unitID, occurred, reason, by)
	if err != nil {
		return 0, fmt.Errorf("accident: %w", mapError(err))
	}
	return id, nil
}

// Vetoes maps the units with a recorded major accident in the year to its reason.
func Vetoes(ctx context.Context, db sqlx.ExtContext, campaignID string, year int) (map[int64]string, error) {
	var rows []struct {
		UnitID int64  `db:"unit_id"`
		Reason string `db:"reason"`
	}
	if err := sqlx.SelectContext(ctx, db, &rows, `SELECT unit_id, reason FROM accidents WHERE campaign_id = $1 AND year = $2 ORDER BY id`, campaignID, year); err != nil {
		return nil, fmt.Errorf("vetoes: %w", err)
	}
	out := map[int64]string{}
	for _, r := range rows {
		if _, ok := out[r.UnitID]; !ok {
			out[r.UnitID] = r.Reason
		}
	}
	return out, nil
}

// Assessment is a year's results.
type Assessment struct {
	CampaignID  string                `db:"campaign_id" json:"campaign_id"`
	Year        int                   `db:"year" json:"year"`
	Status      domain.Status         `db:"status" json:"status"`
	Round       int                   `db:"round" json:"round"`
	Raw         JSON                  `db:"results" json:"-"`
	Results     []domain.AssessedUnit `db:"-" json:"results"`
	ComputedAt  time.Time             `db:"computed_at" json:"computed_at"`
	ApprovedBy  *string               `db:"approved_by" json:"approved_by,omitempty"`
	PublishedAt *time.Time            `db:"published_at" json:"published_at,omitempty"`
}

// AssessmentOf loads a year's assessment.
func AssessmentOf(ctx context.Context, db sqlx.ExtContext, campaignID string, year int) (Assessment, error) {
	var a Assessment
	if err := sqlx.GetContext(ctx, db, &a, `SELECT campaign_id, year, status, round, results, computed_at, approved_by, published_at
FROM assessments WHERE campaign_id = $1 AND year = $2`, campaignID, year); err != nil {
		return a, fmt.Errorf("assessment %s %d: %w", campaignID, year, mapError(err))
	}
	return a, json.Unmarshal(a.Raw, &a.Results)
}

// SaveComputed stores a computation unless the year is already published (frozen).
func SaveComputed(ctx context.Context, tx sqlx.ExtContext, campaignID string, year, round int, results []domain.AssessedUnit, at time.Time) error {
	b, err := json.Marshal(results)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO assessments (campaign_id, year, status, round, results, computed_at) VALUES ($1, $2, 'computed', $3, $4, $5)
ON CONFLICT (campaign_id, year) DO UPDATE SET round = EXCLUDED.round, results = EXCLUDED.results, computed_at = EXCLUDED.computed_at
WHERE assessments.status = 'computed'`, campaignID, year, round, string(b), at)
	if err != nil {
		return fmt.Errorf("assessment: %w", err)
	}
	return nil
}

// PublishAssessment freezes the year's results as approved.
func PublishAssessment(ctx context.Context, tx sqlx.ExtContext, campaignID string, year int, by string, at time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE assessments SET status = 'published', approved_by = $3, published_at = $4
WHERE campaign_id = $1 AND year = $2 AND status = 'computed'`, campaignID, year, by, at)
	if err != nil {
		return false, fmt.Errorf("publish assessment: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
