package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/zeren-county/zeren/internal/domain"
)

// Interview is a summons interview (约谈).
type Interview struct {
	ID             int64         `db:"id" json:"id"`
	CampaignID     *string       `db:"campaign_id" json:"campaign_id,omitempty"`
	UnitID         int64         `db:"unit_id" json:"unit_id"`
	UnitCode       string        `db:"unit_code" json:"unit_code"`
	UnitName       string        `db:"unit_name" json:"unit_name"`
	ReasonKey      string        `db:"reason_key" json:"reason_key"`
	Reason         string        `db:"reason" json:"reason"`
	Source         string        `db:"source" json:"source"`
	Status         domain.Status `db:"status" json:"status"`
	ScheduledAt    *time.Time    `db:"scheduled_at" json:"scheduled_at,omitempty"`
	Place          *string       `db:"place" json:"place,omitempty"`
	Leader         *string       `db:"leader" json:"leader,omitempty"`
	Minutes        *string       `db:"minutes" json:"minutes,omitempty"`
	Commitments    JSON          `db:"commitments" json:"commitments,omitempty"`
	CommitmentsDue *time.Time    `db:"commitments_due" json:"commitments_due,omitempty"`
	CreatedAt      time.Time     `db:"created_at" json:"created_at"`
	UpdatedAt      time.Time     `db:"updated_at" json:"updated_at"`
	ClosedAt       *time.Time    `db:"closed_at" json:"closed_at,omitempty"`
	Fulfilment     *string       `db:"fulfilment" json:"fulfilment,omitempty"`
	ReturnComment  *string       `db:"return_comment" json:"return_comment,omitempty"`
	Triggers       int           `db:"triggers" json:"triggers"`
	// Items are the summonses the interview answers, oldest first.
	Items []domain.InterviewItem `db:"-" json:"items"`
}

const interviewColumns = `i.id, i.campaign_id, i.unit_id, u.code AS unit_code, u.name AS unit_name, i.reason_key, i.reason, i.source, i.status,
i.scheduled_at, i.place, i.leader, i.minutes, i.commitments, i.commitments_due, i.created_at, i.updated_at, i.closed_at, i.fulfilment, i.return_comment,
(SELECT count(*) FROM interview_triggers t WHERE t.interview_id = i.id) AS triggers`

// summonsLock is the first key of the advisory lock that serialises the
// summonses of one unit (the second is the unit), so two cannot both open an
// interview for the same reason.
const summonsLock = 716161602

// maxInterviews is the most interviews a list answers.
const maxInterviews = 500

// Summons asks for an interview of a unit's head for a reason.
type Summons struct {
	// Key identifies this trigger (a rung key, a ranking, a request): the same key twice is one trigger.
	Key        string
	CampaignID string
	UnitID     int64
	// ReasonKey groups triggers: one open interview per unit and reason key.
	ReasonKey string
	Reason    string
	Source    string // ladder, ranking, manual
	At        time.Time
	// What the summons is about: the subject, the task and the rung that made
	// it, and Label, the item as an official reads it.
	SubjectType string
	SubjectID   string
	TaskID      string
	Rung        *int
	Label       string
}

// ItemLabel is the item's words: the summons' own label, or its reason.
func (s Summons) ItemLabel() string {
	if s.Label != "" {
		return s.Label
	}
	return s.Reason
}

// joinable are the statuses in which a summons joins an interview: until it
// is held, so its minutes and commitments answer every item it lists.
const joinable = `('summoned', 'scheduled', 'acknowledged')`

// OpenInterview records a summons: it joins the unit's interview for the same
// reason that has not yet been held, or opens a new one (created=true, and the
// caller starts its process).
func OpenInterview(ctx context.Context, tx *sqlx.Tx, s Summons) (id int64, created bool, err error) {
	// Serialise summonses of one unit, so two triggers cannot both open one.
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, $2::int)`, summonsLock, s.UnitID); err != nil {
		return 0, false, fmt.Errorf("summons lock: %w", err)
	}
	var first string
	err = tx.GetContext(ctx, &id, `SELECT t.interview_id FROM interview_triggers t WHERE t.key = $1`, s.Key)
	if err == nil {
		// A retry of a recorded trigger answers as the first try did.
		if err := tx.GetContext(ctx, &first, `SELECT first_trigger FROM interviews WHERE id = $1`, id); err != nil {
			return 0, false, err
		}
		return id, first == s.Key, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, false, fmt.Errorf("summons %s: %w", s.Key, err)
	}
	err = tx.GetContext(ctx, &id, `SELECT id FROM interviews WHERE unit_id = $1 AND reason_key = $2 AND status IN `+joinable, s.UnitID, s.ReasonKey)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if err := tx.GetContext(ctx, &id, `SELECT nextval('interviews_id_seq')`); err != nil {
			return 0, false, err
		}
		if err := insertInterview(ctx, tx, id, s); err != nil {
			return 0, false, err
		}
		created = true
	case err != nil:
		return 0, false, fmt.Errorf("open interview: %w", err)
	}
	if err := addTrigger(ctx, tx, id, s); err != nil {
		return 0, false, err
	}
	return id, created, nil
}

// insertInterview writes a new interview for its first summons.
func insertInterview(ctx context.Context, tx sqlx.ExtContext, id int64, s Summons) error {
	var campaign any
	if s.CampaignID != "" {
		campaign = s.CampaignID
	}
	if _, err := tx.ExecContext(ctx, `
INSERT INTO interviews (id, campaign_id, unit_id, reason_key, reason, source, first_trigger, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
		id, campaign, s.UnitID, s.ReasonKey, s.Reason, s.Source, s.Key, s.At); err != nil {
		return fmt.Errorf("interview %d: %w", id, mapError(err))
	}
	return nil
}

// addTrigger records a summons of an interview, once per key.
func addTrigger(ctx context.Context, tx sqlx.ExtContext, id int64, s Summons) error {
	if _, err := tx.ExecContext(ctx, `
INSERT INTO interview_triggers (key, interview_id, source, reason, created_at, subject_type, subject_id, task_id, rung, label)
VALUES ($1, $2, $3, $4, $5, NULLIF($6, ''), NULLIF($7, ''), NULLIF($8, ''), $9, $10) ON CONFLICT (key) DO NOTHING`,
		s.Key, id, s.Source, s.Reason, s.At, s.SubjectType, s.SubjectID, s.TaskID, s.Rung, s.ItemLabel()); err != nil {
		return fmt.Errorf("interview trigger: %w", mapError(err))
	}
	return nil
}

// InterviewItems lists what summoned an interview, oldest first.
func InterviewItems(ctx context.Context, db sqlx.ExtContext, id int64) ([]domain.InterviewItem, error) {
	var out []domain.InterviewItem
	err := sqlx.SelectContext(ctx, db, &out, `SELECT id, COALESCE(label, reason) AS label FROM interview_triggers
WHERE interview_id = $1 ORDER BY created_at, id`, id)
	if err != nil {
		return nil, fmt.Errorf("interview %d items: %w", id, err)
	}
	if out == nil {
		out = []domain.InterviewItem{}
	}
	return out, nil
}

// RecordInterview writes the interview a process runs and its first summons,
// if an earlier transaction did not (a crash between the start of the process
// and the commit of its row); wrote says it did. When the unit meanwhile got
// another interview for the same reason, the summons joins that one instead
// and mergedInto names it: the process then has nothing to do.
func RecordInterview(ctx context.Context, tx *sqlx.Tx, spec domain.InterviewSpec) (mergedInto int64, wrote bool, err error) {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, $2::int)`, summonsLock, spec.UnitID); err != nil {
		return 0, false, fmt.Errorf("summons lock: %w", err)
	}
	var exists bool
	if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM interviews WHERE id = $1)`, spec.ID); err != nil {
		return 0, false, fmt.Errorf("interview %d: %w", spec.ID, err)
	}
	if exists {
		return 0, false, nil
	}
	s := Summons{Key: spec.FirstTrigger, CampaignID: spec.CampaignID, UnitID: spec.UnitID, ReasonKey: spec.ReasonKey,
		Reason: spec.Reason, Source: spec.Source, At: spec.CreatedAt, Label: spec.Label}
	var other int64
	err = tx.GetContext(ctx, &other, `SELECT id FROM interviews WHERE unit_id = $1 AND reason_key = $2 AND status IN `+joinable, spec.UnitID, spec.ReasonKey)
	switch {
	case err == nil:
		return other, true, addTrigger(ctx, tx, other, s)
	case !errors.Is(err, sql.ErrNoRows):
		return 0, false, fmt.Errorf("open interview: %w", err)
	}
	if err := insertInterview(ctx, tx, spec.ID, s); err != nil {
		return 0, false, err
	}
	return 0, true, addTrigger(ctx, tx, spec.ID, s)
}

// InterviewByID loads an interview.
func InterviewByID(ctx context.Context, db sqlx.ExtContext, id int64) (Interview, error) {
	var i Interview
	if err := sqlx.GetContext(ctx, db, &i, `SELECT `+interviewColumns+` FROM interviews i JOIN units u ON u.id = i.unit_id WHERE i.id = $1`, id); err != nil {
		return i, fmt.Errorf("interview %d: %w", id, mapError(err))
	}
	var err error
	i.Items, err = InterviewItems(ctx, db, id)
	return i, err
}

// Interviews lists interviews, newest first; unitID 0 lists all units', a
// zero status every status.
func Interviews(ctx context.Context, db sqlx.ExtContext, unitID int64, status domain.Status) ([]Interview, error) {
	var out []Interview
	err := sqlx.SelectContext(ctx, db, &out, `SELECT `+interviewColumns+` FROM interviews i JOIN units u ON u.id = i.unit_id
WHERE ($1 = 0 OR i.unit_id = $1) AND ($3 = '' OR i.status = $3) ORDER BY i.id DESC LIMIT $2`, unitID, maxInterviews, status.String())
	if err != nil {
		return nil, fmt.Errorf("interviews: %w", err)
	}
	ids := make([]int64, len(out))
	for i, iv := range out {
		ids[i] = iv.ID
	}
	var items []struct {
		Interview int64 `db:"interview_id"`
		domain.InterviewItem
	}
	if err := sqlx.SelectContext(ctx, db, &items, `SELECT interview_id, id, COALESCE(label, reason) AS label FROM interview_triggers
WHERE interview_id = ANY($1) ORDER BY created_at, id`, pq.Array(ids)); err != nil {
		return nil, fmt.Errorf("interview items: %w", err)
	}
	byInterview := map[int64][]domain.InterviewItem{}
	for _, it := range items {
		byInterview[it.Interview] = append(byInterview[it.Interview], it.InterviewItem)
	}
	for i := range out {
		out[i].Items = byInterview[out[i].ID]
		if out[i].Items == nil {
			out[i].Items = []domain.InterviewItem{}
		}
	}
	return out, nil
}

// InterviewUpdate is a step of an interview.
type InterviewUpdate struct {
	ID     int64
	Status domain.Status
	Step   domain.InterviewCompletion
	// Result is the interviewee's report of the commitments fulfilled; Comment the office's return.
	Result  string
	Comment string
	At      time.Time
}

// UpdateInterview applies a step and answers the interview before and after.
func UpdateInterview(ctx context.Context, tx sqlx.ExtContext, u InterviewUpdate) (Interview, Interview, error) {
	before, err := InterviewByID(ctx, tx, u.ID)
	if err != nil {
		return before, before, err
	}
	var commitments any
	if len(u.Step.Commitments) > 0 {
		b, err := json.Marshal(u.Step.Commitments)
		if err != nil {
			return before, before, fmt.Errorf("interview %d commitments: %w", u.ID, err)
		}
		commitments = string(b)
	}
	nullStr := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	var closed any
	if u.Status == domain.InterviewClosed {
		closed = u.At
	}
	_, err = tx.ExecContext(ctx, `
UPDATE interviews SET status = $2, updated_at = $3,
  scheduled_at = COALESCE($4, scheduled_at), place = COALESCE($5, place), leader = COALESCE($6, leader),
  minutes = COALESCE($7, minutes), commitments = COALESCE($8::jsonb, commitments), commitments_due = COALESCE($9, commitments_due),
  closed_at = COALESCE($10, closed_at), fulfilment = COALESCE($11, fulfilment), return_comment = COALESCE($12, return_comment)
WHERE id = $1`, u.ID, u.Status, u.At, u.Step.ScheduledAt, nullStr(u.Step.Place), nullStr(u.Step.Leader), nullStr(u.Step.Minutes),
		commitments, u.Step.CommitmentsDue, closed, nullStr(u.Result), nullStr(u.Comment))
	if err != nil {
		return before, before, fmt.Errorf("interview %d: %w", u.ID, err)
	}
	after, err := InterviewByID(ctx, tx, u.ID)
	return before, after, err
}

// SafetyOfficeUnit is the unit where the safety office (安委办) sits.
func SafetyOfficeUnit(ctx context.Context, db sqlx.ExtContext) (int64, error) {
	var id int64
	if err := sqlx.GetContext(ctx, db, &id, `SELECT unit_id FROM role_grants WHERE role = 'safety_office' ORDER BY unit_id LIMIT 1`); err != nil {
		return 0, fmt.Errorf("no unit holds the safety office role: %w", err)
	}
	return id, nil
}
