package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/internal/domain"
)

// Plan is a campaign plan (方案).
type Plan struct {
	ID              int64      `db:"id" json:"id"`
	CampaignID      string     `db:"campaign_id" json:"campaign_id"`
	Kind            string     `db:"kind" json:"kind"`
	Title           string     `db:"title" json:"title"`
	CommitteeUnitID *int64     `db:"committee_unit_id" json:"committee_unit_id,omitempty"`
	CreatedAt       time.Time  `db:"created_at" json:"created_at"`
	Tasks           []PlanTask `db:"-" json:"tasks"`
}

// PlanTask is one task of a plan, with its four clears.
type PlanTask struct {
	ID          int64         `db:"id" json:"id"`
	PlanID      int64         `db:"plan_id" json:"plan_id"`
	Content     string        `db:"content" json:"content"`
	OwnerUnitID int64         `db:"owner_unit_id" json:"owner_unit_id"`
	OwnerCode   string        `db:"owner_code" json:"owner_code"`
	OwnerName   string        `db:"owner_name" json:"owner_name"`
	Deadline    time.Time     `db:"deadline" json:"deadline"`
	Measures    string        `db:"measures" json:"measures"`
	Status      domain.Status `db:"status" json:"status"`
	DoneAt      *time.Time    `db:"done_at" json:"done_at,omitempty"`
	CreatedBy   string        `db:"created_by" json:"created_by"`
	CreatedAt   time.Time     `db:"created_at" json:"created_at"`
}

// UpsertPlan creates a plan (or returns the one with the same title) and answers its id.
func UpsertPlan(ctx context.Context, db sqlx.ExtContext, p Plan) (int64, error) {
	var id int64
	err := sqlx.GetContext(ctx, db, &id, `
INSERT INTO plans (campaign_id, kind, title, committee_unit_id) VALUES ($1, $2, $3, $4)
ON CONFLICT (campaign_id, title) DO UPDATE SET kind = EXCLUDED.kind, committee_unit_id = EXCLUDED.committee_unit_id
RETURNING id`, p.CampaignID, p.Kind, p.Title, p.CommitteeUnitID)
	if err != nil {
		return 0, fmt.Errorf("plan %s: %w", p.Title, mapError(err))
	}
	return id, nil
}

// PlanByID loads a plan without its tasks.
func PlanByID(ctx context.Context, db sqlx.ExtContext, id int64) (Plan, error) {
	var p Plan
	if err := sqlx.GetContext(ctx, db, &p, `SELECT id, campaign_id, kind, title, committee_unit_id, created_at FROM plans WHERE id = $1`, id); err != nil {
		return p, fmt.Errorf("plan %d: %w", id, mapError(err))
	}
	return p, nil
}

const planTaskColumns = `t.id, t.plan_id, t.content, t.owner_unit_id, u.code AS owner_code, u.name AS owner_name, t.deadline, t.measures,
t.status, t.done_at, t.created_by, t.created_at`

// PlanWithTasks loads a plan and its tasks.
func PlanWithTasks(ctx context.Context, db sqlx.ExtContext, id int64) (Plan, error) {
	p, err := PlanByID(ctx, db, id)
	if err != nil {
		return p, err
	}
	if err := sqlx.SelectContext(ctx, db, &p.Tasks, `SELECT `+planTaskColumns+` FROM plan_tasks t JOIN units u ON u.id = t.owner_unit_id
WHERE t.plan_id = $1 ORDER BY t.deadline, t.id`, id); err != nil {
		return p, fmt.Errorf("tasks of plan %d: %w", id, err)
	}
	if p.Tasks == nil {
		p.Tasks = []PlanTask{}
	}
	return p, nil
}

// Plans lists a campaign's plans with their tasks.
func Plans(ctx context.Context, db sqlx.ExtContext, campaignID string) ([]Plan, error) {
	var plans []Plan
	if err := sqlx.SelectContext(ctx, db, &plans, `SELECT id, campaign_id, kind, title, committee_unit_id, created_at FROM plans
WHERE campaign_id = $1 ORDER BY CASE kind WHEN 'overall' THEN 0 WHEN 'thematic' THEN 1 ELSE 2 END, id`, campaignID); err != nil {
		return nil, fmt.Errorf("plans: %w", err)
	}
	var tasks []PlanTask
	if err := sqlx.SelectContext(ctx, db, &tasks, `SELECT `+planTaskColumns+` FROM plan_tasks t JOIN units u ON u.id = t.owner_unit_id
JOIN plans p ON p.id = t.plan_id WHERE p.campaign_id = $1 ORDER BY t.deadline, t.id`, campaignID); err != nil {
		return nil, fmt.Errorf("plan tasks: %w", err)
	}
	byPlan := map[int64][]PlanTask{}
	for _, t := range tasks {
		byPlan[t.PlanID] = append(byPlan[t.PlanID], t)
	}
	for i := range plans {
		plans[i].Tasks = byPlan[plans[i].ID]
		if plans[i].Tasks == nil {
			plans[i].Tasks = []PlanTask{}
		}
	}
	return plans, nil
}

// NextPlanTaskID reserves a plan task id, so its workflow id is known before anything is written.
func NextPlanTaskID(ctx context.Context, db sqlx.ExtContext) (int64, error) {
	var id int64
	if err := sqlx.GetContext(ctx, db, &id, `SELECT nextval('plan_tasks_id_seq')`); err != nil {
		return 0, fmt.Errorf("plan task id: %w", err)
	}
	return id, nil
}

// InsertPlanTask writes a plan task.
func InsertPlanTask(ctx context.Context, db sqlx.ExtContext, t PlanTask) error {
	_, err := UpsertPlanTask(ctx, db, t)
	return err
}

// UpsertPlanTask writes a plan task once per id: it answers false when the row
// exists (its process writes it too, in case the API's transaction did not commit).
func UpsertPlanTask(ctx context.Context, db sqlx.ExtContext, t PlanTask) (bool, error) {
	created := t.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	res, err := db.ExecContext(ctx, `INSERT INTO plan_tasks (id, plan_id, content, owner_unit_id, deadline, measures, created_by, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`, t.ID, t.PlanID, t.Content, t.OwnerUnitID, t.Deadline, t.Measures, t.CreatedBy, created)
	if err != nil {
		return false, fmt.Errorf("plan task: %w", mapError(err))
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// PlanTaskByID loads a plan task.
func PlanTaskByID(ctx context.Context, db sqlx.ExtContext, id int64) (PlanTask, error) {
	var t PlanTask
	if err := sqlx.GetContext(ctx, db, &t, `SELECT `+planTaskColumns+` FROM plan_tasks t JOIN units u ON u.id = t.owner_unit_id WHERE t.id = $1`, id); err != nil {
		return t, fmt.Errorf("plan task %d: %w", id, mapError(err))
	}
	return t, nil
}

// MarkPlanTaskDone records a plan task done; changed is false when it already was.
func MarkPlanTaskDone(ctx context.Context, tx sqlx.ExtContext, id int64, at time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE plan_tasks SET status = 'done', done_at = $2 WHERE id = $1 AND status = 'open'`, id, at)
	if err != nil {
		return false, fmt.Errorf("plan task %d: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// OpenPlanTaskTitles lists the contents of the open plan tasks a unit owns, for its monthly report.
func OpenPlanTaskTitles(ctx context.Context, db sqlx.ExtContext, campaignID string, unitID int64) ([]string, error) {
	var out []string
	err := sqlx.SelectContext(ctx, db, &out, `SELECT t.content FROM plan_tasks t JOIN plans p ON p.id = t.plan_id
WHERE p.campaign_id = $1 AND t.owner_unit_id = $2 AND t.status = 'open' ORDER BY t.deadline, t.id`, campaignID, unitID)
	if err != nil {
		return nil, fmt.Errorf("plan tasks of unit %d: %w", unitID, err)
	}
	return out, nil
}
