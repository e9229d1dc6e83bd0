// Package web is zeren's face for people: server-rendered pages in Chinese,
// served by the same binary and port as the JSON API. Every page reads and
// every form acts through the JSON API's own handlers, called in-process on
// behalf of the signed-in person (api.OnBehalfOf), so authorisation,
// validation and the workflows' Updates live in one place. htmx enhances the
// forms and lists; every form also works without JavaScript. Every asset is
// embedded (web/static) and the Content-Security-Policy allows nothing else.
package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/zeren-county/zeren/api"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/web/static"
)

// Deps is what the pages need.
type Deps struct {
	Store *store.Store
	Log   *slog.Logger
	// DevSignIn lets a person sign in by picking a demo person (zeren dev only).
	DevSignIn bool
	// SecureCookies marks the session cookie Secure (behind TLS).
	SecureCookies bool
	// County is the county's name on formal documents; default 麟游县.
	County string
}

// Web serves the pages.
type Web struct {
	Deps
	api   http.Handler
	pages map[string]*template.Template
	msg   messages
	now   func() time.Time
}

// Mount adds the pages to the API's router r: the pages call r's JSON
// handlers in-process.
func Mount(r *gin.Engine, d Deps) (*Web, error) {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	w := &Web{Deps: d, api: r, now: time.Now}
	var err error
	if w.msg, err = loadMessages(); err != nil {
		return nil, err
	}
	if w.County == "" {
		w.County = w.msg.get("app.county")
	}
	if w.pages, err = w.parsePages(); err != nil {
		return nil, err
	}
	r.GET("/static/*file", gin.WrapH(static.Handler()))
	g := r.Group("/", w.secureHeaders, w.session)
	g.GET("/", w.home)
	g.GET("/login", w.loginPage)
	g.POST("/login", w.login)
	g.POST("/login/dev", w.devLogin)
	g.GET("/reset/:token", w.resetPage)
	g.POST("/reset/:token", w.reset)

	in := g.Group("/", w.signedIn, w.checkCSRF)
	in.POST("/logout", w.logout)
	in.POST("/logout/all", w.logoutAll)
	in.GET("/account", w.accountPage)
	in.POST("/account/password", w.changePassword)
	in.GET("/inbox", w.inboxPage)
	in.GET("/tasks/:id", w.taskPage)
	in.POST("/tasks/:id/complete", w.completeTask)
	in.POST("/tasks/:id/claim", w.claimTask)
	in.POST("/tasks/:id/release", w.releaseTask)
	in.POST("/tasks/:id/comments", w.commentTask)
	in.POST("/tasks/:id/extension", w.requestExtension)
	w.mountIssuing(in)
	w.mountCampaigns(in)
	w.mountDocuments(in)
	w.mountAdmin(in)
	w.mountInspections(in)
	w.mountMeetings(in)
	w.mountTraining(in)
	w.mountPolicies(in)
	w.mountMaterials(in)
	w.mountDrills(in)
	return w, nil
}

// OwnsRoute says whether a route is a page's (for the API's route test).
func OwnsRoute(handler string) bool { return strings.Contains(handler, "/web.") }

// secureHeaders sets the Content-Security-Policy and the other headers every page carries.
func (w *Web) secureHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	c.Next()
}

// call runs one JSON API request in-process on behalf of the signed-in person
// and decodes its answer into out. It answers the status and, for a refusal,
// the problem the API gave.
func (w *Web) call(c *gin.Context, method, path string, body any, out any, headers ...string) (int, *api.Problem) {
	if body == nil {
		return w.send(c, method, path, "", nil, out, headers...)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return http.StatusInternalServerError, &api.Problem{Status: 500, Detail: err.Error()}
	}
	return w.send(c, method, path, "application/json", bytes.NewReader(b), out, headers...)
}

// send runs one API request with a body of the given content type (none when
// contentType is empty), as call does.
func (w *Web) send(c *gin.Context, method, path, contentType string, body io.Reader, out any, headers ...string) (int, *api.Problem) {
	ctx := api.OnBehalfOf(c.Request.Context(), person(c))
	req, err := http.NewRequestWithContext(ctx, method, path, body)
	if err != nil {
		return http.StatusInternalServerError, &api.Problem{Status: 500, Detail: err.Error()}
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("X-Request-Id", api.RequestID(c))
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	w.api.ServeHTTP(rec, req)
	if rec.Code >= 300 {
		p := &api.Problem{Status: rec.Code}
		if err := json.Unmarshal(rec.Body.Bytes(), p); err != nil || p.Status == 0 {
			p.Status = rec.Code
		}
		return rec.Code, p
	}
	if out != nil && rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			return http.StatusInternalServerError, &api.Problem{Status: 500, Detail: fmt.Sprintf("decode %s %s: %v", method, path, err)}
		}
	}
	return rec.Code, nil
}

// get reads path from the API into out, or renders the refusal as a page.
func (w *Web) get(c *gin.Context, path string, out any) bool {
	code, p := w.call(c, http.MethodGet, path, nil, out)
	if p != nil {
		w.refused(c, code, p)
		return false
	}
	return true
}

// getAll reads several paths from the API at once (path → where to decode
// it); the first refusal, in path order, is rendered as the page.
func (w *Web) getAll(c *gin.Context, reads map[string]any) bool {
	type answer struct {
		code int
		p    *api.Problem
	}
	answers := make(map[string]answer, len(reads))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for path, out := range reads {
		wg.Go(func() {
			code, p := w.call(c, http.MethodGet, path, nil, out)
			mu.Lock()
			answers[path] = answer{code, p}
			mu.Unlock()
		})
	}
	wg.Wait()
	for _, path := range slices.Sorted(maps.Keys(reads)) {
		if a := answers[path]; a.p != nil {
			w.refused(c, a.code, a.p)
			return false
		}
	}
	return true
}

// refused renders an API refusal as an error page.
func (w *Web) refused(c *gin.Context, code int, p *api.Problem) {
	if code == http.StatusUnauthorized {
		c.Redirect(http.StatusSeeOther, "/login")
		return
	}
	if code >= 500 && code != http.StatusServiceUnavailable {
		w.Log.ErrorContext(c.Request.Context(), "page failed", "path", c.Request.URL.Path, "status", code, "detail", p.Detail)
		p.Detail = ""
	}
	w.render(c, code, "error", pageData{"Problem": p})
}

// pageData is what a template receives beside the layout's own values.
type pageData map[string]any

// render executes page with the layout: the signed-in person, their CSRF
// token and the flash message travel with every page.
func (w *Web) render(c *gin.Context, code int, page string, data pageData) {
	t, ok := w.pages[page]
	if !ok {
		panic("web: no page " + page)
	}
	if data == nil {
		data = pageData{}
	}
	if data["V"] == nil {
		data["V"] = map[string]string{} // a form's values, empty until a refusal refills it
	}
	if s, ok := c.Get(keySession); ok {
		sess := s.(*session)
		data["Me"] = sess.person
		data["CSRF"] = sess.csrf
		data["Roles"] = rolesOf(sess.person)
	}
	data["Path"] = c.Request.URL.Path
	if f, err := c.Cookie(flashCookie); err == nil && f != "" {
		if v, err := url.QueryUnescape(f); err == nil {
			data["Flash"] = v
		}
		w.clearCookie(c, flashCookie)
	}
	if code == http.StatusUnprocessableEntity && c.GetHeader("HX-Request") == "true" {
		// htmx swaps the form with its errors in place; a 4xx would read as a
		// failed load in the browser's log. A plain form post keeps its 422.
		code = http.StatusOK
	}
	var buf bytes.Buffer
	name := "layout"
	if data["Document"] == true {
		name = "document" // a formal document: its own print layout
	}
	if c.GetHeader("HX-Request") == "true" && c.GetHeader("HX-Target") != "" && t.Lookup("partial") != nil {
		name = "partial"
	}
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		w.Log.ErrorContext(c.Request.Context(), "render", "page", page, "error", err)
		c.String(http.StatusInternalServerError, w.msg.get("error.render"))
		return
	}
	c.Data(code, "text/html; charset=utf-8", buf.Bytes())
}

const flashCookie = "zeren_flash"

// flash keeps a message for the next page the browser shows.
func (w *Web) flash(c *gin.Context, msg string) {
	http.SetCookie(c.Writer, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(msg), Path: "/", MaxAge: 60,
		HttpOnly: true, Secure: w.secure(c), SameSite: http.SameSiteStrictMode})
}

// seeOther answers a form post: htmx follows HX-Redirect, a plain form the 303.
func seeOther(c *gin.Context, to string) {
	if c.GetHeader("HX-Request") == "true" {
		c.Header("HX-Redirect", to)
		c.Status(http.StatusNoContent)
		return
	}
	c.Redirect(http.StatusSeeOther, to)
}

// fieldErrors maps a problem's field errors by field name for the forms.
func fieldErrors(p *api.Problem) map[string]string {
	out := map[string]string{}
	if p == nil {
		return out
	}
	for _, e := range p.Errors {
		if _, ok := out[e.Field]; !ok {
			out[e.Field] = e.Detail
		}
	}
	return out
}

func rolesOf(p domain.Person) map[string]bool {
	out := map[string]bool{}
	for _, g := range p.Grants {
		out[g.Role.String()] = true
	}
	return out
}

// background is a context for work that must outlive a cancelled request.
func background(c *gin.Context) context.Context { return context.WithoutCancel(c.Request.Context()) }
