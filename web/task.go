package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/zeren-county/zeren/api"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// rungView is one rung of a task's ladder: when it comes, and whether it fired.
type rungView struct {
	domain.Rung
	At    time.Time
	Fired bool
	Next  bool
}

// ladderOf lays the ladder out against the task's deadline and the rungs the
// timeline says fired.
func ladderOf(rungs domain.Ladder, due time.Time, timeline []api.TimelineEntry) []rungView {
	fired := map[int]bool{}
	for _, e := range timeline {
		if e.Action != "rung.fired" {
			continue
		}
		var d struct {
			Index int `json:"index"`
		}
		if json.Unmarshal(e.Detail, &d) == nil {
			fired[d.Index] = true
		}
	}
	out := make([]rungView, 0, len(rungs))
	next := false
	for i, r := range rungs {
		v := rungView{Rung: r, At: due.Add(r.Offset.Duration()), Fired: fired[i]}
		if !v.Fired && !next {
			v.Next, next = true, true
		}
		out = append(out, v)
	}
	return out
}

func (w *Web) taskPage(c *gin.Context) {
	w.showTask(c, http.StatusOK, nil, nil)
}

// showTask renders a task with its form; errs and values refill the form after a refusal.
func (w *Web) showTask(c *gin.Context, code int, errs map[string]string, values url.Values) {
	var d api.TaskDetail
	if !w.get(c, "/api/v1/tasks/"+url.PathEscape(c.Param("id")), &d) {
		return
	}
	var ctx domain.TaskContext
	if len(d.Task.Context) > 0 {
		if err := json.Unmarshal(d.Task.Context, &ctx); err != nil {
			w.fail(c, fmt.Errorf("task %s context: %w", d.Task.ID, err))
			return
		}
	}
	rungs := ctx.Ladder
	if len(rungs) == 0 && d.Subject != nil && d.Task.Kind == string(domain.KindAssignmentComplete) {
		// tasks opened before the context carried the ladder
		if err := json.Unmarshal(d.Subject.Ladder, &rungs); err != nil {
			w.fail(c, fmt.Errorf("assignment %d ladder: %w", d.Subject.ID, err))
			return
		}
	}
	var outcome map[string]any
	if len(d.Task.Outcome) > 0 {
		if err := json.Unmarshal(d.Task.Outcome, &outcome); err != nil {
			w.fail(c, fmt.Errorf("task %s outcome: %w", d.Task.ID, err))
			return
		}
	}
	// A pledge's task shows the pledge's targets (and its proposed ones).
	var pledge *store.Pledge
	var targets, proposed []domain.Target
	if rest, ok := strings.CutPrefix(d.Task.SubjectID, "pledge/"); ok && d.Task.SubjectType == domain.SubjectPledge {
		var v api.PledgeView
		if !w.get(c, "/api/v1/pledges/"+rest, &v) {
			return
		}
		pledge = &v.Pledge
		if err := json.Unmarshal(v.Pledge.Targets, &targets); err != nil {
			w.fail(c, fmt.Errorf("pledge %s targets: %w", v.Pledge.ID, err))
			return
		}
		if len(v.Pledge.Proposal) > 0 && string(v.Pledge.Proposal) != "null" {
			if err := json.Unmarshal(v.Pledge.Proposal, &proposed); err != nil {
				w.fail(c, fmt.Errorf("pledge %s proposal: %w", v.Pledge.ID, err))
				return
			}
		}
	}
	key, err := store.NewSecret()
	if err != nil {
		w.fail(c, err)
		return
	}
	recorded := map[string]string{}
	var corrections []correctionView
	if d.Report != nil {
		recorded = figureFields(d.Report.Recorded)
		for _, cr := range d.Report.Corrections {
			corrections = append(corrections, correctionView{Correction: cr, Label: w.figureLabel(cr.Field)})
		}
	}
	if values == nil {
		values = url.Values{}
		// A drill's record starts from the planned day, every participant present.
		if domain.TaskKind(d.Task.Kind) == domain.KindDrillEvaluate && ctx.DrillAt != nil {
			values.Set("held_on", ctx.DrillAt.In(zone).Format(time.DateOnly))
			values["present"] = ctx.Units
		}
		// A monthly report's form starts from what the unit's records hold:
		// the unit confirms each figure or corrects it.
		if domain.TaskKind(d.Task.Kind) == domain.KindReportSubmit {
			for k, v := range recorded {
				values.Set(k, v)
			}
		}
	}
	w.render(c, code, "task", pageData{"Recorded": recorded, "Corrections": corrections,
		"D": d, "T": d.Task, "Ctx": ctx, "Ladder": ladderOf(rungs, d.Task.DueAt, d.Timeline), "Outcome": outcome,
		"Kind": d.Task.Kind, "Errors": errs, "V": formValues(values), "Key": key,
		"Rows": seqN(3), "TargetRows": seqN(5), "Sources": hazardSources, "Counts": reportCounts, "CaseDecisions": domain.CaseDecisions,
		"Pledge": pledge, "Targets": targets, "Proposed": proposed,
		"Present": checked(values["present"]),
	})
}

// correctionView is a report's figure that the unit corrected, with its label.
type correctionView struct {
	domain.Correction
	Label string
}

// figureFields are a report's figures by their form field names
// (figures.inspections, figures.hazards_found.daily, …).
func figureFields(f domain.Figures) map[string]string {
	out := map[string]string{}
	b, err := json.Marshal(f)
	if err != nil {
		return out
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return out
	}
	for k, v := range m {
		switch x := v.(type) {
		case float64:
			out["figures."+k] = strconv.FormatFloat(x, 'f', -1, 64)
		case map[string]any:
			for src, n := range x {
				if f, ok := n.(float64); ok {
					out["figures."+k+"."+src] = strconv.FormatFloat(f, 'f', -1, 64)
				}
			}
		}
	}
	return out
}

// figureLabel names a report's figure by its field (figures.hazards_found.daily: 排查隐患（处）· 日常监管).
func (w *Web) figureLabel(field string) string {
	parts := strings.Split(strings.TrimPrefix(field, "figures."), ".")
	label := parts[0]
	if w.msg.has("figure." + parts[0]) {
		label = w.msg.get("figure." + parts[0])
	}
	if len(parts) > 1 && w.msg.has("source."+parts[1]) {
		label += " · " + w.msg.get("source."+parts[1])
	}
	return label
}

// formValues is a form's first value per field, for refilling it.
func formValues(v url.Values) map[string]string {
	out := map[string]string{}
	for k, vs := range v {
		if len(vs) > 0 {
			out[k] = vs[0]
		}
	}
	return out
}

func seqN(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// The report's figures, as the form lays them out.
var (
	reportCounts  = []string{"inspections", "units_inspected", "violations_filed", "stop_orders", "training_sessions", "people_trained"}
	hazardSources = []string{"ventilation", "rock_burst", "daily", "other"}
)

// number is a form's number, or the text itself when it is not one, so the
// API names the field and says what it expects.
func number(s string) any {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f
	}
	return s
}

// instant reads an <input type=datetime-local> in the county's time.
func instant(s string) any {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	if t, err := time.ParseInLocation("2006-01-02T15:04", s, zone); err == nil {
		return t.Format(time.RFC3339)
	}
	return s
}

// rows reads the numbered rows prefix[i].field of a form while any of them is filled.
func rows(f url.Values, prefix string, fields []string, read func(field, v string) any) []map[string]any {
	var out []map[string]any
	for i := 0; i < 100; i++ {
		row := map[string]any{}
		filled := false
		for _, name := range fields {
			v := f.Get(prefix + "[" + strconv.Itoa(i) + "]." + name)
			if strings.TrimSpace(v) != "" {
				filled = true
			}
			row[name] = read(name, v)
		}
		if !filled {
			if i >= 10 {
				break
			}
			continue
		}
		out = append(out, row)
	}
	return out
}

func text(_, v string) any { return v }

// payload turns a task's form into the completion payload its kind takes.
func payload(kind domain.TaskKind, f url.Values) map[string]any {
	p := map[string]any{}
	setText := func(names ...string) {
		for _, n := range names {
			if v := f.Get(n); v != "" {
				p[n] = v
			}
		}
	}
	switch kind {
	case domain.KindAssignmentComplete, domain.KindPlanTaskDone, domain.KindInterviewFulfil, domain.KindHazardRectify, domain.KindStopResume,
		domain.KindDrillPrepare:
		p["result"] = f.Get("result")
		if a := rows(f, "attachments", []string{"name", "ref"}, text); len(a) > 0 {
			p["attachments"] = a
		}
	case domain.KindPledgeSign:
		setText("decision", "comment")
		if f.Get("decision") == domain.DecisionPropose {
			p["targets"] = rows(f, "targets", []string{"text", "indicator", "target_value", "weight"}, func(field, v string) any {
				if field == "weight" {
					return number(v)
				}
				return v
			})
		}
	case domain.KindReportSubmit:
		fig := map[string]any{}
		for _, n := range reportCounts {
			fig[n] = number(f.Get("figures." + n))
		}
		for _, set := range []string{"hazards_found", "hazards_rectified"} {
			m := map[string]any{}
			for _, src := range hazardSources {
				m[src] = number(f.Get("figures." + set + "." + src))
			}
			fig[set] = m
		}
		p["figures"] = fig
		if pr := rows(f, "progress", []string{"plan_task", "text"}, text); len(pr) > 0 {
			p["progress"] = pr
		}
		p["problems"] = f.Get("problems")
		p["next_steps"] = f.Get("next_steps")
	case domain.KindInterviewSchedule:
		p["scheduled_at"] = instant(f.Get("scheduled_at"))
		p["place"] = f.Get("place")
		p["leader"] = f.Get("leader")
	case domain.KindHazardPlan:
		p["measures"] = f.Get("measures")
		p["funds"] = number(f.Get("funds"))
		p["deadline"] = instant(f.Get("deadline"))
		p["responsible"] = f.Get("responsible")
		p["contingency"] = f.Get("contingency")
	case domain.KindCaseStep:
		setText("note", "number")
	case domain.KindCaseDecide:
		setText("decision", "note", "number")
		if v := strings.TrimSpace(f.Get("fine")); v != "" {
			p["fine"] = number(v)
		}
	case domain.KindInterviewAcknowledge:
		setText("note")
	case domain.KindMeetingMinutes:
		p["meeting_id"] = number(f.Get("meeting_id"))
	case domain.KindDocumentAcknowledge:
		setText("comment")
	case domain.KindLoanHandover:
		setText("decision", "note")
	case domain.KindMaterialRestock, domain.KindMaterialInspect:
		setText("note")
	case domain.KindLoanReturn:
		setText("how", "note")
	case domain.KindDrillEvaluate:
		p["held_on"] = f.Get("held_on")
		p["present"] = append([]string{}, f["present"]...)
		p["evaluation"] = f.Get("evaluation")
		p["problems"] = append([]map[string]any{}, rows(f, "problems", []string{"unit", "description", "deadline"}, func(field, v string) any {
			if field == "deadline" {
				return instant(v)
			}
			return v
		})...)
	case domain.KindInterviewMinutes:
		p["minutes"] = f.Get("minutes")
	case domain.KindInterviewCommitments:
		p["commitments"] = rows(f, "commitments", []string{"item", "text"}, func(field, v string) any {
			if field == "item" {
				return number(v)
			}
			return v
		})
		p["commitments_due"] = instant(f.Get("commitments_due"))
	default: // every decision: approve/return, accept/return, confirm/return, approve/refuse
		setText("decision", "comment")
	}
	return p
}

// completeTask sends the task's form as its completion. The form carries an
// idempotency key made when the page was shown, so a double click completes once.
func (w *Web) completeTask(c *gin.Context) {
	id := c.Param("id")
	if err := c.Request.ParseForm(); err != nil {
		w.showTask(c, http.StatusBadRequest, nil, nil)
		return
	}
	kind := domain.TaskKind(c.PostForm("kind"))
	var out api.CompletionResponse
	headers := []string{}
	if key := c.PostForm("_key"); key != "" && len(key) <= 100 {
		headers = append(headers, "Idempotency-Key", "web-"+key[:min(len(key), 90)])
	}
	code, p := w.call(c, http.MethodPost, "/api/v1/tasks/"+url.PathEscape(id)+"/complete", payload(kind, c.Request.PostForm), &out, headers...)
	switch {
	case p == nil:
		w.flash(c, w.msg.get("task.done"))
		seeOther(c, "/inbox")
	case code == http.StatusUnprocessableEntity:
		errs := fieldErrors(p)
		if len(errs) == 0 {
			errs["_"] = p.Detail
		}
		w.showTask(c, code, errs, c.Request.PostForm)
	case code == http.StatusConflict || code == http.StatusForbidden:
		w.flash(c, p.Detail)
		seeOther(c, "/tasks/"+url.PathEscape(id))
	default:
		w.refused(c, code, p)
	}
}

// act posts a small action on a task (claim, release, comment, extension) and returns to it.
func (w *Web) act(c *gin.Context, action string, body any, done string) {
	id := c.Param("id")
	code, p := w.call(c, http.MethodPost, "/api/v1/tasks/"+url.PathEscape(id)+"/"+action, body, nil)
	switch {
	case p == nil:
		w.flash(c, w.msg.get(done))
		seeOther(c, "/tasks/"+url.PathEscape(id))
	case code == http.StatusUnprocessableEntity:
		w.showTask(c, code, prefixed(action, fieldErrors(p)), c.Request.PostForm)
	case code < 500:
		w.flash(c, p.Detail)
		seeOther(c, "/tasks/"+url.PathEscape(id))
	default:
		w.refused(c, code, p)
	}
}

// prefixed names a side form's field errors by the form (extension.reason).
func prefixed(form string, errs map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range errs {
		out[form+"."+k] = v
	}
	return out
}

func (w *Web) claimTask(c *gin.Context)   { w.act(c, "claim", nil, "task.claimed") }
func (w *Web) releaseTask(c *gin.Context) { w.act(c, "release", nil, "task.released") }

func (w *Web) commentTask(c *gin.Context) {
	w.act(c, "comments", map[string]any{"body": c.PostForm("body")}, "task.commented")
}

func (w *Web) requestExtension(c *gin.Context) {
	w.act(c, "extension", map[string]any{"due_at": instant(c.PostForm("due_at")), "reason": c.PostForm("reason")}, "task.extension_sent")
}

// checked is a set of a form's checked values.
func checked(values []string) map[string]bool {
	out := make(map[string]bool, len(values))
	for _, v := range values {
		out[v] = true
	}
	return out
}
