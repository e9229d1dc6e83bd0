package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/zeren-county/zeren/internal/domain"
)

// Task is a row of the inbox read model.
type Task struct {
	ID           string        `db:"id" json:"id"`
	WorkflowID   string        `db:"workflow_id" json:"workflow_id"`
	Kind         string        `db:"kind" json:"kind"`
	Title        string        `db:"title" json:"title"`
	SubjectType  string        `db:"subject_type" json:"subject_type"`
	SubjectID    string        `db:"subject_id" json:"subject_id"`
	CampaignID   *string       `db:"campaign_id" json:"campaign_id,omitempty"`
	UnitID       int64         `db:"unit_id" json:"unit_id"`
	UnitCode     string        `db:"unit_code" json:"unit_code"`
	UnitName     string        `db:"unit_name" json:"unit_name"`
	Role         string        `db:"role" json:"role"`
	PersonID     *int64        `db:"person_id" json:"person_id,omitempty"`
	IssuerUnitID *int64        `db:"issuer_unit_id" json:"issuer_unit_id,omitempty"`
	ClaimedBy    *int64        `db:"claimed_by" json:"claimed_by,omitempty"`
	Status       domain.Status `db:"status" json:"status"`
	DueAt        time.Time     `db:"due_at" json:"due_at"`
	CreatedAt    time.Time     `db:"created_at" json:"created_at"`
	CompletedAt  *time.Time    `db:"completed_at" json:"completed_at,omitempty"`
	CompletedBy  *int64        `db:"completed_by" json:"completed_by,omitempty"`
	UpdateID     *string       `db:"update_id" json:"-"`
	Outcome      JSON          `db:"outcome" json:"outcome,omitempty"`
	Context      JSON          `db:"context" json:"context,omitempty"`
}

// Overdue says whether the task is open past its deadline at now.
func (t Task) Overdue(now time.Time) bool { return t.Status == domain.TaskOpen && now.After(t.DueAt) }

const taskColumns = `t.id, t.workflow_id, t.kind, t.title, t.subject_type, t.subject_id, t.campaign_id, t.unit_id,
u.code AS unit_code, u.name AS unit_name, t.role, t.person_id, t.issuer_unit_id, t.claimed_by, t.status, t.due_at,
t.created_at, t.completed_at, t.completed_by, t.update_id, t.outcome, t.context`

// InsertTask writes a new open task; it returns false when the id exists (a retry).
func InsertTask(ctx context.Context, db sqlx.ExtContext, t Task) (bool, error) {
	if t.Context == nil {
		t.Context = JSON(`{}`)
	}
	res, err := execPrepared(ctx, db, `
INSERT INTO tasks (id, workflow_id, kind, title, subject_type, subject_id, campaign_id, unit_id, role, person_id, issuer_unit_id, due_at, created_at, context)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
ON CONFLICT (id) DO NOTHING`,
		t.ID, t.WorkflowID, t.Kind, t.Title, t.SubjectType, t.SubjectID, t.CampaignID, t.UnitID, t.Role, t.PersonID,
		t.IssuerUnitID, t.DueAt, t.CreatedAt, string(t.Context))
	if err != nil {
		return false, fmt.Errorf("insert task %s: %w", t.ID, mapError(err))
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// TaskByID loads one task.
func TaskByID(ctx context.Context, db sqlx.ExtContext, id string) (Task, error) {
	var t Task
	err := getPrepared(ctx, db, &t, `SELECT `+taskColumns+` FROM tasks t JOIN units u ON u.id = t.unit_id WHERE t.id = $1`, id)
	if err != nil {
		return t, fmt.Errorf("task %s: %w", id, mapError(err))
	}
	return t, nil
}

// ErrTaskClosed is a completion of a task that is no longer open.
var ErrTaskClosed = fmt.Errorf("%w: 这项待办已办结", domain.ErrConflict)

// CompleteTask marks an open task completed with its outcome. Completing it
// again with the same update id is a no-op that returns the stored task
// (changed=false); any other completion of a closed task is ErrTaskClosed.
func CompleteTask(ctx context.Context, tx sqlx.ExtContext, id string, personID int64, outcome json.RawMessage, updateID string, at time.Time) (Task, bool, error) {
	// One statement answers the task as completed (a completion's workflow
	// task waits on it); only a task no longer open is read again.
	var t Task
	err := getPrepared(ctx, tx, &t, `
UPDATE tasks t SET status = 'completed', completed_at = $2, completed_by = $3, outcome = $4, update_id = $5,
  completing_key = NULL, completing_until = NULL,
  confirm_after = CASE WHEN $5 <> '' THEN now() + $6 * interval '1 second' END
FROM units u WHERE t.id = $1 AND t.status = 'open' AND u.id = t.unit_id
RETURNING `+taskColumns, id, at, personID, string(outcome), updateID, int(ConfirmAfter/time.Second))
	switch {
	case err == nil:
		return t, true, nil
	case !errors.Is(err, sql.ErrNoRows):
		return Task{}, false, fmt.Errorf("complete task %s: %w", id, mapError(err))
	}
	if t, err = TaskByID(ctx, tx, id); err != nil {
		return t, false, err
	}
	if t.Status == domain.TaskCompleted && t.UpdateID != nil && *t.UpdateID == updateID {
		return t, false, nil
	}
	return t, false, ErrTaskClosed
}

// ConfirmAfter is how long after a completion by an Update its row waits
// before the engine checks that the process holds that Update: well past the
// API's wait for an Update, so a completion still in flight is left alone.
const ConfirmAfter = 2 * time.Minute

// Unconfirmed is a completion whose process has not yet been seen holding
// the Update that completed it.
type Unconfirmed struct {
	TaskID      string    `db:"id"`
	WorkflowID  string    `db:"workflow_id"`
	Kind        string    `db:"kind"`
	UpdateID    string    `db:"update_id"`
	Outcome     JSON      `db:"outcome"`
	CompletedAt time.Time `db:"completed_at"`
	PersonID    int64     `db:"completed_by"`
	PersonKey   string    `db:"person_key"`
}

// UnconfirmedCompletions answers up to limit completions due to be checked
// at now (wall time), oldest first.
func UnconfirmedCompletions(ctx context.Context, db sqlx.QueryerContext, now time.Time, limit int) ([]Unconfirmed, error) {
	var out []Unconfirmed
	err := sqlx.SelectContext(ctx, db, &out, `SELECT t.id, t.workflow_id, t.kind, t.update_id, t.outcome, t.completed_at, t.completed_by, p.key AS person_key
FROM tasks t JOIN people p ON p.id = t.completed_by
WHERE t.confirm_after IS NOT NULL AND t.confirm_after <= $1 AND t.status = 'completed' AND t.update_id IS NOT NULL
ORDER BY t.confirm_after LIMIT $2`, now, limit)
	if err != nil {
		return nil, fmt.Errorf("unconfirmed completions: %w", mapError(err))
	}
	return out, nil
}

// ConfirmCompletions marks completions whose processes hold their Updates.
func ConfirmCompletions(ctx context.Context, db sqlx.ExecerContext, taskIDs []string) error {
	if len(taskIDs) == 0 {
		return nil
	}
	if _, err := db.ExecContext(ctx, `UPDATE tasks SET confirm_after = NULL WHERE id = ANY($1)`, pq.Array(taskIDs)); err != nil {
		return fmt.Errorf("confirm completions: %w", mapError(err))
	}
	return nil
}

// SetTaskDue moves a task's deadline, and its subject's with it where the
// task is the subject's main step (a report's submission, a pledge's signing,
// an assigned matter's result, a plan task), so lateness is measured against
// the moved deadline everywhere.
func SetTaskDue(ctx context.Context, tx sqlx.ExtContext, id string, due time.Time) (Task, error) {
	if _, err := tx.ExecContext(ctx, `UPDATE tasks SET due_at = $2 WHERE id = $1`, id, due); err != nil {
		return Task{}, fmt.Errorf("move task %s: %w", id, mapError(err))
	}
	t, err := TaskByID(ctx, tx, id)
	if err != nil {
		return t, err
	}
	var q string
	switch domain.TaskKind(t.Kind) {
	case domain.KindReportSubmit:
		q = `UPDATE reports SET due_at = $2 WHERE id = $1 AND status <> 'accepted'`
	case domain.KindPledgeSign:
		q = `UPDATE pledges SET due_at = $2 WHERE id = $1 AND status <> 'in_force'`
	case domain.KindAssignmentComplete:
		q = `UPDATE assignments SET due_at = $2 WHERE id::text = $1 AND status <> 'approved'`
	case domain.KindPlanTaskDone:
		q = `UPDATE plan_tasks SET deadline = $2 WHERE id::text = $1 AND status <> 'done'`
	default:
		return t, nil
	}
	if _, err := tx.ExecContext(ctx, q, t.SubjectID, due); err != nil {
		return t, fmt.Errorf("move %s %s: %w", t.SubjectType, t.SubjectID, mapError(err))
	}
	return t, nil
}

// BeginCompleting claims an open task for one completion request (key) until
// until: one Update per task is in flight at a time. The same key may claim it
// again (a retried request); a claim past its time lapses. It answers false
// when the task is not open or another request holds it.
func BeginCompleting(ctx context.Context, db sqlx.ExtContext, id, key string, now, until time.Time) (bool, error) {
	res, err := execPrepared(ctx, db, `UPDATE tasks SET completing_key = $2, completing_until = $4
WHERE id = $1 AND status = 'open' AND (completing_key IS NULL OR completing_key = $2 OR completing_until < $3)`, id, key, now, until)
	if err != nil {
		return false, fmt.Errorf("claim completion of %s: %w", id, mapError(err))
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// CompletionInFlight says whether a completion request holds the task's claim
// at now (wall time): its Update is on its way to the process.
func CompletionInFlight(ctx context.Context, db sqlx.QueryerContext, id string, now time.Time) (bool, error) {
	var held bool
	if err := sqlx.GetContext(ctx, db, &held, `SELECT completing_key IS NOT NULL AND completing_until > $2 FROM tasks WHERE id = $1`, id, now); err != nil {
		return false, fmt.Errorf("completion of %s in flight: %w", id, mapError(err))
	}
	return held, nil
}

// EndCompleting releases a completion claim the Update refused.
func EndCompleting(ctx context.Context, db sqlx.ExtContext, id, key string) error {
	if _, err := db.ExecContext(ctx, `UPDATE tasks SET completing_key = NULL, completing_until = NULL WHERE id = $1 AND completing_key = $2`, id, key); err != nil {
		return fmt.Errorf("release completion of %s: %w", id, mapError(err))
	}
	return nil
}

// ClaimTask marks an open, unclaimed task as being worked on by a person; it
// returns false when the task was not open or already claimed.
func ClaimTask(ctx context.Context, tx sqlx.ExtContext, id string, personID int64) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE tasks SET claimed_by = $2 WHERE id = $1 AND status = 'open' AND claimed_by IS NULL`, id, personID)
	if err != nil {
		return false, fmt.Errorf("claim task %s: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ReleaseTask gives a claimed task back to its role; it returns false when the
// person did not hold the claim.
func ReleaseTask(ctx context.Context, tx sqlx.ExtContext, id string, personID int64) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE tasks SET claimed_by = NULL WHERE id = $1 AND status = 'open' AND claimed_by = $2`, id, personID)
	if err != nil {
		return false, fmt.Errorf("release task %s: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Comment is a note on a task.
type Comment struct {
	ID        int64     `db:"id" json:"id"`
	TaskID    string    `db:"task_id" json:"task_id"`
	PersonID  int64     `db:"person_id" json:"person_id"`
	Person    string    `db:"person_name" json:"person_name"`
	Body      string    `db:"body" json:"body"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

// AddComment stores a comment.
func AddComment(ctx context.Context, tx sqlx.ExtContext, taskID string, personID int64, body string, at time.Time) (Comment, error) {
	var c Comment
	err := sqlx.GetContext(ctx, tx, &c, `
WITH c AS (INSERT INTO task_comments (task_id, person_id, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id, task_id, person_id, body, created_at)
SELECT c.*, p.name AS person_name FROM c JOIN people p ON p.id = c.person_id`, taskID, personID, body, at)
	if err != nil {
		return c, fmt.Errorf("comment on %s: %w", taskID, mapError(err))
	}
	return c, nil
}

// Comments lists a task's comments, oldest first.
func Comments(ctx context.Context, db sqlx.ExtContext, taskID string) ([]Comment, error) {
	var out []Comment
	err := sqlx.SelectContext(ctx, db, &out, `
SELECT c.id, c.task_id, c.person_id, p.name AS person_name, c.body, c.created_at
FROM task_comments c JOIN people p ON p.id = c.person_id WHERE c.task_id = $1 ORDER BY c.id`, taskID)
	if err != nil {
		return nil, fmt.Errorf("comments of %s: %w", taskID, err)
	}
	return out, nil
}

// InboxQuery selects a person's open tasks.
type InboxQuery struct {
	PersonID int64
	// Slots are the (unit, role) pairs the person holds.
	UnitIDs []int64
	Roles   []string
	// Filters; zero values select everything.
	Kind       string
	Status     domain.Status // default open
	Overdue    *bool
	DueBefore  *time.Time
	DueAfter   *time.Time
	CampaignID string
	Now        time.Time
	// Clocks turn Now into campaign time for tasks of campaigns that run fast.
	Clocks Clocks
	// Paging: after the cursor, at most Limit rows.
	Cursor string
	Limit  int
}

// InboxCount is the badge count of one kind.
type InboxCount struct {
	Kind    string `db:"kind" json:"kind"`
	Open    int    `db:"open" json:"open"`
	Overdue int    `db:"overdue" json:"overdue"`
}

// Cursor is the keyset position (due time, id) of the last row of a page.
type Cursor struct {
	DueAt time.Time
	ID    string
}

// Encode makes the opaque cursor string.
func (c Cursor) Encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte(c.DueAt.UTC().Format(time.RFC3339Nano) + "|" + c.ID))
}

// ErrBadCursor is a cursor this server did not make.
var ErrBadCursor = errors.New("malformed cursor")

// DecodeCursor reads a cursor string.
func DecodeCursor(s string) (Cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, ErrBadCursor
	}
	at, id, ok := strings.Cut(string(b), "|")
	if !ok || id == "" {
		return Cursor{}, ErrBadCursor
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return Cursor{}, ErrBadCursor
	}
	return Cursor{DueAt: t, ID: id}, nil
}

// filter builds the WHERE shared by the inbox and its counts, without who the
// task is addressed to; args are positional, never spliced. It starts at $1.
func (q InboxQuery) filter(withCursor bool) (string, []any, error) {
	status := q.Status
	if status.IsZero() {
		status = domain.TaskOpen
	}
	args := []any{status}
	conds := []string{"t.status = $1"}
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, strings.ReplaceAll(cond, "?", fmt.Sprintf("$%d", len(args))))
	}
	if q.Kind != "" {
		add("t.kind = ?", q.Kind)
	}
	if q.CampaignID != "" {
		add("t.campaign_id = ?", q.CampaignID)
	}
	if q.DueBefore != nil {
		add("t.due_at < ?", *q.DueBefore)
	}
	if q.DueAfter != nil {
		add("t.due_at > ?", *q.DueAfter)
	}
	if q.Overdue != nil {
		now := q.Clocks.nowExpr(q.Now, &args)
		if *q.Overdue {
			conds = append(conds, "t.due_at < "+now)
		} else {
			conds = append(conds, "t.due_at >= "+now)
		}
	}
	if withCursor && q.Cursor != "" {
		c, err := DecodeCursor(q.Cursor)
		if err != nil {
			return "", nil, err
		}
		args = append(args, c.DueAt, c.ID)
		conds = append(conds, fmt.Sprintf("(t.due_at, t.id) > ($%d, $%d)", len(args)-1, len(args)))
	}
	return strings.Join(conds, " AND "), args, nil
}

// addressed is the union of the tasks addressed to the person by name and those
// addressed to a (unit, role) they hold: each arm walks its own index in due
// order. $a, $b, $c are the person id, unit ids and roles.
func addressed(filter, selectList, tail string, a, b, c int) string {
	return fmt.Sprintf(`(SELECT %[1]s FROM tasks t WHERE t.person_id = $%[3]d AND %[2]s %[4]s)
UNION ALL
(SELECT %[1]s FROM tasks t JOIN unnest($%[5]d::bigint[], $%[6]d::text[]) AS s(unit_id, role) ON t.unit_id = s.unit_id AND t.role = s.role
 WHERE t.person_id IS NULL AND %[2]s %[4]s)`, selectList, filter, a, tail, b, c)
}

// Inbox returns one page of tasks sorted by due time, and the cursor of the next
// page ("" at the end).
func Inbox(ctx context.Context, db sqlx.ExtContext, q InboxQuery) ([]Task, string, error) {
	filter, args, err := q.filter(true)
	if err != nil {
		return nil, "", err
	}
	if q.Limit <= 0 || q.Limit > 200 {
		q.Limit = 50
	}
	args = append(args, q.PersonID, pq.Array(q.UnitIDs), pq.Array(q.Roles), q.Limit+1)
	n := len(args)
	tail := fmt.Sprintf("ORDER BY t.due_at, t.id LIMIT $%d", n)
	query := `SELECT ` + strings.ReplaceAll(taskColumns, "t.", "x.") + ` FROM (` +
		addressed(filter, "t.*", tail, n-3, n-2, n-1) +
		`) x JOIN units u ON u.id = x.unit_id ORDER BY x.due_at, x.id LIMIT $` + fmt.Sprint(n)
	var tasks []Task
	if err := selectPrepared(ctx, db, &tasks, query, args...); err != nil {
		return nil, "", fmt.Errorf("inbox: %w", err)
	}
	next := ""
	if len(tasks) > q.Limit {
		tasks = tasks[:q.Limit]
		last := tasks[len(tasks)-1]
		next = Cursor{DueAt: last.DueAt, ID: last.ID}.Encode()
	}
	return tasks, next, nil
}

// InboxCounts counts the selected tasks per kind, and how many are overdue,
// ignoring the cursor.
func InboxCounts(ctx context.Context, db sqlx.ExtContext, q InboxQuery) ([]InboxCount, error) {
	filter, args, err := q.filter(false)
	if err != nil {
		return nil, err
	}
	late := "t.due_at < " + q.Clocks.nowExpr(q.Now, &args)
	args = append(args, q.PersonID, pq.Array(q.UnitIDs), pq.Array(q.Roles))
	n := len(args)
	query := `SELECT x.kind, count(*) AS open, count(*) FILTER (WHERE x.late) AS overdue FROM (` +
		addressed(filter, "t.kind, "+late+" AS late", "", n-2, n-1, n) + `) x GROUP BY x.kind ORDER BY x.kind`
	var out []InboxCount
	if err := selectPrepared(ctx, db, &out, query, args...); err != nil {
		return nil, fmt.Errorf("inbox counts: %w", err)
	}
	return out, nil
}

// CancelTask closes an open task as cancelled; changed is false when it was not open.
func CancelTask(ctx context.Context, tx sqlx.ExtContext, id string, at time.Time) (Task, bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE tasks SET status = 'cancelled', completed_at = $2 WHERE id = $1 AND status = 'open'`, id, at)
	if err != nil {
		return Task{}, false, fmt.Errorf("cancel task %s: %w", id, err)
	}
	n, _ := res.RowsAffected()
	t, err := TaskByID(ctx, tx, id)
	return t, n == 1, err
}

// OpenTaskOf finds the open task of a kind about a subject.
func OpenTaskOf(ctx context.Context, db sqlx.ExtContext, subjectType, subjectID string, kind domain.TaskKind) (Task, error) {
	var t Task
	err := sqlx.GetContext(ctx, db, &t, `SELECT `+taskColumns+` FROM tasks t JOIN units u ON u.id = t.unit_id
WHERE t.subject_type = $1 AND t.subject_id = $2 AND t.kind = $3 AND t.status = 'open' ORDER BY t.created_at DESC LIMIT 1`,
		subjectType, subjectID, string(kind))
	if err != nil {
		return t, fmt.Errorf("open %s task of %s %s: %w", kind, subjectType, subjectID, mapError(err))
	}
	return t, nil
}

// RemindersSent counts the reminders each assigned matter's assignee was sent
// (by its ladder or by hand).
func RemindersSent(ctx context.Context, db sqlx.ExtContext, assignmentIDs []int64) (map[int64]int, error) {
	out := map[int64]int{}
	if len(assignmentIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		ID    int64 `db:"id"`
		Count int   `db:"n"`
	}
	err := sqlx.SelectContext(ctx, db, &rows, `SELECT t.subject_id::bigint AS id, count(*) AS n FROM outbox o JOIN tasks t ON t.id = o.task_id
WHERE o.kind = 'remind' AND t.subject_type = 'assignment' AND t.subject_id = ANY($1::text[]) GROUP BY t.subject_id`, pq.Array(idsText(assignmentIDs)))
	if err != nil {
		return nil, fmt.Errorf("reminders sent: %w", mapError(err))
	}
	for _, r := range rows {
		out[r.ID] = r.Count
	}
	return out, nil
}

func idsText(ids []int64) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strconv.FormatInt(id, 10)
	}
	return out
}

// TaskHistory is what a task's page shows beside the task: its audit trail
// (with its subject's), its comments, its newest notifications.
type TaskHistory struct {
	// Audit holds the entries in log order, without their chain, link, key
	// and hashes (AuditFor reads those).
	Audit         []AuditEntry
	Comments      []Comment
	Notifications []Notification
}

// TaskPage is a task with what its page shows beside it, read in one query.
type TaskPage struct {
	Task    Task
	History TaskHistory
	// Assignment is the task's subject when that is an assigned matter (nil otherwise).
	Assignment *Assignment
}

// historyRow holds a task's history as TaskPageOf reads it: the rows
// AuditFor, Comments and NotificationsFor answer, each list aggregated as
// JSON by PostgreSQL.
type historyRow struct {
	Audit         []byte `db:"h_audit"`
	Comments      []byte `db:"h_comments"`
	Notifications []byte `db:"h_notifications"`
}

func (row historyRow) decode() (TaskHistory, error) {
	var audit []struct {
		AuditEntry
		// Raw, so a SQL null stays an absent document as AuditFor reads it.
		Before json.RawMessage `json:"before"`
		After  json.RawMessage `json:"after"`
	}
	var h TaskHistory
	if err := json.Unmarshal(row.Audit, &audit); err != nil {
		return h, fmt.Errorf("audit: %w", err)
	}
	if err := json.Unmarshal(row.Comments, &h.Comments); err != nil {
		return h, fmt.Errorf("comments: %w", err)
	}
	if err := json.Unmarshal(row.Notifications, &h.Notifications); err != nil {
		return h, fmt.Errorf("notifications: %w", err)
	}
	document := func(raw json.RawMessage) JSON {
		if len(raw) == 0 || string(raw) == "null" {
			return nil
		}
		return JSON(raw)
	}
	h.Audit = make([]AuditEntry, len(audit))
	for i, a := range audit {
		h.Audit[i] = a.AuditEntry
		h.Audit[i].Before, h.Audit[i].After = document(a.Before), document(a.After)
	}
	return h, nil
}

// TaskPageOf reads a task, its history (at most notes notifications, newest
// first) and its assigned matter in one query: the task's page, one round
// trip where it took three.
func TaskPageOf(ctx context.Context, db sqlx.ExtContext, id string, notes int) (TaskPage, error) {
	var row struct {
		Task
		historyRow
		Assignment []byte `db:"h_assignment"`
	}
	err := getPrepared(ctx, db, &row, `SELECT `+taskColumns+`,
 (SELECT coalesce(json_agg(a ORDER BY a.seq), '[]') FROM (
    SELECT seq, at, actor, action, subject_type, subject_id, task_id, unit_id, before, after FROM audit_log
    WHERE task_id = t.id OR (subject_type = t.subject_type AND subject_id = t.subject_id)) a) AS h_audit,
 (SELECT coalesce(json_agg(c ORDER BY c.id), '[]') FROM (
    SELECT c.id, c.task_id, c.person_id, p.name AS person_name, c.body, c.created_at
    FROM task_comments c JOIN people p ON p.id = c.person_id WHERE c.task_id = t.id) c) AS h_comments,
 (SELECT coalesce(json_agg(n ORDER BY n.id DESC), '[]') FROM (
    SELECT id, unit_id, task_id, kind, title, body, status, attempts, created_at, sent_at FROM outbox
    WHERE task_id = t.id ORDER BY id DESC LIMIT $2) n) AS h_notifications,
 (SELECT row_to_json(x) FROM (SELECT `+assignmentColumns+` FROM assignments
    WHERE t.subject_type = 'assignment'
      AND id = CASE WHEN t.subject_id ~ '^[0-9]{1,18}$' THEN t.subject_id::bigint END) x) AS h_assignment
FROM tasks t JOIN units u ON u.id = t.unit_id WHERE t.id = $1`, id, notes)
	if err != nil {
		return TaskPage{}, fmt.Errorf("task %s: %w", id, mapError(err))
	}
	page := TaskPage{Task: row.Task}
	if page.History, err = row.historyRow.decode(); err != nil {
		return page, fmt.Errorf("history of task %s: %w", id, err)
	}
	if row.Assignment != nil {
		var a Assignment
		if err := json.Unmarshal(row.Assignment, &a); err != nil {
			return page, fmt.Errorf("assignment of task %s: %w", id, err)
		}
		page.Assignment = &a
	}
	return page, nil
}
