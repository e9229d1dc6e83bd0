package web

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// The administrator's pages: accounts (create, disable, one-time reset links)
// and the organisation's import from Excel.
func (w *Web) mountAdmin(g *gin.RouterGroup) {
	a := g.Group("/admin", w.adminOnly)
	a.GET("", w.adminPage)
	a.POST("/accounts", w.createAccount)
	a.POST("/accounts/:person/disable", w.disableAccount(true))
	a.POST("/accounts/:person/enable", w.disableAccount(false))
	a.POST("/accounts/:person/reset", w.issueReset)
	w.mountOrgImport(a)
}

func (w *Web) adminOnly(c *gin.Context) {
	if !person(c).HasAny(domain.RoleAdmin) {
		c.Abort()
		w.render(c, http.StatusForbidden, "error", pageData{"Message": w.msg.get("admin.forbidden")})
		return
	}
	c.Next()
}

// accountRow is a person and their sign-in, as the administrator sees them.
type accountRow struct {
	PersonID int64   `db:"person_id"`
	Key      string  `db:"key"`
	Name     string  `db:"name"`
	Unit     string  `db:"unit"`
	Username *string `db:"username"`
	Disabled bool    `db:"disabled"`
	Locked   bool    `db:"locked"`
}

func (w *Web) accounts(ctx context.Context) ([]accountRow, error) {
	var rows []accountRow
	err := sqlx.SelectContext(ctx, w.Store.DB, &rows, `SELECT p.id AS person_id, p.key, p.name, u.name AS unit, a.username,
    a.disabled_at IS NOT NULL AS disabled, coalesce(a.locked_until > now(), false) AS locked
FROM people p JOIN units u ON u.id = p.unit_id LEFT JOIN accounts a ON a.person_id = p.id ORDER BY u.id, p.id`)
	return rows, err
}

func (w *Web) adminPage(c *gin.Context) { w.showAdmin(c, http.StatusOK, pageData{}) }

func (w *Web) showAdmin(c *gin.Context, code int, data pageData) {
	rows, err := w.accounts(c.Request.Context())
	if err != nil {
		w.fail(c, err)
		return
	}
	data["Accounts"] = rows
	w.render(c, code, "admin", data)
}

var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,63}$`)

// ErrUsername says an account name is not one: 2 to 64 of a-z 0-9 . _ -, starting with a letter or digit.
var ErrUsername = errors.New("account name: 2 to 64 of a-z 0-9 . _ -, starting with a letter or digit")

// OpenAccount gives a person an account (or renames theirs) with a random
// password nobody knows, and answers a one-time token for the link
// /reset/TOKEN with which the person sets their own: no password passes
// through the administrator. The CLI (zeren account) and the admin page use it.
func OpenAccount(ctx context.Context, s *store.Store, personID int64, username string, issuedBy int64, now time.Time) (string, error) {
	if !usernamePattern.MatchString(username) {
		return "", ErrUsername
	}
	secret, err := store.NewSecret()
	if err != nil {
		return "", err
	}
	hash, err := hashPassword(secret[:40])
	if err != nil {
		return "", err
	}
	var token string
	err = s.InTx(ctx, func(tx *sqlx.Tx) error {
		if err := store.UpsertAccount(ctx, tx, personID, username, hash); err != nil {
			return err
		}
		var by int64
		if issuedBy != 0 {
			by = issuedBy
		} else {
			by = personID
		}
		token, err = store.IssueReset(ctx, tx, personID, by, now)
		return err
	})
	return token, err
}

// createAccount gives a person an account; the administrator hands them the
// one-time link to set their own password.
func (w *Web) createAccount(c *gin.Context) {
	ctx := c.Request.Context()
	username := strings.ToLower(strings.TrimSpace(c.PostForm("username")))
	errs := map[string]string{}
	p, err := store.PersonByKey(ctx, w.Store.DB, c.PostForm("person"))
	if err != nil {
		errs["person"] = w.msg.get("login.no_person")
	}
	if !usernamePattern.MatchString(username) {
		errs["username"] = w.msg.get("admin.bad_username")
	}
	if len(errs) > 0 {
		w.showAdmin(c, http.StatusUnprocessableEntity, pageData{"Errors": errs, "V": formValues(c.Request.PostForm)})
		return
	}
	token, err := OpenAccount(ctx, w.Store, p.ID, username, person(c).ID, w.now())
	if errors.Is(err, domain.ErrConflict) {
		w.showAdmin(c, http.StatusConflict, pageData{"Errors": map[string]string{"username": w.msg.get("admin.username_taken")}, "V": formValues(c.Request.PostForm)})
		return
	}
	if err != nil {
		w.fail(c, err)
		return
	}
	w.showAdmin(c, http.StatusCreated, pageData{"ResetFor": p.Name, "ResetLink": w.resetLink(c, token)})
}

func (w *Web) resetLink(c *gin.Context, token string) string {
	scheme := "http"
	if w.secure(c) {
		scheme = "https"
	}
	return scheme + "://" + c.Request.Host + "/reset/" + token
}

func (w *Web) disableAccount(disabled bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		id, err := strconv.ParseInt(c.Param("person"), 10, 64)
		if err != nil {
			w.render(c, http.StatusNotFound, "error", pageData{"Message": w.msg.get("error.not_found")})
			return
		}
		err = w.Store.InTx(ctx, func(tx *sqlx.Tx) error { return store.DisableAccount(ctx, tx, id, disabled) })
		if errors.Is(err, domain.ErrNotFound) {
			w.render(c, http.StatusNotFound, "error", pageData{"Message": w.msg.get("error.not_found")})
			return
		}
		if err != nil {
			w.fail(c, err)
			return
		}
		msg := "admin.enabled"
		if disabled {
			msg = "admin.disabled"
		}
		w.flash(c, w.msg.get(msg))
		seeOther(c, "/admin")
	}
}

func (w *Web) issueReset(c *gin.Context) {
	ctx := c.Request.Context()
	id, err := strconv.ParseInt(c.Param("person"), 10, 64)
	if err != nil {
		w.render(c, http.StatusNotFound, "error", pageData{"Message": w.msg.get("error.not_found")})
		return
	}
	a, err := store.AccountOf(ctx, w.Store.DB, id)
	if err != nil {
		w.render(c, http.StatusNotFound, "error", pageData{"Message": w.msg.get("error.not_found")})
		return
	}
	token, err := store.IssueReset(ctx, w.Store.DB, a.PersonID, person(c).ID, w.now())
	if err != nil {
		w.fail(c, err)
		return
	}
	w.showAdmin(c, http.StatusOK, pageData{"ResetFor": a.Username, "ResetLink": w.resetLink(c, token)})
}
