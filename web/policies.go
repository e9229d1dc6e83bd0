package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/zeren-county/zeren/api"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// Policy documents (制度): the list with the issuing form for leaders and the
// safety office, and each document's page listing who has and has not
// acknowledged it, with the form for a new version.
func (w *Web) mountPolicies(g *gin.RouterGroup) {
	g.GET("/policies", w.policiesPage)
	g.POST("/policies", w.issuePolicy)
	g.GET("/policies/:id", w.policyPage)
	g.POST("/policies/:id/versions", w.newPolicyVersion)
}

// policyLadders are the ladders the issuing form offers, the document's default first.
func policyLadders() []domain.LadderPreset {
	return append([]domain.LadderPreset{{Name: "document", Ladder: domain.DefaultDocumentLadder()}}, domain.LadderPresets()...)
}

func canIssue(p domain.Person) bool {
	return p.HasAny(domain.RoleLeader) || p.HasAny(domain.RoleSafetyOffice)
}

func (w *Web) policiesPage(c *gin.Context) {
	w.showPolicies(c, http.StatusOK, nil, url.Values{"ladder": {"document"}, "issued_on": {w.now().In(zone).Format(time.DateOnly)}})
}

func (w *Web) showPolicies(c *gin.Context, code int, errs map[string]string, values url.Values) {
	status := c.Query("status")
	if status != "superseded" {
		status = ""
	}
	var page api.PolicyDocumentPage
	var units api.UnitList
	var camps api.CampaignList
	reads := map[string]any{"/api/v1/policy-documents?limit=200&status=" + status: &page}
	issuer := canIssue(person(c))
	if issuer {
		reads["/api/v1/units"], reads["/api/v1/campaigns"] = &units, &camps
	}
	if !w.getAll(c, reads) {
		return
	}
	var targets []assignable
	flatten(units.Units, &targets)
	key, err := store.NewSecret()
	if err != nil {
		w.fail(c, err)
		return
	}
	selected := map[string]bool{}
	for _, u := range values["units"] {
		selected[u] = true
	}
	w.render(c, code, "policies", pageData{"Docs": page.Documents, "Status": status, "Issuer": issuer, "Targets": targets,
		"Campaigns": camps.Campaigns, "Presets": policyLadders(), "Errors": errs, "V": formValues(values), "Selected": selected, "Key": key})
}

// policyBody turns the issuing form into the API's body; empty fields are
// left out (a new version takes them from the version before).
func policyBody(f url.Values) (map[string]any, bool) {
	body := map[string]any{}
	for _, n := range []string{"title", "number", "issuer_unit", "issued_on", "body", "campaign"} {
		if v := strings.TrimSpace(f.Get(n)); v != "" {
			body[n] = f.Get(n)
		}
	}
	if units := f["units"]; len(units) > 0 {
		body["units"] = units
	}
	if due := instant(f.Get("due_at")); due != nil {
		body["due_at"] = due
	}
	if name := f.Get("ladder"); name != "" {
		for _, p := range policyLadders() {
			if p.Name == name {
				body["ladder"] = p.Ladder
				return body, true
			}
		}
		return body, false
	}
	return body, true
}

// issuePolicy issues a document through the API; the form's key makes a double submission issue it once.
func (w *Web) issuePolicy(c *gin.Context) {
	if err := c.Request.ParseForm(); err != nil {
		w.showPolicies(c, http.StatusBadRequest, nil, url.Values{})
		return
	}
	f := c.Request.PostForm
	body, ok := policyBody(f)
	if !ok {
		w.showPolicies(c, http.StatusUnprocessableEntity, map[string]string{"ladder": w.msg.get("issue.no_ladder")}, f)
		return
	}
	if _, ok := body["units"]; !ok {
		body["units"] = []string{}
	}
	var hdr []string
	if key := f.Get("_key"); key != "" && len(key) <= 60 {
		hdr = []string{"Idempotency-Key", "web-policy-" + key}
	}
	var out api.PolicyDocumentView
	code, p := w.call(c, http.MethodPost, "/api/v1/policy-documents", body, &out, hdr...)
	switch {
	case p == nil:
		w.flash(c, fmt.Sprintf(w.msg.get("policy.issued"), out.Units))
		seeOther(c, fmt.Sprintf("/policies/%d", out.ID))
	case code == http.StatusUnprocessableEntity:
		w.showPolicies(c, code, unitsErrors(fieldErrors(p)), f)
	default:
		w.refused(c, code, p)
	}
}

// unitsErrors shows an error of one of the units (units[3]) beside the units.
func unitsErrors(errs map[string]string) map[string]string {
	for k, v := range errs {
		if strings.HasPrefix(k, "units[") {
			if _, ok := errs["units"]; !ok {
				errs["units"] = v
			}
		}
	}
	return errs
}

func (w *Web) policyPage(c *gin.Context) {
	w.showPolicy(c, http.StatusOK, nil, url.Values{"issued_on": {w.now().In(zone).Format(time.DateOnly)}})
}

func (w *Web) showPolicy(c *gin.Context, code int, errs map[string]string, values url.Values) {
	var d api.PolicyDocumentView
	if !w.get(c, "/api/v1/policy-documents/"+url.PathEscape(c.Param("id")), &d) {
		return
	}
	var done, pending, overdue []api.DocumentAckView
	for _, a := range d.Acknowledgements {
		switch {
		case a.State == "acknowledged":
			done = append(done, a)
		case a.Overdue:
			overdue = append(overdue, a)
			pending = append(pending, a)
		default:
			pending = append(pending, a)
		}
	}
	key, err := store.NewSecret()
	if err != nil {
		w.fail(c, err)
		return
	}
	w.render(c, code, "policy", pageData{"D": d, "Done": done, "Pending": pending, "Overdue": len(overdue),
		"Issuer": canIssue(person(c)) && d.Status != domain.DocumentSuperseded, "Errors": errs, "V": formValues(values), "Key": key})
}

// newPolicyVersion issues a new version through the API: every unit acknowledges it again.
func (w *Web) newPolicyVersion(c *gin.Context) {
	if err := c.Request.ParseForm(); err != nil {
		w.showPolicy(c, http.StatusBadRequest, nil, url.Values{})
		return
	}
	f := c.Request.PostForm
	body, _ := policyBody(f)
	var hdr []string
	if key := f.Get("_key"); key != "" && len(key) <= 60 {
		hdr = []string{"Idempotency-Key", "web-policy-version-" + key}
	}
	var out api.PolicyDocumentView
	code, p := w.call(c, http.MethodPost, "/api/v1/policy-documents/"+url.PathEscape(c.Param("id"))+"/versions", body, &out, hdr...)
	switch {
	case p == nil:
		w.flash(c, fmt.Sprintf(w.msg.get("policy.version_issued"), out.Version, out.Units))
		seeOther(c, fmt.Sprintf("/policies/%d", out.ID))
	case code == http.StatusUnprocessableEntity || code == http.StatusConflict:
		errs := fieldErrors(p)
		if len(errs) == 0 {
			errs["_"] = p.Detail
		}
		w.showPolicy(c, code, errs, f)
	default:
		w.refused(c, code, p)
	}
}
