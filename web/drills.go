package web

import (
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

// Joint drills (联合演练): the list by year with the planning form for leaders
// and the safety office, and each drill's page with its steps — each mine's
// preparation, the record and evaluation, each problem's hazard and its state.
func (w *Web) mountDrills(g *gin.RouterGroup) {
	g.GET("/drills", w.drillsPage)
	g.POST("/drills", w.planDrill)
	g.GET("/drills/:id", w.drillPage)
}

// drillLadders are the ladders the planning form offers, the drill's default first.
func drillLadders() []domain.LadderPreset {
	return append([]domain.LadderPreset{{Name: "drill", Ladder: domain.DefaultDrillLadder()}}, domain.LadderPresets()...)
}

func (w *Web) drillsPage(c *gin.Context) {
	now := w.now().In(zone)
	w.showDrills(c, http.StatusOK, nil, url.Values{"ladder": {"drill"}, "year": {strconv.Itoa(now.Year())}})
}

func (w *Web) showDrills(c *gin.Context, code int, errs map[string]string, values url.Values) {
	year := c.Query("year")
	if n, err := strconv.Atoi(year); err != nil || n < 2000 || n > 2100 {
		year = ""
	}
	var page api.DrillPage
	var units api.UnitList
	var camps api.CampaignList
	reads := map[string]any{"/api/v1/drills?year=" + year: &page}
	planner := canIssue(person(c))
	if planner {
		reads["/api/v1/units"], reads["/api/v1/campaigns"] = &units, &camps
	}
	if !w.getAll(c, reads) {
		return
	}
	var all, mines []assignable
	flatten(units.Units, &all)
	for _, u := range all {
		if u.Kind == "enterprise" {
			mines = append(mines, u)
		}
	}
	key, err := store.NewSecret()
	if err != nil {
		w.fail(c, err)
		return
	}
	w.render(c, code, "drills", pageData{"Drills": page.Drills, "Year": year, "Planner": planner, "Mines": mines, "Campaigns": camps.Campaigns,
		"Presets": drillLadders(), "Errors": errs, "V": formValues(values), "Selected": checked(values["units"]), "Key": key})
}

// drillBody turns the planning form into the API's body.
func drillBody(f url.Values) (map[string]any, bool) {
	body := map[string]any{}
	for _, n := range []string{"title", "scenario", "location", "lead", "campaign"} {
		if v := strings.TrimSpace(f.Get(n)); v != "" {
			body[n] = f.Get(n)
		}
	}
	if y := strings.TrimSpace(f.Get("year")); y != "" {
		body["year"] = number(y)
	}
	body["units"] = append([]string{}, f["units"]...)
	if at := instant(f.Get("drill_at")); at != nil {
		body["drill_at"] = at
	}
	if due := instant(f.Get("prepare_due")); due != nil {
		body["prepare_due"] = due
	}
	if name := f.Get("ladder"); name != "" {
		for _, p := range drillLadders() {
			if p.Name == name {
				body["ladder"] = p.Ladder
				return body, true
			}
		}
		return body, false
	}
	return body, true
}

// planDrill plans a drill through the API; the form's key makes a double submission plan it once.
func (w *Web) planDrill(c *gin.Context) {
	if err := c.Request.ParseForm(); err != nil {
		w.showDrills(c, http.StatusBadRequest, nil, url.Values{})
		return
	}
	f := c.Request.PostForm
	body, ok := drillBody(f)
	if !ok {
		w.showDrills(c, http.StatusUnprocessableEntity, map[string]string{"ladder": w.msg.get("issue.no_ladder")}, f)
		return
	}
	var hdr []string
	if key := f.Get("_key"); key != "" && len(key) <= 60 {
		hdr = []string{"Idempotency-Key", "web-drill-" + key}
	}
	var out api.DrillView
	code, p := w.call(c, http.MethodPost, "/api/v1/drills", body, &out, hdr...)
	switch {
	case p == nil:
		w.flash(c, fmt.Sprintf(w.msg.get("drill.planned"), out.Units))
		seeOther(c, fmt.Sprintf("/drills/%d", out.ID))
	case code == http.StatusUnprocessableEntity:
		w.showDrills(c, code, unitsErrors(fieldErrors(p)), f)
	default:
		w.refused(c, code, p)
	}
}

func (w *Web) drillPage(c *gin.Context) {
	var d api.DrillView
	if !w.get(c, "/api/v1/drills/"+url.PathEscape(c.Param("id")), &d) {
		return
	}
	w.render(c, http.StatusOK, "drill", pageData{"D": d, "Now": w.now().In(zone).Format(time.DateOnly)})
}
