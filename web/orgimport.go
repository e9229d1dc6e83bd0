package web

import (
	"errors"
	"io"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/excel"
	"github.com/zeren-county/zeren/internal/store"
)

// maxWorkbook bounds an uploaded organisation workbook.
const maxWorkbook = 10 << 20

func (w *Web) mountOrgImport(a *gin.RouterGroup) {
	a.GET("/org/template.xlsx", w.orgTemplate)
	a.GET("/org/current.xlsx", w.orgCurrent)
	a.POST("/org/import", w.orgImport)
}

func (w *Web) orgTemplate(c *gin.Context) {
	b, err := excel.OrgTemplate()
	w.sendWorkbook(c, w.msg.get("admin.template_file"), b, err)
}

// orgCurrent downloads the registered organisation in the template's form, to edit and import again.
func (w *Web) orgCurrent(c *gin.Context) {
	org, err := excel.LoadOrg(c.Request.Context(), w.Store.DB)
	if err != nil {
		w.fail(c, err)
		return
	}
	b, err := excel.OrgWorkbook(org)
	w.sendWorkbook(c, w.msg.get("admin.org_file_name"), b, err)
}

func (w *Web) sendWorkbook(c *gin.Context, name string, b []byte, err error) {
	if err != nil {
		w.fail(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="org.xlsx"; filename*=UTF-8''`+url.PathEscape(name))
	c.Data(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b)
}

// errRefusedRows rolls the import back when a row is refused.
var errRefusedRows = errors.New("rows refused")

// orgImport imports the organisation from a filled template: every row is
// checked, and nothing is written unless every row is valid.
func (w *Web) orgImport(c *gin.Context) {
	fh, err := c.FormFile("file")
	if err != nil {
		w.showAdmin(c, http.StatusUnprocessableEntity, pageData{"ImportErrors": []excel.RowError{{Message: w.msg.get("admin.import_no_file")}}})
		return
	}
	if fh.Size > maxWorkbook {
		w.showAdmin(c, http.StatusRequestEntityTooLarge, pageData{"ImportErrors": []excel.RowError{{Message: w.msg.get("admin.import_too_large")}}})
		return
	}
	f, err := fh.Open()
	if err != nil {
		w.fail(c, err)
		return
	}
	defer f.Close()
	ctx := c.Request.Context()
	var sum excel.Summary
	var refused []excel.RowError
	err = w.Store.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		sum, refused, err = excel.ImportOrg(ctx, tx, io.LimitReader(f, maxWorkbook))
		if err == nil && len(refused) > 0 {
			return errRefusedRows
		}
		if err != nil || !sum.Changed() {
			return err
		}
		me := person(c)
		name := fh.Filename
		if domain.TextProblem(name) != "" || len(name) > 200 {
			name = "" // a browser's file name is only a note
		}
		_, err = store.Append(ctx, tx, store.Event{Actor: me.Key, Action: "org.imported", SubjectType: "organisation", SubjectID: "import",
			UnitID: me.UnitID, After: map[string]any{"file": name, "summary": sum}})
		return err
	})
	switch {
	case errors.Is(err, errRefusedRows):
		w.showAdmin(c, http.StatusUnprocessableEntity, pageData{"ImportErrors": refused})
	case err != nil:
		w.fail(c, err)
	default:
		w.showAdmin(c, http.StatusOK, pageData{"Imported": sum})
	}
}
