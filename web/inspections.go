package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/zeren-county/zeren/api"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// The pages of inspections, hazards, stop orders, enforcement cases and their
// statistics. Like every page they read and act through the JSON API.
func (w *Web) mountInspections(g *gin.RouterGroup) {
	g.GET("/inspections", w.inspectionsPage)
	g.POST("/inspections", w.recordInspection)
	g.GET("/inspections/:id", w.inspectionPage)
	g.POST("/inspections/:id/hazards", w.recordHazard)
	g.POST("/inspections/:id/import", w.importHazards)
	g.GET("/inspections/:id/template.xlsx", func(c *gin.Context) { w.download(c, "/api/v1/hazards/template") })
	g.POST("/inspections/:id/close", w.closeInspection)
	g.GET("/hazards", w.hazardsPage)
	g.GET("/hazards/:id", w.hazardPage)
	g.POST("/hazards/:id/files", w.uploadEvidence)
	g.GET("/hazards/:id/files/:file", w.downloadEvidence)
	g.GET("/stop-orders", w.stopOrdersPage)
	g.GET("/cases", w.casesPage)
	g.POST("/cases", w.fileCase)
	g.GET("/cases/:id", w.casePage)
	g.GET("/statistics", w.statisticsPage)
}

// visitRows and recommendationRows are how many visits and 人大视察
// recommendations the inspection form offers.
const (
	visitRows          = 6
	recommendationRows = 3
)

// recorder says whether the person may record inspections and cases (the API decides; this only shows the forms).
func recorder(p domain.Person) bool {
	return p.HasAny(domain.RoleInspector) || p.HasAny(domain.RoleSafetyOffice) || p.HasAny(domain.RoleLeader)
}

// colleagues are the people of the units the caller holds a role in, as a
// team leader or member to choose.
func (w *Web) colleagues(c *gin.Context) ([]store.PersonRow, error) {
	p := person(c)
	units := []int64{p.UnitID}
	for _, g := range p.Grants {
		units = append(units, g.UnitID)
	}
	return store.PeopleOfUnits(c.Request.Context(), w.Store.DB, units)
}

// unitGroup is the units of one kind, for a <select>'s optgroup.
type unitGroup struct {
	Kind  string
	Units []assignable
}

// unitGroups are the organisation's units below the county by kind (towns,
// departments, enterprises, production units).
func unitGroups(nodes []*api.UnitNode) []unitGroup {
	by := map[string][]assignable{}
	var walk func([]*api.UnitNode)
	walk = func(ns []*api.UnitNode) {
		for _, n := range ns {
			if n.Kind != "county" && n.Kind != "committee" {
				by[n.Kind] = append(by[n.Kind], assignable{Code: n.Code, Name: n.Name, Kind: n.Kind, Stop: n.Stop})
			}
			walk(n.Children)
		}
	}
	walk(nodes)
	var out []unitGroup
	for _, k := range []string{"town", "department", "enterprise", "producer"} {
		if len(by[k]) > 0 {
			out = append(out, unitGroup{k, by[k]})
		}
	}
	return out
}

func (w *Web) inspectionsPage(c *gin.Context) {
	w.showInspections(c, http.StatusOK, nil, url.Values{})
}

func (w *Web) showInspections(c *gin.Context, code int, errs map[string]string, values url.Values) {
	kind := c.Query("kind")
	if !slices.Contains(domain.InspectionKinds, kind) {
		kind = ""
	}
	var list api.InspectionList
	var camps api.CampaignList
	var units api.UnitList
	if !w.getAll(c, map[string]any{"/api/v1/inspections?kind=" + url.QueryEscape(kind): &list, "/api/v1/campaigns": &camps, "/api/v1/units": &units}) {
		return
	}
	data := pageData{"Inspections": list.Inspections, "Kind": kind, "Kinds": domain.InspectionKinds, "Errors": errs, "V": formValues(values)}
	if recorder(person(c)) {
		people, err := w.colleagues(c)
		if err != nil {
			w.fail(c, err)
			return
		}
		key, err := store.NewSecret()
		if err != nil {
			w.fail(c, err)
			return
		}
		if values.Get("leader") == "" {
			data["V"].(map[string]string)["leader"] = person(c).Key
		}
		data["Record"] = true
		data["Key"] = key
		data["People"] = people
		data["Campaigns"] = camps.Campaigns
		data["UnitGroups"] = unitGroups(units.Units)
		data["Levels"] = domain.BodyLevels
		data["Sources"] = domain.HazardSources
		data["VisitRows"] = seqN(visitRows)
		data["RecommendationRows"] = seqN(recommendationRows)
	}
	w.render(c, code, "inspections", data)
}

// yesNo reads a select of 是/否/不适用 as a JSON boolean or nothing.
func yesNo(v string) any {
	switch v {
	case "yes":
		return true
	case "no":
		return false
	}
	return nil
}

// recordInspection records an inspection and its visits through the API.
func (w *Web) recordInspection(c *gin.Context) {
	if err := c.Request.ParseForm(); err != nil {
		w.showInspections(c, http.StatusBadRequest, nil, url.Values{})
		return
	}
	f := c.Request.PostForm
	body := map[string]any{"kind": f.Get("kind"), "title": f.Get("title"), "level": f.Get("level"), "leader": f.Get("leader"),
		"members": f.Get("members"), "starts_on": f.Get("starts_on"), "ends_on": f.Get("ends_on")}
	for _, k := range []string{"source", "campaign"} {
		if v := f.Get(k); v != "" {
			body[k] = v
		}
	}
	visits := []map[string]any{}
	for i := range visitRows {
		field := func(name string) string { return strings.TrimSpace(f.Get(fmt.Sprintf("visits[%d].%s", i, name))) }
		if field("unit") == "" {
			continue
		}
		v := map[string]any{"unit": field("unit"), "visited_on": field("visited_on"), "findings": field("findings")}
		if s := field("examined"); s != "" {
			v["examined"] = number(s)
		}
		if s := field("passed"); s != "" {
			v["passed"] = number(s)
		}
		if b := yesNo(field("leader_down")); b != nil {
			v["leader_down"] = b
		}
		visits = append(visits, v)
	}
	body["visits"] = visits
	var recs []map[string]any
	for i := range recommendationRows {
		field := func(name string) string {
			return strings.TrimSpace(f.Get(fmt.Sprintf("recommendations[%d].%s", i, name)))
		}
		if field("unit") == "" && field("title") == "" && field("content") == "" {
			continue
		}
		recs = append(recs, map[string]any{"unit": field("unit"), "title": field("title"), "content": field("content"), "due_at": instant(field("due_at"))})
	}
	if len(recs) > 0 {
		body["recommendations"] = recs
	}
	var out store.Inspection
	w.record(c, "/api/v1/inspections", body, &out, "web-inspection-", func() (string, string) {
		return w.msg.get("inspection.recorded"), fmt.Sprintf("/inspections/%d", out.ID)
	}, w.showInspections)
}

// record posts a form's body to an API route (with the form's key): done says
// the word to flash and where to go when it is recorded; a refusal shows the
// form again, with its field errors and what was typed.
func (w *Web) record(c *gin.Context, path string, body, out any, keyPrefix string, done func() (string, string),
	again func(c *gin.Context, code int, errs map[string]string, values url.Values)) {
	f := c.Request.PostForm
	code, p := w.call(c, http.MethodPost, path, body, out, keyHeader(f.Get("_key"), keyPrefix)...)
	switch {
	case p == nil:
		msg, to := done()
		w.flash(c, msg)
		seeOther(c, to)
	case code == http.StatusUnprocessableEntity:
		again(c, code, problemErrors(p), f)
	default:
		w.refused(c, code, p)
	}
}

// keyHeader is the Idempotency-Key header of a form's key, if it has a usable one.
func keyHeader(key, prefix string) []string {
	if key == "" || len(key) > 60 {
		return nil
	}
	return []string{"Idempotency-Key", prefix + key}
}

// problemErrors are a refusal's field errors, or its detail as the form's error.
func problemErrors(p *api.Problem) map[string]string {
	errs := fieldErrors(p)
	if len(errs) == 0 {
		errs["_"] = p.Detail
	}
	return errs
}

func (w *Web) inspectionPage(c *gin.Context) {
	w.showInspection(c, http.StatusOK, nil, url.Values{})
}

// showInspection renders an inspection with its visits and hazards, the form
// to record a hazard found on it (errs and values refill it), its import and
// the team leader's close.
func (w *Web) showInspection(c *gin.Context, code int, errs map[string]string, values url.Values) {
	id := url.PathEscape(c.Param("id"))
	var in store.Inspection
	if !w.get(c, "/api/v1/inspections/"+id, &in) {
		return
	}
	var hazards api.HazardList
	var producers api.ProducerList
	if !w.getAll(c, map[string]any{"/api/v1/hazards?inspection=" + id: &hazards, "/api/v1/production-units": &producers}) {
		return
	}
	// The faces of the mines visited, for the hazard form.
	visited := map[int64]bool{}
	for _, v := range in.Visits {
		visited[v.UnitID] = true
	}
	var faces []faceOption
	stops := map[int64]string{}
	for _, u := range producers.ProductionUnits {
		stops[u.UnitID] = u.Stop
		if !visited[u.UnitID] {
			continue
		}
		for _, f := range u.Faces {
			label := u.Name + " · " + f.Name
			if f.Stopped {
				label += w.msg.get("stop.face_suffix")
			}
			faces = append(faces, faceOption{Code: f.Code, Label: label})
		}
	}
	me := person(c)
	key, err := store.NewSecret()
	if err != nil {
		w.fail(c, err)
		return
	}
	v := formValues(values)
	if v["found_on"] == "" && len(in.Visits) > 0 {
		v["found_on"] = in.Visits[0].VisitedOn.Format("2006-01-02")
	}
	w.render(c, code, "inspection", pageData{"I": in, "Hazards": hazards.Hazards, "Stops": stops, "Faces": faces, "Errors": errs, "V": v, "Key": key,
		"Record":   recorder(me),
		"CanClose": in.LeaderID == me.ID && in.Status == "open", "Sources": domain.HazardSources,
		"CoalCategories": domain.CoalMajorCategories, "OtherCategories": domain.OtherCategories})
}

type faceOption struct{ Code, Label string }

// recordHazard records a hazard found on the inspection and starts its loop.
func (w *Web) recordHazard(c *gin.Context) {
	if err := c.Request.ParseForm(); err != nil {
		w.showInspection(c, http.StatusBadRequest, nil, url.Values{})
		return
	}
	f := c.Request.PostForm
	inspection, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || inspection < 1 {
		w.render(c, http.StatusNotFound, "error", pageData{"Message": w.msg.get("error.not_found")})
		return
	}
	body := map[string]any{"unit": f.Get("unit"), "source": f.Get("source"), "level": f.Get("level"), "category": f.Get("category"),
		"description": f.Get("description"), "location": f.Get("location"), "found_by": "inspection", "inspection": inspection,
		"found_on": f.Get("found_on"), "deadline": instant(f.Get("deadline"))}
	if v := strings.TrimSpace(f.Get("face")); v != "" {
		body["face"] = v
	}
	var stops []string
	for _, s := range strings.FieldsFunc(f.Get("stop_faces"), func(r rune) bool { return r == ',' || r == '，' || r == ' ' || r == '、' }) {
		stops = append(stops, s)
	}
	if len(stops) > 0 {
		body["stop_faces"] = stops
	}
	var out store.Hazard
	w.record(c, "/api/v1/hazards", body, &out, "web-hazard-", func() (string, string) {
		return fmt.Sprintf(w.msg.get("hazard.recorded"), out.ID), "/inspections/" + url.PathEscape(c.Param("id"))
	}, w.showInspection)
}

// importHazards passes an inspection's Excel sheet of hazards to the API:
// every row is checked and nothing is recorded unless all are valid.
func (w *Web) importHazards(c *gin.Context) {
	var out struct {
		Hazards []store.Hazard `json:"hazards"`
	}
	code, p := w.upload(c, "/api/v1/inspections/"+url.PathEscape(c.Param("id"))+"/hazards", &out)
	switch {
	case p == nil:
		w.flash(c, fmt.Sprintf(w.msg.get("inspection.imported"), len(out.Hazards)))
		seeOther(c, "/inspections/"+url.PathEscape(c.Param("id")))
	case code < 500:
		w.showInspection(c, code, map[string]string{"file": importProblem(p)}, url.Values{})
	default:
		w.refused(c, code, p)
	}
}

// importProblem says what was wrong with an uploaded sheet: each refused row's cell and problem.
func importProblem(p *api.Problem) string {
	if len(p.Errors) == 0 {
		return p.Detail
	}
	parts := make([]string, 0, len(p.Errors))
	for _, e := range p.Errors {
		parts = append(parts, e.Field+"："+e.Detail)
	}
	return strings.Join(parts, "；")
}

// upload passes the form's file (field "file") to an API route as multipart.
func (w *Web) upload(c *gin.Context, path string, out any) (int, *api.Problem) {
	fh, err := c.FormFile("file")
	if err != nil {
		return http.StatusUnprocessableEntity, &api.Problem{Status: http.StatusUnprocessableEntity, Detail: w.msg.get("form.no_file")}
	}
	if fh.Size > domain.MaxEvidence*3 {
		return http.StatusRequestEntityTooLarge, &api.Problem{Status: http.StatusRequestEntityTooLarge, Detail: w.msg.get("form.file_too_large")}
	}
	src, err := fh.Open()
	if err != nil {
		return http.StatusUnprocessableEntity, &api.Problem{Status: http.StatusUnprocessableEntity, Detail: w.msg.get("form.no_file")}
	}
	defer src.Close()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	part, err := mw.CreateFormFile("file", fh.Filename)
	if err == nil {
		_, err = io.Copy(part, src)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		return http.StatusInternalServerError, &api.Problem{Status: 500, Detail: err.Error()}
	}
	return w.send(c, http.MethodPost, path, mw.FormDataContentType(), &buf, out)
}

func (w *Web) closeInspection(c *gin.Context) {
	id := url.PathEscape(c.Param("id"))
	code, p := w.call(c, http.MethodPost, "/api/v1/inspections/"+id+"/close", nil, nil)
	switch {
	case p == nil:
		w.flash(c, w.msg.get("inspection.closed"))
	case code < 500:
		w.flash(c, p.Detail)
	default:
		w.refused(c, code, p)
		return
	}
	seeOther(c, "/inspections/"+id)
}

// hazardFilter is the ledger's filter as the API takes it: only known values pass.
func hazardFilter(c *gin.Context) (url.Values, map[string]string) {
	q := url.Values{}
	v := map[string]string{}
	for name, allowed := range map[string][]string{
		"status": {"open", "planned", "plan_returned", "listed", "submitted", "returned", "closed"},
		"level":  {domain.HazardGeneral, domain.HazardMajor},
		"source": domain.HazardSources,
	} {
		if s := c.Query(name); slices.Contains(allowed, s) {
			q.Set(name, s)
			v[name] = s
		}
	}
	return q, v
}

// hazardsPage is the hazard ledger (隐患台账), filtered, with its Excel export.
func (w *Web) hazardsPage(c *gin.Context) {
	q, v := hazardFilter(c)
	if c.Query("format") == "xlsx" {
		q.Set("format", "xlsx")
		w.download(c, "/api/v1/hazards?"+q.Encode())
		return
	}
	var list api.HazardList
	if !w.get(c, "/api/v1/hazards?"+q.Encode(), &list) {
		return
	}
	counts := map[string]int{}
	for _, h := range list.Hazards {
		counts[h.Status.String()]++
		if h.Level == domain.HazardMajor && h.Status != domain.HazardClosed {
			counts["major_open"]++
		}
	}
	q.Set("format", "xlsx")
	w.render(c, http.StatusOK, "hazards", pageData{"Hazards": list.Hazards, "V": v, "Counts": counts, "Export": "/hazards?" + q.Encode(),
		"Statuses": []string{"open", "planned", "plan_returned", "listed", "submitted", "returned", "closed"}, "Sources": domain.HazardSources})
}

// loopStep is one step of a hazard's loop on its page.
type loopStep struct {
	Status string
	Done   bool
	Now    bool
}

// loopOf lays out a hazard's loop: general 待整改 → 待复查 → 销号; major
// 待报方案 → 方案待批 → 挂牌督办 → 待复查 → 销号. A returned step shows as the step before it.
func loopOf(h store.Hazard) []loopStep {
	steps := []string{"open", "submitted", "closed"}
	if h.Level == domain.HazardMajor {
		steps = []string{"open", "planned", "listed", "submitted", "closed"}
	}
	at := h.Status.String()
	switch at {
	case "plan_returned":
		at = "open"
	case "returned":
		at = steps[len(steps)-3]
	}
	now := slices.Index(steps, at)
	out := make([]loopStep, len(steps))
	for i, s := range steps {
		out[i] = loopStep{Status: s, Done: i < now || at == "closed", Now: i == now && at != "closed"}
	}
	return out
}

func (w *Web) hazardPage(c *gin.Context) {
	w.showHazard(c, http.StatusOK, "")
}

func (w *Web) showHazard(c *gin.Context, code int, fileErr string) {
	var d api.HazardDetail
	if !w.get(c, "/api/v1/hazards/"+url.PathEscape(c.Param("id")), &d) {
		return
	}
	var plan *domain.Plan
	if len(d.Hazard.Plan) > 0 && string(d.Hazard.Plan) != "null" {
		plan = &domain.Plan{}
		if err := json.Unmarshal(d.Hazard.Plan, plan); err != nil {
			w.fail(c, fmt.Errorf("hazard %d plan: %w", d.Hazard.ID, err))
			return
		}
	}
	w.render(c, code, "hazard", pageData{"H": d.Hazard, "Files": d.Files, "Timeline": d.Timeline, "Plan": plan, "Loop": loopOf(d.Hazard),
		"Errors": map[string]string{"file": fileErr}})
}

// uploadEvidence adds an evidence file to a hazard.
func (w *Web) uploadEvidence(c *gin.Context) {
	id := url.PathEscape(c.Param("id"))
	code, p := w.upload(c, "/api/v1/hazards/"+id+"/files", nil)
	switch {
	case p == nil:
		w.flash(c, w.msg.get("hazard.file_added"))
		seeOther(c, "/hazards/"+id)
	case code < 500:
		w.showHazard(c, code, importProblem(p))
	default:
		w.refused(c, code, p)
	}
}

func (w *Web) downloadEvidence(c *gin.Context) {
	w.download(c, "/api/v1/hazards/"+url.PathEscape(c.Param("id"))+"/files/"+url.PathEscape(c.Param("file")))
}

func (w *Web) stopOrdersPage(c *gin.Context) {
	var list api.StopOrderList
	var producers api.ProducerList
	if !w.getAll(c, map[string]any{"/api/v1/stop-orders": &list, "/api/v1/production-units": &producers}) {
		return
	}
	faces := map[int64]string{}
	for _, u := range producers.ProductionUnits {
		for _, f := range u.Faces {
			faces[f.ID] = f.Name
		}
	}
	type row struct {
		store.StopOrder
		Faces []string
	}
	rows := make([]row, 0, len(list.StopOrders))
	for _, o := range list.StopOrders {
		r := row{StopOrder: o}
		for _, id := range o.FaceIDs {
			r.Faces = append(r.Faces, faces[id])
		}
		rows = append(rows, r)
	}
	w.render(c, http.StatusOK, "stoporders", pageData{"Orders": rows})
}

func (w *Web) casesPage(c *gin.Context) {
	if c.Query("format") == "xlsx" {
		w.download(c, "/api/v1/cases?format=xlsx")
		return
	}
	w.showCases(c, http.StatusOK, nil, url.Values{})
}

func (w *Web) showCases(c *gin.Context, code int, errs map[string]string, values url.Values) {
	var list api.CaseList
	var producers api.ProducerList
	if !w.getAll(c, map[string]any{"/api/v1/cases": &list, "/api/v1/production-units": &producers}) {
		return
	}
	data := pageData{"Cases": list.Cases, "Errors": errs, "V": formValues(values)}
	if person(c).HasAny(domain.RoleInspector) || person(c).HasAny(domain.RoleSafetyOffice) {
		key, err := store.NewSecret()
		if err != nil {
			w.fail(c, err)
			return
		}
		data["Record"], data["Key"], data["Producers"] = true, key, producers.ProductionUnits
	}
	w.render(c, code, "cases", data)
}

// fileCase files an enforcement case (立案) and starts its steps.
func (w *Web) fileCase(c *gin.Context) {
	if err := c.Request.ParseForm(); err != nil {
		w.showCases(c, http.StatusBadRequest, nil, url.Values{})
		return
	}
	f := c.Request.PostForm
	body := map[string]any{"unit": f.Get("unit"), "violation": f.Get("violation"), "legal_basis": f.Get("legal_basis"), "filed_on": f.Get("filed_on")}
	for _, k := range []string{"inspection", "hazard"} {
		if v := strings.TrimSpace(f.Get(k)); v != "" {
			body[k] = number(v)
		}
	}
	var out store.Case
	w.record(c, "/api/v1/cases", body, &out, "web-case-", func() (string, string) {
		return w.msg.get("case.filed"), fmt.Sprintf("/cases/%d", out.ID)
	}, w.showCases)
}

func (w *Web) casePage(c *gin.Context) {
	var cs store.Case
	if !w.get(c, "/api/v1/cases/"+url.PathEscape(c.Param("id")), &cs) {
		return
	}
	numbers := map[string]string{}
	if len(cs.Numbers) > 0 {
		if err := json.Unmarshal(cs.Numbers, &numbers); err != nil {
			w.fail(c, fmt.Errorf("case %d numbers: %w", cs.ID, err))
			return
		}
	}
	type step struct {
		Step   string
		Number string
		Done   bool
		Now    bool
	}
	now := slices.Index(domain.CaseSteps, cs.Step)
	steps := make([]step, len(domain.CaseSteps))
	for i, s := range domain.CaseSteps {
		closed := cs.Step == domain.CaseClosed
		steps[i] = step{Step: s.String(), Number: numbers[s.String()], Done: i < now || closed, Now: i == now && !closed}
	}
	w.render(c, http.StatusOK, "case", pageData{"C": cs, "Steps": steps})
}

// statisticsPage is the dashboard of inspections, hazards, stop orders,
// cases and exams of a campaign's period, from the records only; filters as
// the API takes them, charts drawn by ECharts, and the Excel export.
func (w *Web) statisticsPage(c *gin.Context) {
	var camps api.CampaignList
	if !w.get(c, "/api/v1/campaigns", &camps) {
		return
	}
	if len(camps.Campaigns) == 0 {
		w.render(c, http.StatusOK, "statistics", pageData{})
		return
	}
	id := camps.Campaigns[0].ID
	for _, cp := range camps.Campaigns {
		if cp.ID == c.Query("campaign") {
			id = cp.ID
		}
	}
	q := url.Values{}
	v := map[string]string{"campaign": id}
	for _, name := range []string{"from", "to", "sector", "kind", "level", "source", "unit", "tied"} {
		if s := strings.TrimSpace(c.Query(name)); s != "" {
			q.Set(name, s)
			v[name] = s
		}
	}
	path := "/api/v1/campaigns/" + url.PathEscape(id) + "/statistics?"
	if c.Query("format") == "xlsx" {
		q.Set("format", "xlsx")
		w.download(c, path+q.Encode())
		return
	}
	var st api.Statistics
	code, p := w.call(c, http.MethodGet, path+q.Encode(), nil, &st)
	data := pageData{"Campaigns": camps.Campaigns, "V": v, "Kinds": domain.InspectionKinds, "Sectors": domain.Sectors,
		"Sources": domain.HazardSources, "Levels": domain.BodyLevels, "Decisions": domain.CaseDecisions,
		"Audiences": domain.TrainingAudiences, "PublicityKinds": domain.PublicityKinds, "MeetingKinds": domain.MeetingKinds}
	switch {
	case p == nil:
	case code == http.StatusUnprocessableEntity:
		w.render(c, code, "statistics", mergeData(data, pageData{"Errors": problemErrors(p)}))
		return
	default:
		w.refused(c, code, p)
		return
	}
	charts, err := json.Marshal(statsCharts(st.Stats, w.msg))
	if err != nil {
		w.fail(c, err)
		return
	}
	q.Set("campaign", id)
	q.Set("format", "xlsx")
	w.render(c, http.StatusOK, "statistics", mergeData(data, pageData{"S": st, "Charts": string(charts), "Export": "/statistics?" + q.Encode(),
		"MeetingYears": slices.Sorted(maps.Keys(st.Meetings.ByYear))}))
}

func mergeData(a, b pageData) pageData {
	for k, v := range b {
		a[k] = v
	}
	return a
}

// statsChart feeds the statistics charts (app.js draws them with ECharts).
type statsChart struct {
	Labels  map[string]string `json:"labels"`
	Sources []string          `json:"sources"`
	Found   []int             `json:"found"`
	Closed  []int             `json:"closed"`
	Sectors []string          `json:"sectors"`
	Sector  []int             `json:"sector_found"`
	SectorC []int             `json:"sector_closed"`
	Kinds   []string          `json:"kinds"`
	Visits  []int             `json:"visits"`
	Counts  []int             `json:"inspections"`
}

func statsCharts(s store.Stats, m messages) statsChart {
	out := statsChart{Labels: map[string]string{"found": m.get("stats.found"), "closed": m.get("stats.closed"),
		"inspections": m.get("stats.inspections"), "visits": m.get("stats.visits")}}
	for _, src := range domain.HazardSources {
		out.Sources = append(out.Sources, m.get("source."+src))
		out.Found = append(out.Found, s.Hazards.BySource[src].Found)
		out.Closed = append(out.Closed, s.Hazards.BySource[src].Closed)
	}
	for _, sec := range domain.Sectors {
		if s.Hazards.BySector[sec].Found == 0 {
			continue
		}
		out.Sectors = append(out.Sectors, m.get("sector."+sec))
		out.Sector = append(out.Sector, s.Hazards.BySector[sec].Found)
		out.SectorC = append(out.SectorC, s.Hazards.BySector[sec].Closed)
	}
	for _, k := range domain.InspectionKinds {
		out.Kinds = append(out.Kinds, m.get("ikind."+k))
		out.Counts = append(out.Counts, s.Inspections.ByKind[k].Inspections)
		out.Visits = append(out.Visits, s.Inspections.ByKind[k].Visits)
	}
	return out
}
