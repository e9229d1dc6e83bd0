package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/internal/domain"
)

// Recorded figures (issue 13 point 7): the figures of a monthly report as one
// unit's records of inspections, visits, hazards, cases, stop orders and
// training sessions hold them for a period, so the report's form is prefilled
// with them; the unit confirms or corrects them, and at submission they are
// kept beside the figures it submitted (reports.recorded_figures).
//
// A unit's records are those it made and those of the production units in its
// charge: the unit itself when it is a production unit (a coal mine), the
// production units it supervises (production_units.supervisor_unit_id: a
// department's sector) and those in its territory (production_units.town_unit_id:
// a town's). Each record counts once, whichever of these makes it the unit's.

// recordedParams opens every recorded-figures query: the unit and the period
// as one row q, and the production units in the unit's charge.
const recordedParams = `WITH q AS (SELECT $1::bigint AS unit_id, $2::date AS from_on, $3::date AS to_on,
    $4::timestamptz AS from_at, $5::timestamptz AS to_at),
charge AS (SELECT p.unit_id FROM production_units p, q WHERE q.unit_id IN (p.unit_id, p.supervisor_unit_id, p.town_unit_id))
`

// The figures of recordedCountsSQL, one subquery each:
//
//   - inspections: inspections the unit made (body_unit_id) that started in
//     the period (starts_on);
//   - units_inspected: distinct units visited in the period (visited_on) by
//     the unit's inspections;
//   - violations_filed: cases filed in the period (filed_on) by the unit
//     (authority_id) or against it (a production unit's own cases);
//   - stop_orders: stop orders issued in the period (issued_at, from the first
//     instant of the first day to the first instant after the last) at a
//     production unit in the unit's charge, or issued by the unit — its issuer
//     a person of the unit, its case filed by the unit, or a hazard behind it
//     found by the unit (finder_unit_id, or its inspection's body);
//   - training_sessions: training sessions (安全培训) held in the period
//     (held_on) organised by the unit or by a production unit in its charge;
//   - people_trained (培训人次): the people those sessions trained (trained),
//     plus the people sent to training by 逢查必考 — those who failed,
//     examined − passed, summed over the visits in the period of enforcement
//     inspections the unit made or at production units in its charge. The two
//     sources are different records: a session is recorded by the unit that
//     organised it, a failed exam by the inspection that gave it, so nobody is
//     counted twice unless a unit records the re-training of the failed as a
//     session of its own.
const recordedCountsSQL = recordedParams + `SELECT
  (SELECT count(*) FROM inspections i WHERE i.body_unit_id = q.unit_id AND i.starts_on BETWEEN q.from_on AND q.to_on) AS inspections,
  (SELECT count(DISTINCT v.unit_id) FROM inspection_visits v JOIN inspections i ON i.id = v.inspection_id
    WHERE i.body_unit_id = q.unit_id AND v.visited_on BETWEEN q.from_on AND q.to_on) AS units_inspected,
  (SELECT count(*) FROM cases c WHERE q.unit_id IN (c.authority_id, c.unit_id) AND c.filed_on BETWEEN q.from_on AND q.to_on) AS violations_filed,
  (SELECT count(*) FROM stop_orders s WHERE s.issued_at >= q.from_at AND s.issued_at < q.to_at
    AND (s.unit_id IN (SELECT unit_id FROM charge)
         OR EXISTS (SELECT 1 FROM people p WHERE p.id = s.issued_by AND p.unit_id = q.unit_id)
         OR EXISTS (SELECT 1 FROM cases c WHERE c.id = s.case_id AND c.authority_id = q.unit_id)
         OR EXISTS (SELECT 1 FROM hazards h LEFT JOIN inspections i ON i.id = h.inspection_id
                    WHERE h.id = ANY (s.hazard_ids) AND q.unit_id IN (h.finder_unit_id, i.body_unit_id)))) AS stop_orders,
  (SELECT count(*) FROM trainings t WHERE t.held_on BETWEEN q.from_on AND q.to_on
    AND (t.unit_id = q.unit_id OR t.unit_id IN (SELECT unit_id FROM charge))) AS training_sessions,
  (SELECT COALESCE(sum(t.trained), 0) FROM trainings t WHERE t.held_on BETWEEN q.from_on AND q.to_on
    AND (t.unit_id = q.unit_id OR t.unit_id IN (SELECT unit_id FROM charge)))
  + (SELECT COALESCE(sum(v.examined - v.passed), 0) FROM inspection_visits v JOIN inspections i ON i.id = v.inspection_id
    WHERE i.kind = 'enforcement' AND v.visited_on BETWEEN q.from_on AND q.to_on
      AND (i.body_unit_id = q.unit_id OR v.unit_id IN (SELECT unit_id FROM charge))) AS people_trained
FROM q`

// recordedHazardsSQL counts, by source, the hazards found in the period
// (found_on) by the unit (finder_unit_id, or the body of the inspection that
// found it) or at a production unit in its charge (hazards_found), and of
// them those closed by the end of the period (status closed, closed_at before
// the first instant after the last day: hazards_rectified) — never more than
// found, as a report requires.
const recordedHazardsSQL = recordedParams + `SELECT h.source, count(*) AS found,
    count(*) FILTER (WHERE h.status = 'closed' AND h.closed_at < q.to_at) AS rectified
FROM hazards h LEFT JOIN inspections i ON i.id = h.inspection_id, q
WHERE h.found_on BETWEEN q.from_on AND q.to_on
  AND (q.unit_id IN (h.finder_unit_id, i.body_unit_id) OR h.unit_id IN (SELECT unit_id FROM charge))
GROUP BY h.source`

// RecordedFigures are the figures of a monthly report as the unit's records
// hold them for the days from to to (inclusive; each the date of the instant
// in its own location — a report's period in its campaign's zone): see the
// queries above. To before from is a *domain.ValidationError naming "to".
func RecordedFigures(ctx context.Context, db sqlx.ExtContext, unitID int64, from, to time.Time) (domain.Figures, error) {
	var f domain.Figures
	fromOn, toOn := from.Format(time.DateOnly), to.Format(time.DateOnly)
	if toOn < fromOn {
		return f, &domain.ValidationError{Fields: []domain.FieldError{{Field: "to", Detail: "不能早于开始日期"}}}
	}
	fromAt := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, from.Location())
	toAt := time.Date(to.Year(), to.Month(), to.Day()+1, 0, 0, 0, 0, to.Location()) // the next day's first instant
	args := []any{unitID, fromOn, toOn, fromAt, toAt}

	var counts struct {
		Inspections     int `db:"inspections"`
		UnitsInspected  int `db:"units_inspected"`
		ViolationsFiled int `db:"violations_filed"`
		StopOrders      int `db:"stop_orders"`
		Sessions        int `db:"training_sessions"`
		PeopleTrained   int `db:"people_trained"`
	}
	if err := sqlx.GetContext(ctx, db, &counts, recordedCountsSQL, args...); err != nil {
		return f, fmt.Errorf("recorded figures of unit %d: %w", unitID, err)
	}
	f.Inspections, f.UnitsInspected, f.ViolationsFiled, f.StopOrders, f.TrainingSessions, f.PeopleTrained =
		counts.Inspections, counts.UnitsInspected, counts.ViolationsFiled, counts.StopOrders, counts.Sessions, counts.PeopleTrained

	var hazards []struct {
		Source    string `db:"source"`
		Found     int    `db:"found"`
		Rectified int    `db:"rectified"`
	}
	if err := sqlx.SelectContext(ctx, db, &hazards, recordedHazardsSQL, args...); err != nil {
		return f, fmt.Errorf("recorded hazards of unit %d: %w", unitID, err)
	}
	for _, h := range hazards {
		found, fixed := f.HazardsFound.Of(h.Source), f.HazardsRectified.Of(h.Source)
		if found == nil || fixed == nil {
			return f, fmt.Errorf("recorded hazards of unit %d: unknown source %q", unitID, h.Source)
		}
		*found, *fixed = h.Found, h.Rectified
	}
	return f, nil
}

// ReportRecorded are the recorded figures of a report's unit for its period
// (its month in its campaign's zone), now.
func ReportRecorded(ctx context.Context, db sqlx.ExtContext, r Report) (domain.Figures, error) {
	c, err := CampaignByID(ctx, db, r.CampaignID)
	if err != nil {
		return domain.Figures{}, err
	}
	first, last, err := domain.PeriodDays(r.Period, c.Location())
	if err != nil {
		return domain.Figures{}, fmt.Errorf("report %s: %w", r.ID, err)
	}
	return RecordedFigures(ctx, db, r.UnitID, first, last)
}
