package api_test

import (
	"bytes"
	"testing"

	"github.com/zeren-county/zeren/api"
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
