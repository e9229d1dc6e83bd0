package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/zeren-county/zeren/api"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/seed"
)

// Every export answers a workbook to those who may read the list, and the
// report matrix is the county's view only.
func TestExportsAndReportMatrix(t *testing.T) {
	f := newFixture(t)
	camp := "/api/v1/campaigns/" + seed.DemoCampaignID
	if rec := f.do(t, "GET", camp+"/reports/matrix", "yjj-office", nil); rec.Code != 200 || !bytes.Contains(rec.Body.Bytes(), []byte(`"rows"`)) {
		t.Fatalf("matrix: %d %s", rec.Code, rec.Body)
	}
	if rec := f.do(t, "GET", camp+"/reports/matrix", "jcg-head", nil); rec.Code != 403 {
		t.Fatalf("a unit head reads the matrix: %d", rec.Code)
	}
	for _, path := range []string{camp + "/reports/matrix?format=xlsx", camp + "/scores?year=2021&format=xlsx",
		camp + "/pledges/progress?year=2021&format=xlsx", "/api/v1/notices?format=xlsx"} {
		rec := f.do(t, "GET", path, "linyou-secretary", nil)
		if rec.Code != 200 || rec.Header().Get("Content-Type") != api.XLSX || !bytes.HasPrefix(rec.Body.Bytes(), []byte("PK")) {
			t.Errorf("%s: %d %s", path, rec.Code, rec.Header().Get("Content-Type"))
		}
		if cd := rec.Header().Get("Content-Disposition"); !bytes.Contains([]byte(cd), []byte("filename*=UTF-8''")) {
			t.Errorf("%s: disposition %q", path, cd)
		}
	}
	if rec := f.do(t, "GET", camp+"/scores?year=2021&format=pdf", "linyou-secretary", nil); rec.Code != 422 {
		t.Fatalf("unknown format: %d", rec.Code)
	}
}

// The ledgers and statistics download as workbooks; an inspection's hazard
// sheet that is not the template is refused with nothing written.
func TestHazardLedgersAndImport(t *testing.T) {
	f := newFixture(t)
	today := time.Now().In(domain.DefaultZone).Format(time.DateOnly)
	rec := f.send(t, "POST", "/api/v1/inspections", "yjj-inspector-1", map[string]any{"kind": "daily", "title": "日常检查", "leader": "yjj-inspector-1",
		"starts_on": today, "ends_on": today, "visits": []map[string]any{{"unit": "cmm", "visited_on": today}}})
	var insp struct{ ID int64 }
	if rec.Code != 201 || json.Unmarshal(rec.Body.Bytes(), &insp) != nil {
		t.Fatalf("inspection: %d %s", rec.Code, rec.Body)
	}
	for _, path := range []string{"/api/v1/hazards?format=xlsx", "/api/v1/cases?format=xlsx", "/api/v1/hazards/template",
		"/api/v1/campaigns/" + seed.DemoCampaignID + "/statistics?format=xlsx"} {
		rec := f.do(t, "GET", path, "linyou-secretary", nil)
		if rec.Code != 200 || rec.Header().Get("Content-Type") != api.XLSX || !bytes.HasPrefix(rec.Body.Bytes(), []byte("PK")) {
			t.Errorf("%s: %d %s", path, rec.Code, rec.Header().Get("Content-Type"))
		}
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "hazards.xlsx")
	_, _ = fw.Write([]byte("not a workbook"))
	_ = mw.Close()
	req := httptest.NewRequest("POST", fmt.Sprintf("/api/v1/inspections/%d/hazards", insp.ID), &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+f.tokens["yjj-inspector-1"])
	out := httptest.NewRecorder()
	f.h.ServeHTTP(out, req)
	if out.Code != 422 {
		t.Fatalf("import of a non-workbook: %d %s", out.Code, out.Body)
	}
	var n int
	if err := f.db.Get(&n, `SELECT count(*) FROM hazards`); err != nil || n != 0 {
		t.Fatalf("%d hazards after a refused import (%v)", n, err)
	}
}
