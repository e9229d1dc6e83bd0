package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/zeren-county/zeren/internal/domain"
)

// Meeting is a meeting of the county's bodies with its decisions (议定事项).
type Meeting struct {
	ID              int64          `db:"id" json:"id"`
	Kind            string         `db:"kind" json:"kind"`
	Title           string         `db:"title" json:"title"`
	HeldOn          Date           `db:"held_on" json:"held_on"`
	OrganiserUnitID int64          `db:"organiser_unit_id" json:"organiser_unit_id"`
	OrganiserCode   string         `db:"organiser_code" json:"organiser_code"`
	OrganiserName   string         `db:"organiser_name" json:"organiser_name"`
	ChairID         int64          `db:"chair_id" json:"chair_id"`
	ChairName       string         `db:"chair_name" json:"chair_name"`
	Attendees       pq.StringArray `db:"attendees" json:"attendees"`
	Topics          pq.StringArray `db:"topics" json:"topics"`
	Minutes         string         `db:"minutes" json:"minutes"`
	CampaignID      *string        `db:"campaign_id" json:"campaign_id,omitempty"`
	MinutesTask     *string        `db:"minutes_task" json:"minutes_task,omitempty"`
	CreatedBy       int64          `db:"created_by" json:"created_by"`
	CreatedAt       time.Time      `db:"created_at" json:"created_at"`
	Key             *string        `db:"idempotency_key" json:"-"`
	Decisions       []Decision     `db:"-" json:"decisions"`
	// DecisionCount and Open: how many decisions the meeting made and how many are not yet approved.
	DecisionCount int `db:"decision_count" json:"decision_count"`
	OpenDecisions int `db:"open_decisions" json:"open_decisions"`
}

// Decision is one decision of a meeting and the state of the assigned matter it became.
type Decision struct {
	Seq          int       `db:"seq" json:"seq"`
	Content      string    `db:"content" json:"content"`
	UnitID       int64     `db:"unit_id" json:"unit_id"`
	UnitCode     string    `db:"unit_code" json:"unit_code"`
	UnitName     string    `db:"unit_name" json:"unit_name"`
	DueAt        time.Time `db:"due_at" json:"due_at"`
	AssignmentID int64     `db:"assignment_id" json:"assignment_id"`
	// Status is the assigned matter's: open, submitted, returned or approved.
	Status string `db:"status" json:"status"`
}

// InsertMeeting records a meeting once per idempotency key (and once per
// minutes task): it answers the meeting's id and whether this call recorded it.
func InsertMeeting(ctx context.Context, tx *sqlx.Tx, m Meeting) (int64, bool, error) {
	if m.Attendees == nil {
		m.Attendees = pq.StringArray{}
	}
	if m.Topics == nil {
		m.Topics = pq.StringArray{}
	}
	var id int64
	err := sqlx.GetContext(ctx, tx, &id, `INSERT INTO meetings (kind, title, held_on, organiser_unit_id, chair_id, attendees, topics,
    minutes, campaign_id, minutes_task, created_by, idempotency_key)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING RETURNING id`,
		m.Kind, m.Title, m.HeldOn.Time, m.OrganiserUnitID, m.ChairID, m.Attendees, m.Topics, m.Minutes, m.CampaignID, m.MinutesTask,
		m.CreatedBy, m.Key)
	if errors.Is(err, sql.ErrNoRows) {
		err = sqlx.GetContext(ctx, tx, &id, `SELECT id FROM meetings WHERE idempotency_key = $1 OR minutes_task = $2 ORDER BY id LIMIT 1`,
			m.Key, m.MinutesTask)
		return id, false, mapError(err)
	}
	if err != nil {
		return 0, false, fmt.Errorf("insert meeting: %w", mapError(err))
	}
	return id, true, nil
}

// MeetingByKey finds the meeting a request key recorded (or that answers a minutes task).
func MeetingByKey(ctx context.Context, db sqlx.ExtContext, key, minutesTask *string) (int64, error) {
	var id int64
	err := sqlx.GetContext(ctx, db, &id, `SELECT id FROM meetings WHERE idempotency_key = $1 OR minutes_task = $2 ORDER BY id LIMIT 1`, key, minutesTask)
	return id, mapError(err)
}

// InsertDecision records a decision and the assigned matter it became.
func InsertDecision(ctx context.Context, tx *sqlx.Tx, meetingID int64, d Decision) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO meeting_decisions (meeting_id, seq, content, unit_id, due_at, assignment_id)
VALUES ($1, $2, $3, $4, $5, $6)`, meetingID, d.Seq, d.Content, d.UnitID, d.DueAt, d.AssignmentID)
	if err != nil {
		return fmt.Errorf("insert decision: %w", mapError(err))
	}
	return nil
}

const meetingColumns = `m.id, m.kind, m.title, m.held_on, m.organiser_unit_id, o.code AS organiser_code, o.name AS organiser_name,
    m.chair_id, c.name AS chair_name, m.attendees, m.topics, m.minutes, m.campaign_id, m.minutes_task, m.created_by, m.created_at,
    m.idempotency_key,
    (SELECT count(*) FROM meeting_decisions d WHERE d.meeting_id = m.id) AS decision_count,
    (SELECT count(*) FROM meeting_decisions d JOIN assignments a ON a.id = d.assignment_id
      WHERE d.meeting_id = m.id AND a.status <> 'approved') AS open_decisions`

const meetingFrom = ` FROM meetings m JOIN units o ON o.id = m.organiser_unit_id JOIN people c ON c.id = m.chair_id`

// MeetingByID reads a meeting with its decisions and their states. From a
// pool it reads them in one snapshot, so that the meeting's counts agree with
// its decisions' states even while one of them changes.
func MeetingByID(ctx context.Context, db sqlx.ExtContext, id int64) (Meeting, error) {
	pool, ok := db.(*sqlx.DB)
	if !ok {
		return meetingByID(ctx, db, id)
	}
	var m Meeting
	err := snapshot(ctx, pool, func(tx *sqlx.Tx) (err error) {
		m, err = meetingByID(ctx, tx, id)
		return err
	})
	return m, err
}

// meetingByID reads a meeting and its decisions, each statement as of its own start.
func meetingByID(ctx context.Context, db sqlx.ExtContext, id int64) (Meeting, error) {
	var m Meeting
	if err := sqlx.GetContext(ctx, db, &m, `SELECT `+meetingColumns+meetingFrom+` WHERE m.id = $1`, id); err != nil {
		return m, fmt.Errorf("meeting %d: %w", id, mapError(err))
	}
	m.Decisions = []Decision{}
	err := sqlx.SelectContext(ctx, db, &m.Decisions, `SELECT d.seq, d.content, d.unit_id, u.code AS unit_code, u.name AS unit_name,
    d.due_at, d.assignment_id, a.status
FROM meeting_decisions d JOIN units u ON u.id = d.unit_id JOIN assignments a ON a.id = d.assignment_id
WHERE d.meeting_id = $1 ORDER BY d.seq`, id)
	if err != nil {
		return m, fmt.Errorf("meeting %d decisions: %w", id, err)
	}
	return m, nil
}

// MeetingQuery filters the meeting list.
type MeetingQuery struct {
	Kind  string
	Year  int
	Limit int
	// Units, when set, keeps the meetings these units organised or have a decision of.
	Units []int64
}

// Meetings lists meetings, the latest held first.
func Meetings(ctx context.Context, db sqlx.ExtContext, q MeetingQuery) ([]Meeting, error) {
	if q.Limit <= 0 {
		q.Limit = 200
	}
	out := []Meeting{}
	err := sqlx.SelectContext(ctx, db, &out, `SELECT `+meetingColumns+meetingFrom+`
WHERE ($1 = '' OR m.kind = $1) AND ($2 = 0 OR extract(year FROM m.held_on) = $2)
  AND ($4::bigint[] IS NULL OR m.organiser_unit_id = ANY($4)
       OR EXISTS (SELECT 1 FROM meeting_decisions d WHERE d.meeting_id = m.id AND d.unit_id = ANY($4)))
ORDER BY m.held_on DESC, m.id DESC LIMIT $3`, q.Kind, q.Year, q.Limit, units(q.Units))
	if err != nil {
		return nil, fmt.Errorf("meetings: %w", err)
	}
	for i := range out {
		out[i].Decisions = []Decision{}
	}
	return out, nil
}

// MeetingOfAssignment answers the meeting an assigned matter was decided at
// (found false for a matter of no meeting).
func MeetingOfAssignment(ctx context.Context, db sqlx.ExtContext, assignmentID int64) (Meeting, bool, error) {
	var id int64
	err := sqlx.GetContext(ctx, db, &id, `SELECT meeting_id FROM meeting_decisions WHERE assignment_id = $1`, assignmentID)
	if errors.Is(err, sql.ErrNoRows) {
		return Meeting{}, false, nil
	}
	if err != nil {
		return Meeting{}, false, err
	}
	m, err := MeetingByID(ctx, db, id)
	return m, err == nil, err
}

// statsMeetingsSQL counts the meetings a statistics query chooses: held in
// its period (days, inclusive), of its campaign, organised by its unit (the
// sector and the inspection filters do not apply), by kind and year.
var statsMeetingsSQL = statsParams + `
SELECT m.kind, extract(year FROM m.held_on)::int AS year, count(*) AS n,
    coalesce(sum((SELECT count(*) FROM meeting_decisions d WHERE d.meeting_id = m.id)), 0) AS decisions,
    coalesce(sum((SELECT count(*) FROM meeting_decisions d JOIN assignments a ON a.id = d.assignment_id
      WHERE d.meeting_id = m.id AND a.status <> 'approved')), 0) AS open
FROM meetings m, q
WHERE ` + statsDay("m.held_on") + `
  AND (q.campaign_id IS NULL OR m.campaign_id = q.campaign_id) AND (q.unit_id IS NULL OR m.organiser_unit_id = q.unit_id)
GROUP BY m.kind, year`

// meetingStats counts the meetings a statistics query chooses (statsMeetingsSQL).
func meetingStats(ctx context.Context, db sqlx.ExtContext, q StatsQuery) (MeetingStats, error) {
	st := MeetingStats{ByKind: map[string]int{}, ByYear: map[string]map[string]int{}}
	for _, k := range domain.MeetingKinds {
		st.ByKind[k] = 0
	}
	rows := []struct {
		Kind      string `db:"kind"`
		Year      int    `db:"year"`
		N         int    `db:"n"`
		Decisions int    `db:"decisions"`
		Open      int    `db:"open"`
	}{}
	if err := sqlx.SelectContext(ctx, db, &rows, statsMeetingsSQL, q.args()...); err != nil {
		return st, fmt.Errorf("statistics: meetings: %w", err)
	}
	for _, r := range rows {
		st.ByKind[r.Kind] += r.N
		year := strconv.Itoa(r.Year)
		if st.ByYear[year] == nil {
			st.ByYear[year] = map[string]int{}
			for _, k := range domain.MeetingKinds {
				st.ByYear[year][k] = 0
			}
		}
		st.ByYear[year][r.Kind] = r.N
		st.Held += r.N
		st.Decisions += r.Decisions
		st.OpenDecisions += r.Open
	}
	return st, nil
}

// units is a unit filter as a parameter: NULL for none.
func units(ids []int64) any {
	if ids == nil {
		return nil
	}
	return pq.Array(ids)
}
