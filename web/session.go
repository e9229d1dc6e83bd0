package web

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"
	"golang.org/x/crypto/bcrypt"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

const (
	sessionCookie = "zeren_session"
	loginCookie   = "zeren_login" // the sign-in form's CSRF token, before there is a session
	keySession    = "zeren.web.session"
	minPassword   = 10
)

// session is the signed-in person of a request.
type session struct {
	id     string
	csrf   string
	person domain.Person
}

func person(c *gin.Context) domain.Person {
	if s, ok := c.Get(keySession); ok {
		return s.(*session).person
	}
	return domain.Person{}
}

// session reads the session cookie; a live session puts its person on the request.
func (w *Web) session(c *gin.Context) {
	id, err := c.Cookie(sessionCookie)
	if err != nil || id == "" || len(id) > 100 {
		c.Next()
		return
	}
	s, err := store.Session(c.Request.Context(), w.Store.DB, id, w.now())
	if err != nil {
		if !errors.Is(err, store.ErrSessionEnded) {
			w.Log.WarnContext(c.Request.Context(), "session lookup", "error", err)
		}
		w.clearCookie(c, sessionCookie)
		c.Next()
		return
	}
	p, err := store.PersonByID(c.Request.Context(), w.Store.DB, s.PersonID)
	if err != nil {
		w.Log.WarnContext(c.Request.Context(), "session person", "error", err)
		c.Next()
		return
	}
	c.Set(keySession, &session{id: id, csrf: s.CSRF, person: p})
	c.Next()
}

// signedIn sends a visitor without a session to the sign-in page.
func (w *Web) signedIn(c *gin.Context) {
	if _, ok := c.Get(keySession); ok {
		c.Next()
		return
	}
	to := "/login"
	if c.Request.Method == http.MethodGet {
		to += "?next=" + url.QueryEscape(c.Request.URL.RequestURI())
	}
	c.Abort()
	seeOther(c, to)
}

// checkCSRF refuses a post without the session's CSRF token (a form field, or
// the X-CSRF-Token header htmx sends) or from another origin.
func (w *Web) checkCSRF(c *gin.Context) {
	if c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead {
		c.Next()
		return
	}
	s, _ := c.Get(keySession)
	token := c.GetHeader("X-CSRF-Token")
	if token == "" {
		token = c.PostForm("_csrf")
	}
	if s == nil || !sameOrigin(c) || subtle.ConstantTimeCompare([]byte(token), []byte(s.(*session).csrf)) != 1 {
		c.Abort()
		w.render(c, http.StatusForbidden, "error", pageData{"Message": w.msg.get("error.csrf")})
		return
	}
	c.Next()
}

// sameOrigin checks the Origin (or Referer) of a post names this host.
func sameOrigin(c *gin.Context) bool {
	from := c.GetHeader("Origin")
	if from == "" || from == "null" {
		from = c.GetHeader("Referer")
	}
	if from == "" {
		return true // an old browser; SameSite=Strict and the token still hold
	}
	u, err := url.Parse(from)
	return err == nil && u.Host == c.Request.Host
}

func (w *Web) setCookie(c *gin.Context, name, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: w.secure(c), SameSite: http.SameSiteStrictMode})
}

// secure says the browser reached zeren over TLS (directly or through a proxy
// that says so): its cookies are then Secure.
func (w *Web) secure(c *gin.Context) bool {
	return w.SecureCookies || c.Request.TLS != nil || c.GetHeader("X-Forwarded-Proto") == "https"
}

func (w *Web) clearCookie(c *gin.Context, name string) { w.setCookie(c, name, "", -1) }

func (w *Web) home(c *gin.Context) {
	if _, ok := c.Get(keySession); ok {
		c.Redirect(http.StatusSeeOther, "/inbox")
		return
	}
	c.Redirect(http.StatusSeeOther, "/login")
}

// demoPerson is a person the dev sign-in offers.
type demoPerson struct {
	Key, Name, Title, Unit string
}

func (w *Web) loginPage(c *gin.Context) {
	w.showLogin(c, http.StatusOK, "", "")
}

func (w *Web) showLogin(c *gin.Context, code int, username, message string) {
	token, err := store.NewSecret()
	if err != nil {
		c.AbortWithStatus(http.StatusInternalServerError)
		return
	}
	w.setCookie(c, loginCookie, token, 3600)
	data := pageData{"LoginCSRF": token, "Username": username, "Error": message, "Next": safeNext(c.Query("next"))}
	if w.DevSignIn {
		var people []demoPerson
		err := sqlx.SelectContext(c.Request.Context(), w.Store.DB, &people, `SELECT p.key AS key, p.name AS name, p.title AS title, u.name AS unit
FROM people p JOIN units u ON u.id = p.unit_id ORDER BY u.id, p.id`)
		if err != nil {
			w.Log.WarnContext(c.Request.Context(), "demo people", "error", err)
		}
		data["DemoPeople"] = people
	}
	w.render(c, code, "login", data)
}

// safeNext keeps a redirect target on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/inbox"
	}
	return next
}

// loginToken checks the sign-in form's token against its cookie.
func (w *Web) loginToken(c *gin.Context) bool {
	cookie, err := c.Cookie(loginCookie)
	return err == nil && cookie != "" && sameOrigin(c) &&
		subtle.ConstantTimeCompare([]byte(cookie), []byte(c.PostForm("_csrf"))) == 1
}

// dummyHash keeps an unknown account name as slow as a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("zeren-no-such-account"), bcrypt.DefaultCost)

func (w *Web) login(c *gin.Context) {
	if !w.loginToken(c) {
		w.showLogin(c, http.StatusForbidden, "", w.msg.get("error.csrf"))
		return
	}
	ctx := c.Request.Context()
	username := strings.ToLower(strings.TrimSpace(c.PostForm("username")))
	password := c.PostForm("password")
	a, err := store.AccountByUsername(ctx, w.Store.DB, username)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		w.showLogin(c, http.StatusUnauthorized, username, w.msg.get("login.wrong"))
		return
	case err != nil:
		w.fail(c, err)
		return
	case a.DisabledAt != nil:
		w.showLogin(c, http.StatusForbidden, username, w.msg.get("login.disabled"))
		return
	case a.LockedUntil != nil && a.LockedUntil.After(w.now()):
		w.showLogin(c, http.StatusTooManyRequests, username, w.msg.get("login.locked"))
		return
	}
	if bcrypt.CompareHashAndPassword([]byte(a.PasswordHash), []byte(password)) != nil {
		if err := store.SignInFailed(background(c), w.Store.DB, a.PersonID, w.now()); err != nil {
			w.Log.WarnContext(ctx, "count failed sign-in", "error", err)
		}
		w.showLogin(c, http.StatusUnauthorized, username, w.msg.get("login.wrong"))
		return
	}
	if err := store.SignInSucceeded(ctx, w.Store.DB, a.PersonID); err != nil {
		w.fail(c, err)
		return
	}
	w.startSession(c, a.PersonID)
}

// devLogin signs in as a demo person picked from a list: zeren dev only.
func (w *Web) devLogin(c *gin.Context) {
	if !w.DevSignIn {
		c.AbortWithStatus(http.StatusNotFound)
		return
	}
	if !w.loginToken(c) {
		w.showLogin(c, http.StatusForbidden, "", w.msg.get("error.csrf"))
		return
	}
	p, err := store.PersonByKey(c.Request.Context(), w.Store.DB, c.PostForm("person"))
	if err != nil {
		w.showLogin(c, http.StatusUnprocessableEntity, "", w.msg.get("login.no_person"))
		return
	}
	w.startSession(c, p.ID)
}

func (w *Web) startSession(c *gin.Context, personID int64) {
	id, _, err := store.StartSession(c.Request.Context(), w.Store.DB, personID, c.Request.UserAgent())
	if err != nil {
		w.fail(c, err)
		return
	}
	w.setCookie(c, sessionCookie, id, 0)
	w.clearCookie(c, loginCookie)
	seeOther(c, safeNext(c.PostForm("next")))
}

func (w *Web) logout(c *gin.Context) {
	s := c.MustGet(keySession).(*session)
	if err := store.EndSession(c.Request.Context(), w.Store.DB, s.id); err != nil {
		w.fail(c, err)
		return
	}
	w.clearCookie(c, sessionCookie)
	seeOther(c, "/login")
}

func (w *Web) logoutAll(c *gin.Context) {
	if err := store.EndSessions(c.Request.Context(), w.Store.DB, person(c).ID); err != nil {
		w.fail(c, err)
		return
	}
	w.clearCookie(c, sessionCookie)
	seeOther(c, "/login")
}

func (w *Web) accountPage(c *gin.Context) {
	a, err := store.AccountOf(c.Request.Context(), w.Store.DB, person(c).ID)
	data := pageData{}
	if err == nil {
		data["Account"] = a
	}
	w.render(c, http.StatusOK, "account", data)
}

// passwordProblem says what is wrong with a new password, or "".
func (w *Web) passwordProblem(pw, again string) string {
	switch {
	case len([]rune(pw)) < minPassword:
		return w.msg.get("password.short")
	case len(pw) > 72:
		return w.msg.get("password.long") // bcrypt reads 72 bytes
	case pw != again:
		return w.msg.get("password.mismatch")
	case domain.TextProblem(pw) != "":
		return domain.TextProblem(pw)
	}
	return ""
}

func (w *Web) changePassword(c *gin.Context) {
	ctx := c.Request.Context()
	p := person(c)
	a, err := store.AccountOf(ctx, w.Store.DB, p.ID)
	if err != nil {
		w.fail(c, err)
		return
	}
	errs := map[string]string{}
	if bcrypt.CompareHashAndPassword([]byte(a.PasswordHash), []byte(c.PostForm("current"))) != nil {
		errs["current"] = w.msg.get("password.wrong_current")
	}
	if msg := w.passwordProblem(c.PostForm("password"), c.PostForm("again")); msg != "" {
		errs["password"] = msg
	}
	if len(errs) > 0 {
		w.render(c, http.StatusUnprocessableEntity, "account", pageData{"Account": a, "Errors": errs})
		return
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(c.PostForm("password")), bcrypt.DefaultCost)
	if err != nil {
		w.fail(c, err)
		return
	}
	// A new password ends every session, this one too; a fresh one keeps the person signed in here.
	if err := w.Store.InTx(ctx, func(tx *sqlx.Tx) error { return store.SetPassword(ctx, tx, p.ID, string(hash)) }); err != nil {
		w.fail(c, err)
		return
	}
	w.flash(c, w.msg.get("password.changed"))
	w.startSession(c, p.ID)
}

func (w *Web) resetPage(c *gin.Context) {
	if _, err := store.ResetValidFor(c.Request.Context(), w.Store.DB, c.Param("token"), w.now()); err != nil {
		w.render(c, http.StatusNotFound, "error", pageData{"Message": w.msg.get("reset.invalid")})
		return
	}
	w.render(c, http.StatusOK, "reset", pageData{"Token": c.Param("token")})
}

func (w *Web) reset(c *gin.Context) {
	ctx := c.Request.Context()
	token := c.Param("token")
	if !sameOrigin(c) {
		w.render(c, http.StatusForbidden, "error", pageData{"Message": w.msg.get("error.csrf")})
		return
	}
	if msg := w.passwordProblem(c.PostForm("password"), c.PostForm("again")); msg != "" {
		w.render(c, http.StatusUnprocessableEntity, "reset", pageData{"Token": token, "Errors": map[string]string{"password": msg}})
		return
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(c.PostForm("password")), bcrypt.DefaultCost)
	if err != nil {
		w.fail(c, err)
		return
	}
	var personID int64
	err = w.Store.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if personID, err = store.UseReset(ctx, tx, token, w.now()); err != nil {
			return err
		}
		return store.SetPassword(ctx, tx, personID, string(hash))
	})
	if errors.Is(err, domain.ErrNotFound) {
		w.render(c, http.StatusNotFound, "error", pageData{"Message": w.msg.get("reset.invalid")})
		return
	}
	if err != nil {
		w.fail(c, err)
		return
	}
	w.flash(c, w.msg.get("password.changed"))
	w.startSession(c, personID)
}

// fail logs an unexpected error and shows a page that tells nothing of the inside.
func (w *Web) fail(c *gin.Context, err error) {
	w.Log.ErrorContext(c.Request.Context(), "page failed", "path", c.Request.URL.Path, "error", err)
	code := http.StatusInternalServerError
	if store.Unavailable(err) {
		code = http.StatusServiceUnavailable
		c.Header("Retry-After", "5")
	}
	w.render(c, code, "error", pageData{"Message": w.msg.get("error.internal")})
}

// hashPassword is the stored form of a new password.
func hashPassword(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	return string(h), err
}
