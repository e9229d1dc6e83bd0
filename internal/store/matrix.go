package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/internal/domain"
)

// ReportGrid is a campaign's report matrix, as ReportMatrix answers it (Go
// allows the type and the function no common name): its monthly reports as the
// dashboard shows them, one row per reporting unit, one cell per month.
type ReportGrid struct {
	CampaignID   string `json:"campaign_id"`
	CampaignName string `json:"campaign_name"`
	TimeZone     string `json:"time_zone"`
	// Periods are the months ('YYYY-MM') from the campaign's first month to
	// the latest month that has any report, in order; empty before the first
	// month's reports exist.
	Periods []string `json:"periods"`
	// Rows are the reporting units, departments then towns then enterprises,
	// each kind in the order the units were registered (unit id).
	Rows []MatrixRow `json:"rows"`
}

// MatrixRow is one unit's months.
type MatrixRow struct {
	Unit MatrixUnit `json:"unit"`
	// Cells holds one cell per period, in the order of ReportGrid.Periods.
	Cells []MatrixCell `json:"cells"`
}

// MatrixUnit is the unit a row is about.
type MatrixUnit struct {
	ID   int64           `json:"id"`
	Code string          `json:"code"`
	Name string          `json:"name"`
	Kind domain.UnitKind `json:"kind"`
}

// MatrixCell is one unit's report of one month, or its absence (Missing:
// no report row exists for the unit and month).
type MatrixCell struct {
	Period  string `json:"period"`
	Missing bool   `json:"missing"`
	// Status is the report's status (due, submitted, returned, accepted);
	// zero when Missing.
	Status domain.Status `json:"status"`
	// Late: the report was accepted after its deadline (late_seconds > 0).
	Late        bool       `json:"late"`
	LateSeconds int64      `json:"late_seconds,omitempty"`
	ReportID    string     `json:"report_id,omitempty"`
	DueAt       *time.Time `json:"due_at,omitempty"`
	// TaskID is the report's open task (submit or review), else its latest
	// task; "" when it has none. TaskKind and TaskOpen describe it.
	TaskID   string `json:"task_id,omitempty"`
	TaskKind string `json:"task_kind,omitempty"`
	TaskOpen bool   `json:"task_open,omitempty"`
}

// MatrixMissing is the State of a cell without a report.
const MatrixMissing = "missing"

// State is the cell's report status name, or MatrixMissing.
func (c MatrixCell) State() string {
	if c.Missing {
		return MatrixMissing
	}
	return c.Status.String()
}

type matrixReport struct {
	ID          string        `db:"id"`
	UnitID      int64         `db:"unit_id"`
	Period      string        `db:"period"`
	Status      domain.Status `db:"status"`
	DueAt       time.Time     `db:"due_at"`
	LateSeconds *int64        `db:"late_seconds"`
	TaskID      *string       `db:"task_id"`
	TaskKind    *string       `db:"task_kind"`
	TaskStatus  *string       `db:"task_status"`
}

// ReportMatrix answers the report matrix of a campaign: every participating
// department, town and enterprise (and any other unit with a report in the
// campaign) × every month from the campaign's first month (or its earliest
// report, if earlier) to the latest month with a report. An unknown campaign
// is domain.ErrNotFound.
func ReportMatrix(ctx context.Context, db sqlx.ExtContext, campaignID string) (ReportGrid, error) {
	c, err := CampaignByID(ctx, db, campaignID)
	if err != nil {
		return ReportGrid{}, err
	}
	m := ReportGrid{CampaignID: c.ID, CampaignName: c.Name, TimeZone: c.TimeZone, Periods: []string{}, Rows: []MatrixRow{}}
	units, err := selectUnits(ctx, db, "report matrix units of "+campaignID, `
SELECT u.id, u.code, u.name, u.kind, u.parent_id FROM units u
WHERE (u.kind IN ('department', 'town', 'enterprise')
       AND EXISTS (SELECT 1 FROM campaign_participants p WHERE p.campaign_id = $1 AND p.unit_id = u.id))
   OR EXISTS (SELECT 1 FROM reports r WHERE r.campaign_id = $1 AND r.unit_id = u.id)
ORDER BY array_position(ARRAY['department', 'town', 'enterprise'], u.kind) NULLS LAST, u.id`, campaignID)
	if err != nil {
		return m, err
	}
	var reports []matrixReport
	err = sqlx.SelectContext(ctx, db, &reports, `
SELECT r.id, r.unit_id, r.period, r.status, r.due_at, r.late_seconds, t.id AS task_id, t.kind AS task_kind, t.status AS task_status
FROM reports r
LEFT JOIN LATERAL (
    SELECT id, kind, status FROM tasks
    WHERE subject_type = $2 AND subject_id = r.id
    ORDER BY (status = 'open') DESC, created_at DESC, id DESC LIMIT 1
) t ON true
WHERE r.campaign_id = $1
ORDER BY r.unit_id, r.period`, campaignID, domain.SubjectReport)
	if err != nil {
		return m, fmt.Errorf("report matrix of %s: %w", campaignID, err)
	}
	first := c.StartsOn.Format("2006-01")
	last := ""
	for _, r := range reports {
		first = min(first, r.Period)
		last = max(last, r.Period)
	}
	if last != "" && last >= first {
		m.Periods, err = monthsBetween(first, last)
		if err != nil {
			return m, err
		}
	}
	col := make(map[string]int, len(m.Periods))
	for i, p := range m.Periods {
		col[p] = i
	}
	row := make(map[int64]int, len(units))
	for _, u := range units {
		r := MatrixRow{Unit: MatrixUnit{ID: u.ID, Code: u.Code, Name: u.Name, Kind: u.Kind}, Cells: make([]MatrixCell, len(m.Periods))}
		for i, p := range m.Periods {
			r.Cells[i] = MatrixCell{Period: p, Missing: true}
		}
		row[u.ID] = len(m.Rows)
		m.Rows = append(m.Rows, r)
	}
	for _, r := range reports {
		i, ok := row[r.UnitID]
		if !ok {
			continue
		}
		cell := MatrixCell{Period: r.Period, Status: r.Status, ReportID: r.ID, DueAt: &r.DueAt}
		if r.LateSeconds != nil && *r.LateSeconds > 0 {
			cell.Late, cell.LateSeconds = true, *r.LateSeconds
		}
		if r.TaskID != nil {
			cell.TaskID, cell.TaskKind = *r.TaskID, *r.TaskKind
			cell.TaskOpen = *r.TaskStatus == domain.TaskOpen.String()
		}
		m.Rows[i].Cells[col[r.Period]] = cell
	}
	return m, nil
}

// monthsBetween lists the months from first to last ('YYYY-MM'), both included.
func monthsBetween(first, last string) ([]string, error) {
	from, err := time.Parse("2006-01", first)
	if err != nil {
		return nil, fmt.Errorf("month %q: %w", first, err)
	}
	to, err := time.Parse("2006-01", last)
	if err != nil {
		return nil, fmt.Errorf("month %q: %w", last, err)
	}
	var out []string
	for m := from; !m.After(to); m = m.AddDate(0, 1, 0) {
		out = append(out, m.Format("2006-01"))
	}
	return out, nil
}
