package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/internal/domain"
)

// Clocks are the clocks of the campaigns running faster than real time, by
// campaign id; every other task's time is the wall clock.
type Clocks map[string]*domain.Clock

// FastClocks loads the clocks of the campaigns running faster than real time.
func FastClocks(ctx context.Context, db sqlx.ExtContext) (Clocks, error) {
	var rows []Campaign
	err := sqlx.SelectContext(ctx, db, &rows, `SELECT id, name, time_zone, starts_on, ends_on, policy, created_at, clock_speed, clock_anchor, ended_at
FROM campaigns WHERE clock_speed > 1 AND clock_anchor IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("campaign clocks: %w", err)
	}
	out := Clocks{}
	for _, c := range rows {
		out[c.ID] = c.Clock()
	}
	return out, nil
}

// Now is the time of a campaign's tasks at wall time wall ("" for tasks of no campaign).
func (c Clocks) Now(campaignID string, wall time.Time) time.Time {
	return c[campaignID].Now(wall)
}

// nowExpr is the SQL for "now" of the task aliased t: the wall time, or its
// campaign's time when that runs fast. Values are appended to args, never spliced.
func (c Clocks) nowExpr(wall time.Time, args *[]any) string {
	*args = append(*args, wall)
	plain := fmt.Sprintf("$%d::timestamptz", len(*args))
	if len(c) == 0 {
		return plain
	}
	ids := make([]string, 0, len(c))
	for id := range c {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var b strings.Builder
	b.WriteString("CASE t.campaign_id")
	for _, id := range ids {
		*args = append(*args, id, c.Now(id, wall))
		fmt.Fprintf(&b, " WHEN $%d THEN $%d::timestamptz", len(*args)-1, len(*args))
	}
	b.WriteString(" ELSE " + plain + " END")
	return b.String()
}
