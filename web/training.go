package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/zeren-county/zeren/api"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// The pages of training sessions (安全培训) and publicity items (宣传): a list
// with its filters and the form that records one for the person's own unit.
// Like every page they read and act through the JSON API.
func (w *Web) mountTraining(g *gin.RouterGroup) {
	g.GET("/trainings", w.trainingsPage)
	g.POST("/trainings", w.recordTraining)
	g.GET("/publicity", w.publicityPage)
	g.POST("/publicity", w.recordPublicity)
}

// ownUnits are the units the person records training and publicity for: each
// unit in which they hold a working role (the API decides; this only offers them).
func (w *Web) ownUnits(c *gin.Context) ([]domain.Unit, error) {
	var out []domain.Unit
	for _, g := range person(c).Grants {
		if g.Role == domain.RoleAdmin || slices.ContainsFunc(out, func(u domain.Unit) bool { return u.ID == g.UnitID }) {
			continue
		}
		u, err := store.UnitByID(c.Request.Context(), w.Store.DB, g.UnitID)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

// recordForm adds to data what a recording form needs: the person's units,
// the campaigns and a fresh idempotency key; false when the page was answered.
func (w *Web) recordForm(c *gin.Context, data pageData) bool {
	units, err := w.ownUnits(c)
	if err != nil {
		w.fail(c, err)
		return false
	}
	if len(units) == 0 {
		return true
	}
	var camps api.CampaignList
	if !w.get(c, "/api/v1/campaigns", &camps) {
		return false
	}
	key, err := store.NewSecret()
	if err != nil {
		w.fail(c, err)
		return false
	}
	data["Record"], data["Key"], data["Units"], data["Campaigns"] = true, key, units, camps.Campaigns
	if v := data["V"].(map[string]string); v["unit"] == "" {
		v["unit"] = units[0].Code
	}
	return true
}

// listFilter reads a list page's filters (the kind filter named kind, one of
// kinds, and the year) as the API's query.
func listFilter(c *gin.Context, kind string, kinds []string) (url.Values, map[string]string) {
	q, v := url.Values{}, map[string]string{}
	if k := c.Query(kind); slices.Contains(kinds, k) {
		q.Set(kind, k)
		v[kind] = k
	}
	if y, err := strconv.Atoi(c.Query("year")); err == nil && y >= domain.Earliest.Year() && y <= 2100 {
		q.Set("year", strconv.Itoa(y))
		v["year"] = strconv.Itoa(y)
	}
	return q, v
}

// years are the years a list filter offers: the campaigns' era to this one.
func years(now time.Time) []int {
	var out []int
	for y := now.In(zone).Year(); y >= 2019; y-- {
		out = append(out, y)
	}
	return out
}

func (w *Web) trainingsPage(c *gin.Context) {
	w.showTrainings(c, http.StatusOK, nil, url.Values{})
}

func (w *Web) showTrainings(c *gin.Context, code int, errs map[string]string, values url.Values) {
	q, filter := listFilter(c, "audience", domain.TrainingAudiences)
	var list api.TrainingList
	if !w.get(c, "/api/v1/trainings?"+q.Encode(), &list) {
		return
	}
	data := pageData{"Trainings": list.Trainings, "Trained": list.Trained, "Filter": filter, "Audiences": domain.TrainingAudiences,
		"Years": years(w.now()), "Errors": errs, "V": formValues(values)}
	if !w.recordForm(c, data) {
		return
	}
	w.render(c, code, "trainings", data)
}

// recordTraining records a training session through the API.
func (w *Web) recordTraining(c *gin.Context) {
	if err := c.Request.ParseForm(); err != nil {
		w.showTrainings(c, http.StatusBadRequest, nil, url.Values{})
		return
	}
	f := c.Request.PostForm
	body := map[string]any{"held_on": f.Get("held_on"), "topic": f.Get("topic"), "audience": f.Get("audience"),
		"trained": number(f.Get("trained")), "location": f.Get("location"), "notes": f.Get("notes")}
	for _, k := range []string{"unit", "campaign"} {
		if v := strings.TrimSpace(f.Get(k)); v != "" {
			body[k] = v
		}
	}
	if v := strings.TrimSpace(f.Get("hours")); v != "" {
		body["hours"] = number(v)
	}
	var out store.Training
	w.record(c, "/api/v1/trainings", body, &out, "web-training-", func() (string, string) {
		return w.msg.get("training.recorded"), "/trainings"
	}, w.showTrainings)
}

func (w *Web) publicityPage(c *gin.Context) {
	w.showPublicity(c, http.StatusOK, nil, url.Values{})
}

func (w *Web) showPublicity(c *gin.Context, code int, errs map[string]string, values url.Values) {
	q, filter := listFilter(c, "kind", domain.PublicityKinds)
	var list api.PublicityList
	if !w.get(c, "/api/v1/publicity?"+q.Encode(), &list) {
		return
	}
	data := pageData{"Items": list.Publicity, "Filter": filter, "Kinds": domain.PublicityKinds, "Years": years(w.now()),
		"Errors": errs, "V": formValues(values)}
	if !w.recordForm(c, data) {
		return
	}
	w.render(c, code, "publicity", data)
}

// recordPublicity records a publicity item through the API.
func (w *Web) recordPublicity(c *gin.Context) {
	if err := c.Request.ParseForm(); err != nil {
		w.showPublicity(c, http.StatusBadRequest, nil, url.Values{})
		return
	}
	f := c.Request.PostForm
	body := map[string]any{"kind": f.Get("kind"), "title": f.Get("title"), "channel": f.Get("channel"),
		"published_on": f.Get("published_on"), "notes": f.Get("notes")}
	for _, k := range []string{"unit", "campaign"} {
		if v := strings.TrimSpace(f.Get(k)); v != "" {
			body[k] = v
		}
	}
	var out store.Publicity
	w.record(c, "/api/v1/publicity", body, &out, "web-publicity-", func() (string, string) {
		return w.msg.get("publicity.recorded"), "/publicity"
	}, w.showPublicity)
}
