package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/zeren-county/zeren/api"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

func (w *Web) mountIssuing(g *gin.RouterGroup) {
	g.GET("/issue", w.issuePage)
	g.POST("/issue", w.issue)
	g.POST("/assignments/:id/remind", w.remind)
}

// issuedRow is a matter the caller's units issued, as the issuing page lists it.
type issuedRow struct {
	store.Assignment
	Unit      string
	Overdue   bool
	Reminders int
}

// reviewer is a (unit, role) that may review a new matter.
type reviewer struct{ Value, Unit, Role string }

// assignable is a unit a matter can be assigned to.
type assignable struct {
	Code, Name, Kind string
	// Stop is the unit's 停产整顿 now (unit, faces or empty).
	Stop string
}

func flatten(nodes []*api.UnitNode, out *[]assignable) {
	for _, n := range nodes {
		if n.Kind == "department" || n.Kind == "town" || n.Kind == "enterprise" {
			*out = append(*out, assignable{Code: n.Code, Name: n.Name, Kind: n.Kind, Stop: n.Stop})
		}
		flatten(n.Children, out)
	}
}

func (w *Web) issuePage(c *gin.Context) {
	w.showIssue(c, http.StatusOK, nil, url.Values{"ladder": {"standard"}})
}

func (w *Web) showIssue(c *gin.Context, code int, errs map[string]string, values url.Values) {
	var units api.UnitList
	if !w.get(c, "/api/v1/units", &units) {
		return
	}
	var targets []assignable
	flatten(units.Units, &targets)
	names, codes := map[int64]string{}, map[int64]string{}
	var walk func([]*api.UnitNode)
	walk = func(ns []*api.UnitNode) {
		for _, n := range ns {
			names[n.ID], codes[n.ID] = n.Name, n.Code
			walk(n.Children)
		}
	}
	walk(units.Units)
	// The reviewer: one of the caller's own leading or safety-office grants.
	var reviewers []reviewer
	for _, g := range person(c).Grants {
		if g.Role == domain.RoleLeader || g.Role == domain.RoleSafetyOffice {
			reviewers = append(reviewers, reviewer{Value: codes[g.UnitID] + ":" + g.Role.String(), Unit: names[g.UnitID], Role: g.Role.String()})
		}
	}
	var page api.AssignmentPage
	if !w.get(c, "/api/v1/assignments?side=issued&limit=200", &page) {
		return
	}
	ids := make([]int64, len(page.Assignments))
	for i, a := range page.Assignments {
		ids[i] = a.ID
	}
	reminders, err := store.RemindersSent(c.Request.Context(), w.Store.DB, ids)
	if err != nil {
		w.fail(c, err)
		return
	}
	now := w.now()
	rows := make([]issuedRow, 0, len(page.Assignments))
	for _, a := range page.Assignments {
		open := a.Status != domain.StatusApproved
		rows = append(rows, issuedRow{Assignment: a, Unit: names[a.AssigneeUnitID], Overdue: open && now.After(a.DueAt), Reminders: reminders[a.ID]})
	}
	// Overdue first, then by deadline.
	slices.SortStableFunc(rows, func(a, b issuedRow) int {
		if a.Overdue != b.Overdue {
			if a.Overdue {
				return -1
			}
			return 1
		}
		return a.DueAt.Compare(b.DueAt)
	})
	key, err := store.NewSecret()
	if err != nil {
		w.fail(c, err)
		return
	}
	selected := map[string]bool{}
	for _, u := range values["assignee_units"] {
		selected[u] = true
	}
	w.render(c, code, "issue", pageData{"Targets": targets, "Reviewers": reviewers, "Rows": rows, "Presets": domain.LadderPresets(), "Errors": errs,
		"V": formValues(values), "Selected": selected, "Key": key})
}

// issue assigns one matter to each chosen unit, through the API; the form's
// key makes a double submission create each matter once.
func (w *Web) issue(c *gin.Context) {
	if err := c.Request.ParseForm(); err != nil {
		w.showIssue(c, http.StatusBadRequest, nil, url.Values{})
		return
	}
	f := c.Request.PostForm
	units := f["assignee_units"]
	errs := map[string]string{}
	if len(units) == 0 {
		errs["assignee_units"] = w.msg.get("issue.no_unit")
	}
	var ladder domain.Ladder
	for _, p := range domain.LadderPresets() {
		if p.Name == f.Get("ladder") {
			ladder = p.Ladder
		}
	}
	if ladder == nil {
		errs["ladder"] = w.msg.get("issue.no_ladder")
	}
	due := instant(f.Get("due_at"))
	if len(errs) > 0 {
		w.showIssue(c, http.StatusUnprocessableEntity, errs, f)
		return
	}
	key := f.Get("_key")
	var made []string
	for _, code := range units {
		body := map[string]any{"title": f.Get("title"), "content": f.Get("content"), "due_at": due, "assignee_unit": code, "ladder": ladder}
		if unit, role, ok := strings.Cut(f.Get("reviewer"), ":"); ok {
			body["reviewer"] = map[string]string{"unit": unit, "role": role}
		}
		var hdr []string
		if key != "" && len(key) <= 60 {
			hdr = []string{"Idempotency-Key", "web-issue-" + key + "-" + code}
		}
		status, p := w.call(c, http.MethodPost, "/api/v1/assignments", body, nil, hdr...)
		switch {
		case p == nil:
			made = append(made, code)
		case status == http.StatusUnprocessableEntity:
			for k, v := range fieldErrors(p) {
				switch {
				case k == "assignee_unit":
					k = "assignee_units"
				case strings.HasPrefix(k, "reviewer"):
					k = "reviewer"
				}
				errs[k] = v
			}
			if len(made) > 0 {
				errs["_"] = fmt.Sprintf(w.msg.get("issue.partial"), strings.Join(made, "、"))
			}
			w.showIssue(c, status, errs, f)
			return
		default:
			w.refused(c, status, p)
			return
		}
	}
	w.flash(c, fmt.Sprintf(w.msg.get("issue.done"), len(made)))
	seeOther(c, "/issue")
}

// remind sends a reminder now (催办) through the API.
func (w *Web) remind(c *gin.Context) {
	var hdr []string
	if key := c.PostForm("_key"); key != "" && len(key) <= 60 {
		hdr = []string{"Idempotency-Key", "web-remind-" + key}
	}
	code, p := w.call(c, http.MethodPost, "/api/v1/assignments/"+url.PathEscape(c.Param("id"))+"/remind", nil, nil, hdr...)
	switch {
	case p == nil:
		w.flash(c, w.msg.get("issue.reminded"))
	case code < 500:
		w.flash(c, p.Detail)
	default:
		w.refused(c, code, p)
		return
	}
	seeOther(c, "/issue")
}
