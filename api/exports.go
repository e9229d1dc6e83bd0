package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/excel"
	"github.com/zeren-county/zeren/internal/store"
)

// XLSX is the media type of the Excel exports (?format=xlsx).
const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// format reads ?format=: "" or json for JSON, xlsx for an Excel workbook; else a 422.
func format(c *gin.Context) (xlsx, ok bool) {
	switch c.Query("format") {
	case "", "json":
		return false, true
	case "xlsx":
		return true, true
	}
	fail(c, &domain.ValidationError{Fields: []domain.FieldError{{Field: "format", Detail: domain.MsgOneOf("json", "xlsx")}}})
	return false, false
}

// sendXLSX answers a workbook as a download named name (Chinese, RFC 5987).
func sendXLSX(c *gin.Context, name string, b []byte, err error) {
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="export.xlsx"; filename*=UTF-8''%s`, url.PathEscape(name)))
	c.Data(http.StatusOK, XLSX, b)
}

// reportMatrix answers the campaign's units × months of monthly reports, to
// those who read every unit's reports (leaders, the safety office).
func (s *Server) reportMatrix(c *gin.Context) {
	xlsx, ok := format(c)
	if !ok {
		return
	}
	if !caller(c).CountyWide() {
		problem(c, http.StatusForbidden, TypeForbidden, "月报矩阵只对县领导和安委办开放")
		return
	}
	ctx := c.Request.Context()
	camp, err := store.CampaignByID(ctx, s.Store.DB, c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	grid, err := store.ReportMatrix(ctx, s.Store.DB, camp.ID)
	if err != nil {
		fail(c, err)
		return
	}
	if xlsx {
		b, err := excel.ReportMatrix(excel.MatrixSheet{Title: camp.Name + "月度报送情况", Matrix: grid, Now: camp.Now(time.Now())})
		sendXLSX(c, camp.Name+"月报矩阵.xlsx", b, err)
		return
	}
	c.JSON(http.StatusOK, grid)
}

// unitNames names every unit by id, for exports.
func (s *Server) unitNames(ctx context.Context) (map[int64]string, error) {
	units, err := store.Units(ctx, s.Store.DB)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]string, len(units))
	for _, u := range units {
		out[u.ID] = u.Name
	}
	return out, nil
}
