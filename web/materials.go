package web

import (
	"fmt"
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

// Rescue materials (救援物资): the county's materials database (search who
// holds what, with low and expired flags), one mine's inventory with its
// add form (its own people) or its request form (another mine, the bureau),
// an item with its ledger and edit form, the loans and a loan's steps. Like
// every page they read and act through the JSON API.
func (w *Web) mountMaterials(g *gin.RouterGroup) {
	g.GET("/materials", w.materialsPage)
	g.POST("/materials", w.addMaterial)
	g.GET("/materials/:id", w.materialPage)
	g.POST("/materials/:id", w.editMaterial)
	g.GET("/loans", w.loansPage)
	g.POST("/loans", w.requestLoan)
	g.GET("/loans/:id", w.loanPage)
}

func (w *Web) materialsPage(c *gin.Context) {
	w.showMaterials(c, http.StatusOK, nil, url.Values{"purpose": {domain.PurposeEmergency}})
}

// showMaterials renders the database, or one mine's inventory with ?unit=.
func (w *Web) showMaterials(c *gin.Context, code int, errs map[string]string, values url.Values) {
	unit := c.Query("unit")
	if unit == "" {
		unit = values.Get("owner")
	}
	q := url.Values{}
	filter := map[string]string{}
	for _, n := range []string{"q", "flagged"} {
		if v := strings.TrimSpace(c.Query(n)); v != "" {
			q.Set(n, v)
			filter[n] = v
		}
	}
	if unit != "" {
		q.Set("unit", unit)
		filter["unit"] = unit
	}
	var list api.MaterialList
	var units api.UnitList
	if !w.getAll(c, map[string]any{"/api/v1/materials?" + q.Encode(): &list, "/api/v1/units": &units}) {
		return
	}
	var all []assignable
	flatten(units.Units, &all)
	var mines []assignable
	name := ""
	for _, u := range all {
		if u.Kind == "enterprise" {
			mines = append(mines, u)
		}
		if u.Code == unit {
			name = u.Name
		}
	}
	own, err := w.ownUnits(c)
	if err != nil {
		w.fail(c, err)
		return
	}
	mine := unit != "" && slices.ContainsFunc(own, func(u domain.Unit) bool { return u.Code == unit })
	key, err := store.NewSecret()
	if err != nil {
		w.fail(c, err)
		return
	}
	low, expired := 0, 0
	for _, m := range list.Materials {
		if m.Low {
			low++
		}
		if m.Expired {
			expired++
		}
	}
	w.render(c, code, "materials", pageData{"Items": list.Materials, "Borrowed": list.Borrowed, "Unit": unit, "UnitName": name,
		"Mines": mines, "Own": own, "Mine": mine, "Request": unit != "" && !mine && len(own) > 0, "Filter": filter,
		"Low": low, "Expired": expired, "Errors": errs, "V": formValues(values), "Key": key})
}

// materialBody turns the item form into the API's body.
func materialBody(f url.Values) map[string]any {
	body := map[string]any{}
	for _, n := range []string{"unit", "name", "spec", "uom", "location", "inspected_on", "expires_on"} {
		if v := strings.TrimSpace(f.Get(n)); v != "" {
			body[n] = f.Get(n)
		}
	}
	for _, n := range []string{"quantity", "min_stock", "version"} {
		if v := strings.TrimSpace(f.Get(n)); v != "" {
			body[n] = number(v)
		}
	}
	return body
}

// addMaterial adds an item to the person's own mine through the API; the form's key makes a double submission add it once.
func (w *Web) addMaterial(c *gin.Context) {
	if err := c.Request.ParseForm(); err != nil {
		w.showMaterials(c, http.StatusBadRequest, nil, url.Values{})
		return
	}
	f := c.Request.PostForm
	var hdr []string
	if key := f.Get("_key"); key != "" && len(key) <= 60 {
		hdr = []string{"Idempotency-Key", "web-material-" + key}
	}
	var out api.MaterialView
	code, p := w.call(c, http.MethodPost, "/api/v1/materials", materialBody(f), &out, hdr...)
	switch {
	case p == nil:
		w.flash(c, fmt.Sprintf(w.msg.get("materials.added"), out.Name))
		seeOther(c, "/materials?unit="+url.QueryEscape(out.UnitCode))
	case code == http.StatusUnprocessableEntity:
		c.Request.URL.RawQuery = url.Values{"unit": {f.Get("unit")}}.Encode()
		w.showMaterials(c, code, fieldErrors(p), f)
	default:
		w.refused(c, code, p)
	}
}

func (w *Web) materialPage(c *gin.Context) {
	w.showMaterial(c, http.StatusOK, nil, nil)
}

func (w *Web) showMaterial(c *gin.Context, code int, errs map[string]string, values url.Values) {
	var m api.MaterialView
	if !w.get(c, "/api/v1/materials/"+url.PathEscape(c.Param("id")), &m) {
		return
	}
	if values == nil {
		values = url.Values{"name": {m.Name}, "spec": {m.Spec}, "uom": {m.UOM}, "quantity": {strconv.Itoa(m.Quantity)},
			"min_stock": {strconv.Itoa(m.MinStock)}, "location": {m.Location}, "version": {strconv.Itoa(m.Version)}}
		if m.InspectedOn != nil {
			values.Set("inspected_on", *m.InspectedOn)
		}
		if m.ExpiresOn != nil {
			values.Set("expires_on", *m.ExpiresOn)
		}
	}
	own, err := w.ownUnits(c)
	if err != nil {
		w.fail(c, err)
		return
	}
	w.render(c, code, "material", pageData{"M": m, "Edit": slices.ContainsFunc(own, func(u domain.Unit) bool { return u.ID == m.UnitID }),
		"Errors": errs, "V": formValues(values)})
}

// editMaterial replaces the item through the API (its own mine's people).
func (w *Web) editMaterial(c *gin.Context) {
	if err := c.Request.ParseForm(); err != nil {
		w.showMaterial(c, http.StatusBadRequest, nil, url.Values{})
		return
	}
	f := c.Request.PostForm
	var out api.MaterialView
	code, p := w.call(c, http.MethodPut, "/api/v1/materials/"+url.PathEscape(c.Param("id")), materialBody(f), &out)
	switch {
	case p == nil:
		w.flash(c, fmt.Sprintf(w.msg.get("materials.saved"), out.Name))
		seeOther(c, fmt.Sprintf("/materials/%d", out.ID))
	case code == http.StatusUnprocessableEntity || code == http.StatusConflict:
		errs := fieldErrors(p)
		if len(errs) == 0 {
			errs["_"] = p.Detail
		}
		w.showMaterial(c, code, errs, f)
	default:
		w.refused(c, code, p)
	}
}

// requestLoan asks the mine whose inventory the form shows for the quantities
// entered (qty.{item id}); the form's key makes a double submission ask once.
func (w *Web) requestLoan(c *gin.Context) {
	if err := c.Request.ParseForm(); err != nil {
		w.showMaterials(c, http.StatusBadRequest, nil, url.Values{})
		return
	}
	f := c.Request.PostForm
	body := map[string]any{"owner": f.Get("owner"), "purpose": f.Get("purpose"), "reason": f.Get("reason")}
	if v := strings.TrimSpace(f.Get("return_days")); v != "" {
		body["return_days"] = number(v)
	}
	var items []map[string]any
	var ids []string
	for k := range f {
		if strings.HasPrefix(k, "qty.") {
			ids = append(ids, strings.TrimPrefix(k, "qty."))
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		n := strings.TrimSpace(f.Get("qty." + id))
		if n == "" || n == "0" {
			continue
		}
		items = append(items, map[string]any{"item_id": number(id), "quantity": number(n)})
	}
	if items == nil {
		items = []map[string]any{}
	}
	body["items"] = items
	var hdr []string
	if key := f.Get("_key"); key != "" && len(key) <= 60 {
		hdr = []string{"Idempotency-Key", "web-loan-" + key}
	}
	var out api.LoanView
	code, p := w.call(c, http.MethodPost, "/api/v1/material-loans", body, &out, hdr...)
	switch {
	case p == nil:
		w.flash(c, w.msg.get("loans.requested"))
		seeOther(c, fmt.Sprintf("/loans/%d", out.ID))
	case code == http.StatusUnprocessableEntity:
		errs := fieldErrors(p)
		for k, v := range errs {
			if strings.HasPrefix(k, "items") {
				errs["items"] = v
			}
		}
		c.Request.URL.RawQuery = url.Values{"unit": {f.Get("owner")}}.Encode()
		w.showMaterials(c, code, errs, f)
	default:
		w.refused(c, code, p)
	}
}

func (w *Web) loansPage(c *gin.Context) {
	var list api.LoanList
	if !w.get(c, "/api/v1/material-loans", &list) {
		return
	}
	w.render(c, http.StatusOK, "loans", pageData{"Loans": list.Loans})
}

func (w *Web) loanPage(c *gin.Context) {
	var l api.LoanView
	if !w.get(c, "/api/v1/material-loans/"+url.PathEscape(c.Param("id")), &l) {
		return
	}
	w.render(c, http.StatusOK, "loan", pageData{"L": l, "Now": w.now()})
}
