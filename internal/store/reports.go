package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/zeren-county/zeren/internal/domain"
)

// Report is a unit's monthly progress report.
type Report struct {
	ID            string        `db:"id" json:"id"`
	CampaignID    string        `db:"campaign_id" json:"campaign_id"`
	UnitID        int64         `db:"unit_id" json:"unit_id"`
	UnitCode      string        `db:"unit_code" json:"unit_code"`
	UnitName      string        `db:"unit_name" json:"unit_name"`
	Period        string        `db:"period" json:"period"`
	Status        domain.Status `db:"status" json:"status"`
	DueAt         time.Time     `db:"due_at" json:"due_at"`
	Round         int           `db:"round" json:"round"`
	Figures       JSON          `db:"figures" json:"figures,omitempty"`
	Progress      JSON          `db:"progress" json:"progress,omitempty"`
	Problems      *string       `db:"problems" json:"problems,omitempty"`
	NextSteps     *string       `db:"next_steps" json:"next_steps,omitempty"`
	SubmittedAt   *time.Time    `db:"submitted_at" json:"submitted_at,omitempty"`
	SubmittedBy   *string       `db:"submitted_by" json:"submitted_by,omitempty"`
	AcceptedAt    *time.Time    `db:"accepted_at" json:"accepted_at,omitempty"`
	AcceptedBy    *string       `db:"accepted_by" json:"accepted_by,omitempty"`
	LateSeconds   *int64        `db:"late_seconds" json:"late_seconds,omitempty"`
	ReturnComment *string       `db:"return_comment" json:"return_comment,omitempty"`
	CreatedAt     time.Time     `db:"created_at" json:"created_at"`
	UpdatedAt     time.Time     `db:"updated_at" json:"updated_at"`

	// RecordedFigures are the figures the unit's records held for the period
	// when it last submitted (RecordedFigures), kept beside those it submitted.
	RecordedFigures JSON `db:"recorded_figures" json:"recorded_figures,omitempty"`
	// Corrections are the figures submitted that differ from those recorded
	// (domain.Corrections); empty before a submission.
	Corrections []domain.Correction `db:"-" json:"corrections"`
}

const reportColumns = `r.id, r.campaign_id, r.unit_id, u.code AS unit_code, u.name AS unit_name, r.period, r.status, r.due_at, r.round,
r.figures, r.recorded_figures, r.progress, r.problems, r.next_steps, r.submitted_at, r.submitted_by, r.accepted_at, r.accepted_by, r.late_seconds,
r.return_comment, r.created_at, r.updated_at`

// InsertReport writes a report that is due, once per id.
func InsertReport(ctx context.Context, db sqlx.ExtContext, spec domain.ReportSpec, at time.Time) (bool, error) {
	res, err := db.ExecContext(ctx, `
INSERT INTO reports (id, campaign_id, unit_id, period, due_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)
ON CONFLICT (id) DO NOTHING`, spec.ID, spec.CampaignID, spec.UnitID, spec.Period, spec.DueAt, at)
	if err != nil {
		return false, fmt.Errorf("report %s: %w", spec.ID, mapError(err))
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ReportByID loads one report.
func ReportByID(ctx context.Context, db sqlx.ExtContext, id string) (Report, error) {
	var r Report
	if err := sqlx.GetContext(ctx, db, &r, `SELECT `+reportColumns+` FROM reports r JOIN units u ON u.id = r.unit_id WHERE r.id = $1`, id); err != nil {
		return r, fmt.Errorf("report %s: %w", id, mapError(err))
	}
	return r, r.correct()
}

// correct lists the corrected figures: those submitted that differ from those recorded.
func (r *Report) correct() error {
	r.Corrections = []domain.Correction{}
	if len(r.Figures) == 0 || len(r.RecordedFigures) == 0 {
		return nil
	}
	var submitted, recorded domain.Figures
	if err := json.Unmarshal(r.Figures, &submitted); err != nil {
		return fmt.Errorf("report %s figures: %w", r.ID, err)
	}
	if err := json.Unmarshal(r.RecordedFigures, &recorded); err != nil {
		return fmt.Errorf("report %s recorded figures: %w", r.ID, err)
	}
	r.Corrections = domain.Corrections(submitted, recorded)
	return nil
}

// ReportUpdate is a step of a report: submitted, returned, accepted.
type ReportUpdate struct {
	ID      string
	Status  domain.Status
	Round   int
	By      string
	At      time.Time
	Report  *domain.Report
	Comment string
}

// UpdateReport applies a step and answers the report before and after.
func UpdateReport(ctx context.Context, tx sqlx.ExtContext, u ReportUpdate) (Report, Report, error) {
	before, err := ReportByID(ctx, tx, u.ID)
	if err != nil {
		return before, before, err
	}
	switch u.Status {
	case domain.ReportSubmitted:
		if u.Report == nil {
			return before, before, fmt.Errorf("report %s: submitted without content", u.ID)
		}
		figures, err := json.Marshal(u.Report.Figures)
		if err != nil {
			return before, before, fmt.Errorf("report %s figures: %w", u.ID, err)
		}
		list := u.Report.Progress
		if list == nil {
			list = []domain.Progress{}
		}
		progress, err := json.Marshal(list)
		if err != nil {
			return before, before, fmt.Errorf("report %s progress: %w", u.ID, err)
		}
		// The records' figures as of this submission, in its transaction, kept beside the submitted ones.
		recorded, err := ReportRecorded(ctx, tx, before)
		if err != nil {
			return before, before, err
		}
		records, err := json.Marshal(recorded)
		if err != nil {
			return before, before, fmt.Errorf("report %s recorded figures: %w", u.ID, err)
		}
		_, err = tx.ExecContext(ctx, `UPDATE reports SET status = $2, round = $3, updated_at = $4, submitted_at = $4, submitted_by = $5,
			figures = $6, progress = $7, problems = $8, next_steps = $9, recorded_figures = $10 WHERE id = $1`,
			u.ID, u.Status, u.Round, u.At, u.By, string(figures), string(progress), u.Report.Problems, u.Report.NextSteps, string(records))
	case domain.ReportReturned:
		_, err = tx.ExecContext(ctx, `UPDATE reports SET status = $2, round = $3, updated_at = $4, return_comment = $5 WHERE id = $1`,
			u.ID, u.Status, u.Round, u.At, u.Comment)
	case domain.ReportAccepted:
		_, err = tx.ExecContext(ctx, `UPDATE reports SET status = $2, round = $3, updated_at = $4, accepted_at = $4, accepted_by = $5,
			late_seconds = GREATEST(0, extract(epoch FROM $4::timestamptz - due_at))::bigint WHERE id = $1`, u.ID, u.Status, u.Round, u.At, u.By)
	default:
		return before, before, fmt.Errorf("report %s: unknown status %q", u.ID, u.Status)
	}
	if err != nil {
		return before, before, fmt.Errorf("report %s: %w", u.ID, err)
	}
	after, err := ReportByID(ctx, tx, u.ID)
	return before, after, err
}

// Readers says whose records a list answers: every unit's (All), or only
// those of Units.
type Readers struct {
	All   bool
	Units []int64
}

// Reports lists a campaign's reports of a period (or all periods when empty),
// of the units readers may read.
func Reports(ctx context.Context, db sqlx.ExtContext, campaignID, period string, readers Readers) ([]Report, error) {
	var out []Report
	units := readers.Units
	if units == nil {
		units = []int64{}
	}
	err := sqlx.SelectContext(ctx, db, &out, `SELECT `+reportColumns+` FROM reports r JOIN units u ON u.id = r.unit_id
WHERE r.campaign_id = $1 AND ($2 = '' OR r.period = $2) AND ($3 OR r.unit_id = ANY($4::bigint[]))
ORDER BY r.period, u.kind, u.id`, campaignID, period, readers.All, pq.Array(units))
	if err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	for i := range out {
		if err := out[i].correct(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ReportTally counts a month's reports: all, accepted, and accepted late.
type ReportTally struct {
	Reports  int `db:"reports"`
	Accepted int `db:"accepted"`
	Late     int `db:"late"`
}

// TallyReports counts a campaign month's reports.
func TallyReports(ctx context.Context, db sqlx.ExtContext, campaignID, period string) (ReportTally, error) {
	var t ReportTally
	err := sqlx.GetContext(ctx, db, &t, `SELECT count(*) AS reports, count(*) FILTER (WHERE status = 'accepted') AS accepted,
count(*) FILTER (WHERE status = 'accepted' AND late_seconds > 0) AS late FROM reports WHERE campaign_id = $1 AND period = $2`, campaignID, period)
	if err != nil {
		return t, fmt.Errorf("tally reports %s %s: %w", campaignID, period, err)
	}
	return t, nil
}

// OpenReports lists the ids of a campaign month's reports not yet accepted.
func OpenReports(ctx context.Context, db sqlx.ExtContext, campaignID, period string) ([]string, error) {
	var ids []string
	if err := sqlx.SelectContext(ctx, db, &ids, `SELECT id FROM reports WHERE campaign_id = $1 AND period = $2 AND status <> 'accepted' ORDER BY id`,
		campaignID, period); err != nil {
		return nil, fmt.Errorf("reports of %s %s: %w", campaignID, period, err)
	}
	return ids, nil
}

// ReportingUnits are the units that report monthly in a campaign: its
// participating departments, towns and enterprises.
func ReportingUnits(ctx context.Context, db sqlx.ExtContext, campaignID string) ([]domain.Unit, error) {
	return selectUnits(ctx, db, "reporting units", `SELECT u.id, u.code, u.name, u.kind, u.parent_id FROM units u
JOIN campaign_participants p ON p.unit_id = u.id AND p.campaign_id = $1
WHERE u.kind IN ('department', 'town', 'enterprise') ORDER BY u.id`, campaignID)
}

// AllReportingUnits lists every department, town and enterprise: a campaign's participants by default.
func AllReportingUnits(ctx context.Context, db sqlx.ExtContext) ([]domain.Unit, error) {
	return selectUnits(ctx, db, "reporting units", `SELECT id, code, name, kind, parent_id FROM units WHERE kind IN ('department', 'town', 'enterprise') ORDER BY id`)
}

// NoticeRow is a public notice as listed.
type NoticeRow struct {
	ID           int64         `db:"id" json:"id"`
	IssuerUnitID int64         `db:"issuer_unit_id" json:"issuer_unit_id"`
	IssuerName   string        `db:"issuer_name" json:"issuer_name"`
	UnitIDs      pq.Int64Array `db:"unit_ids" json:"unit_ids"`
	Reason       string        `db:"reason" json:"reason"`
	SubjectType  string        `db:"subject_type" json:"subject_type"`
	SubjectID    string        `db:"subject_id" json:"subject_id"`
	Published    bool          `db:"published" json:"published"`
	IssuedBy     string        `db:"issued_by" json:"issued_by"`
	CreatedAt    time.Time     `db:"created_at" json:"created_at"`
}

const noticeColumns = `n.id, n.issuer_unit_id, i.name AS issuer_name, n.unit_ids, n.reason, n.subject_type, n.subject_id, n.published, n.issued_by, n.created_at`

// NoticeByID loads one notice.
func NoticeByID(ctx context.Context, db sqlx.ExtContext, id int64) (NoticeRow, error) {
	var n NoticeRow
	if err := sqlx.GetContext(ctx, db, &n, `SELECT `+noticeColumns+` FROM notices n JOIN units i ON i.id = n.issuer_unit_id WHERE n.id = $1`, id); err != nil {
		return n, fmt.Errorf("notice %d: %w", id, mapError(err))
	}
	return n, nil
}

// Notices lists notices, newest first; unitID 0 lists all.
func Notices(ctx context.Context, db sqlx.ExtContext, unitID int64, limit int) ([]NoticeRow, error) {
	var out []NoticeRow
	err := sqlx.SelectContext(ctx, db, &out, `
SELECT `+noticeColumns+`
FROM notices n JOIN units i ON i.id = n.issuer_unit_id
WHERE n.published AND ($1 = 0 OR $1 = ANY(n.unit_ids)) ORDER BY n.created_at DESC, n.id DESC LIMIT $2`, unitID, limit)
	if err != nil {
		return nil, fmt.Errorf("notices: %w", err)
	}
	return out, nil
}

// ScoreEntry is one ledger line behind a unit's score.
type ScoreEntry struct {
	UnitID    int64     `db:"unit_id" json:"-"`
	Points    float64   `db:"points" json:"points"`
	Reason    string    `db:"reason" json:"reason"`
	Process   string    `db:"process" json:"process"`
	Rung      *int      `db:"rung" json:"rung,omitempty"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

// UnitScore is a unit's score in a year: the base plus its ledger entries.
type UnitScore struct {
	UnitID   int64        `json:"unit_id"`
	UnitCode string       `json:"unit_code"`
	UnitName string       `json:"unit_name"`
	Kind     string       `json:"kind"`
	Score    float64      `json:"score"`
	Rank     int          `json:"rank"`
	Entries  []ScoreEntry `json:"entries"`
}

// Scores computes every reporting unit's score for a campaign year from the
// ledger and ranks them within their kind, highest first, by the assessment's
// rule (ties share a rank: 1, 1, 3).
func Scores(ctx context.Context, db sqlx.ExtContext, campaignID string, year int, base float64) ([]UnitScore, error) {
	units, err := ReportingUnits(ctx, db, campaignID)
	if err != nil {
		return nil, err
	}
	var entries []ScoreEntry
	if err := sqlx.SelectContext(ctx, db, &entries, `SELECT unit_id, points::float8 AS points, reason, process, rung, created_at
FROM score_ledger WHERE campaign_id = $1 AND year = $2 ORDER BY id`, campaignID, year); err != nil {
		return nil, fmt.Errorf("scores: %w", err)
	}
	byUnit := map[int64][]ScoreEntry{}
	for _, e := range entries {
		byUnit[e.UnitID] = append(byUnit[e.UnitID], e)
	}
	out := make([]UnitScore, 0, len(units))
	for _, u := range units {
		s := UnitScore{UnitID: u.ID, UnitCode: u.Code, UnitName: u.Name, Kind: u.Kind.String(), Score: base, Entries: byUnit[u.ID]}
		if s.Entries == nil {
			s.Entries = []ScoreEntry{}
		}
		for _, e := range s.Entries {
			s.Score += e.Points
		}
		s.Score = math.Round(s.Score*100) / 100
		out = append(out, s)
	}
	out, ranks := domain.Rank(out, func(s UnitScore) domain.Standing {
		return domain.Standing{Kind: s.Kind, Score: s.Score, ID: s.UnitID}
	})
	for i := range out {
		out[i].Rank = ranks[i]
	}
	return out, nil
}
