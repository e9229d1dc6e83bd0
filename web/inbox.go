package web

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/zeren-county/zeren/api"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// dueSoon is how close a deadline turns a row amber.
const dueSoon = 72 * time.Hour

// taskRow is a task as the inbox lists it: its deadline measured against its
// campaign's time (a fast demo campaign's own clock).
type taskRow struct {
	store.Task
	Now         time.Time
	Overdue     bool
	OverdueDays int
	Soon        bool
	Left        string // time left while it is due soon (inbox.left_days)
}

func (w *Web) rowOf(t store.Task, now time.Time) taskRow {
	r := taskRow{Task: t, Now: now}
	if t.Status != domain.TaskOpen {
		return r
	}
	left := t.DueAt.Sub(now)
	switch {
	case left < 0:
		r.Overdue, r.OverdueDays = true, max(days(-left), 1)
	case left <= dueSoon:
		r.Soon = true
		h := int(left.Hours())
		r.Left = fmt.Sprintf(w.msg.get("inbox.left_days"), h/24, h%24)
		if h < 1 {
			r.Left = fmt.Sprintf(w.msg.get("inbox.left_minutes"), int(left.Minutes()))
		}
	}
	return r
}

// timeOf is the time a task's deadline is measured against.
func timeOf(t store.Task, campaignTime map[string]time.Time, wall time.Time) time.Time {
	if t.CampaignID != nil {
		if now, ok := campaignTime[*t.CampaignID]; ok {
			return now
		}
	}
	return wall
}

// inboxFilters are the inbox's query: each passes through to the API as it is.
var inboxFilters = []string{"kind", "status", "overdue", "campaign", "due_after", "due_before", "cursor"}

func (w *Web) inboxPage(c *gin.Context) {
	q := url.Values{}
	for _, k := range inboxFilters {
		if v := c.Query(k); v != "" {
			q.Set(k, v)
		}
	}
	// The date inputs give days; the API takes instants in the county's time.
	for _, k := range []string{"due_after", "due_before"} {
		if v := q.Get(k); v != "" {
			if d, err := time.ParseInLocation(time.DateOnly, v, zone); err == nil {
				if k == "due_before" {
					d = d.Add(24 * time.Hour)
				}
				q.Set(k, d.Format(time.RFC3339))
			}
		}
	}
	q.Set("limit", "50")
	var page api.Inbox
	code, p := w.call(c, http.MethodGet, "/api/v1/inbox?"+q.Encode(), nil, &page)
	if code == http.StatusUnprocessableEntity {
		// A filter the API refused: show the inbox unfiltered with the reason.
		w.flash(c, p.Detail)
		c.Redirect(http.StatusSeeOther, "/inbox")
		return
	}
	if p != nil {
		w.refused(c, code, p)
		return
	}
	wall := w.now()
	rows := make([]taskRow, 0, len(page.Tasks))
	for _, t := range page.Tasks {
		rows = append(rows, w.rowOf(t, timeOf(t, page.CampaignTime, wall)))
	}
	next := ""
	if page.NextCursor != "" {
		nq := url.Values{}
		for _, k := range inboxFilters {
			if v := c.Query(k); v != "" && k != "cursor" {
				nq.Set(k, v)
			}
		}
		nq.Set("cursor", page.NextCursor)
		next = "/inbox?" + nq.Encode()
	}
	var campaigns api.CampaignList
	if !w.get(c, "/api/v1/campaigns", &campaigns) {
		return
	}
	w.render(c, http.StatusOK, "inbox", pageData{
		"Rows": rows, "Counts": page.Counts, "Notifications": page.Notifications, "Next": next,
		"Kinds": domain.TaskKinds, "Campaigns": campaigns.Campaigns, "Filter": filterValues(c),
	})
}

func filterValues(c *gin.Context) map[string]string {
	out := map[string]string{}
	for _, k := range inboxFilters {
		out[k] = c.Query(k)
	}
	return out
}
