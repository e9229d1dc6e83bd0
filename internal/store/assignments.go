package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/zeren-county/zeren/internal/domain"
)

// Assignment is an assigned matter (交办事项).
type Assignment struct {
	ID             int64         `db:"id" json:"id"`
	Title          string        `db:"title" json:"title"`
	Content        string        `db:"content" json:"content"`
	DueAt          time.Time     `db:"due_at" json:"due_at"`
	IssuerUnitID   int64         `db:"issuer_unit_id" json:"issuer_unit_id"`
	AssignerID     int64         `db:"assigner_id" json:"assigner_id"`
	AssigneeUnitID int64         `db:"assignee_unit_id" json:"assignee_unit_id"`
	ReviewerUnitID int64         `db:"reviewer_unit_id" json:"reviewer_unit_id"`
	ReviewerRole   string        `db:"reviewer_role" json:"reviewer_role"`
	Ladder         JSON          `db:"ladder" json:"ladder"`
	Status         domain.Status `db:"status" json:"status"`
	Result         *string       `db:"result" json:"result,omitempty"`
	Attachments    JSON          `db:"attachments" json:"attachments,omitempty"`
	IdempotencyKey *string       `db:"idempotency_key" json:"-"`
	CreatedAt      time.Time     `db:"created_at" json:"created_at"`
	UpdatedAt      time.Time     `db:"updated_at" json:"updated_at"`
}

// NextAssignmentID reserves an id, so the workflow id is known before anything is written.
func NextAssignmentID(ctx context.Context, db sqlx.ExtContext) (int64, error) {
	var id int64
	if err := sqlx.GetContext(ctx, db, &id, `SELECT nextval('assignments_id_seq')`); err != nil {
		return 0, fmt.Errorf("assignment id: %w", err)
	}
	return id, nil
}

// UpsertAssignment writes the assignment as created; a second write of the same id changes nothing.
func UpsertAssignment(ctx context.Context, tx sqlx.ExtContext, a Assignment) (bool, error) {
	res, err := sqlx.NamedExecContext(ctx, tx, `
INSERT INTO assignments (id, title, content, due_at, issuer_unit_id, assigner_id, assignee_unit_id, reviewer_unit_id, reviewer_role, ladder, idempotency_key)
VALUES (:id, :title, :content, :due_at, :issuer_unit_id, :assigner_id, :assignee_unit_id, :reviewer_unit_id, :reviewer_role, :ladder, :idempotency_key)
ON CONFLICT (id) DO NOTHING`, struct {
		Assignment
		Ladder string `db:"ladder"`
	}{a, string(a.Ladder)})
	if err != nil {
		return false, fmt.Errorf("assignment %d: %w", a.ID, mapError(err))
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

const assignmentColumns = `id, title, content, due_at, issuer_unit_id, assigner_id, assignee_unit_id, reviewer_unit_id,
reviewer_role, ladder, status, result, attachments, idempotency_key, created_at, updated_at`

// AssignmentByID loads one assignment.
func AssignmentByID(ctx context.Context, db sqlx.ExtContext, id int64) (Assignment, error) {
	var a Assignment
	if err := getPrepared(ctx, db, &a, `SELECT `+assignmentColumns+` FROM assignments WHERE id = $1`, id); err != nil {
		return a, fmt.Errorf("assignment %d: %w", id, mapError(err))
	}
	return a, nil
}

// AssignmentByKey finds the assignment a person created with an idempotency key.
func AssignmentByKey(ctx context.Context, db sqlx.ExtContext, assignerID int64, key string) (Assignment, error) {
	var a Assignment
	err := sqlx.GetContext(ctx, db, &a, `SELECT `+assignmentColumns+` FROM assignments WHERE assigner_id = $1 AND idempotency_key = $2`, assignerID, key)
	if err != nil {
		return a, fmt.Errorf("assignment by key: %w", mapError(err))
	}
	return a, nil
}

// SetAssignmentState records the assignment's status (and the result when submitted).
func SetAssignmentState(ctx context.Context, tx sqlx.ExtContext, id int64, status domain.Status, result *string, attachments json.RawMessage, at time.Time) (Assignment, Assignment, error) {
	before, err := AssignmentByID(ctx, tx, id)
	if err != nil {
		return before, before, err
	}
	var att any
	if attachments != nil {
		att = string(attachments)
	}
	_, err = execPrepared(ctx, tx, `
UPDATE assignments SET status = $2, result = COALESCE($3, result), attachments = COALESCE($4::jsonb, attachments), updated_at = $5
WHERE id = $1`, id, status, result, att, at)
	if err != nil {
		return before, before, fmt.Errorf("assignment %d state: %w", id, err)
	}
	after, err := AssignmentByID(ctx, tx, id)
	return before, after, err
}

// AssignmentQuery selects assigned matters: those issued by some units, those
// assigned to some units, or both (All reads every one); a status; a page of
// Limit after the id Before (newest first).
type AssignmentQuery struct {
	All      bool
	Issued   []int64
	Assigned []int64
	Status   domain.Status
	Before   int64
	Limit    int
}

// Assignments answers a page of assigned matters, newest first, and the id to
// page on from (0 at the end).
func Assignments(ctx context.Context, db sqlx.ExtContext, q AssignmentQuery) ([]Assignment, int64, error) {
	if q.Limit <= 0 || q.Limit > 200 {
		q.Limit = 50
	}
	issued, assigned := q.Issued, q.Assigned
	if issued == nil {
		issued = []int64{}
	}
	if assigned == nil {
		assigned = []int64{}
	}
	var out []Assignment
	err := sqlx.SelectContext(ctx, db, &out, `SELECT `+assignmentColumns+` FROM assignments
WHERE ($1 OR issuer_unit_id = ANY($2::bigint[]) OR assignee_unit_id = ANY($3::bigint[]))
  AND ($4 = '' OR status = $4) AND ($5 = 0 OR id < $5)
ORDER BY id DESC LIMIT $6`, q.All, pq.Array(issued), pq.Array(assigned), q.Status.String(), q.Before, q.Limit+1)
	if err != nil {
		return nil, 0, fmt.Errorf("assignments: %w", err)
	}
	next := int64(0)
	if len(out) > q.Limit {
		out = out[:q.Limit]
		next = out[len(out)-1].ID
	}
	return out, next, nil
}
