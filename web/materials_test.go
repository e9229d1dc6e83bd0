package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The rescue materials' pages: a mine's head records an item from its own
// inventory page (a refusal names the field beside it) and sees it flagged
// when below its minimum; another mine's head finds it in the county's
// database and sees the request form on that mine's page, not the add form;
// a town's head is refused the database.
func TestMaterialPages(t *testing.T) {
	s := newSite(t, true)
	head := s.devSignIn(t, "gjh-head")
	p := s.get(t, head, "/materials?unit=gjh")
	if p.code != 200 || !strings.Contains(p.body, `id="material-form"`) || strings.Contains(p.body, `id="loan-form"`) {
		t.Fatalf("own inventory: %d %.300s", p.code, p.body)
	}
	form := url.Values{"_csrf": {csrf(t, p)}, "_key": {"k1"}, "unit": {"gjh"}, "name": {"自救器"}, "spec": {"ZYX45"}, "uom": {"台"},
		"quantity": {"-3"}, "min_stock": {"100"}, "location": {"井口库房"}}
	res := s.post(t, head, "/materials", form)
	if res.code != http.StatusUnprocessableEntity || !strings.Contains(res.body, "应在 0 到 1000000 之间") {
		t.Fatalf("negative quantity: %d %.500s", res.code, res.body)
	}
	form.Set("quantity", "120")
	form.Set("min_stock", "10")
	if res := s.post(t, head, "/materials", form); res.code != http.StatusSeeOther && res.code != 200 {
		t.Fatalf("add: %d %.300s", res.code, res.body)
	}
	p = s.get(t, head, "/materials?unit=gjh")
	for _, want := range []string{"郭家河煤矿救援物资库存", "自救器", "ZYX45", "120 台", "正常", "借入物资"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("own inventory lacks %q", want)
		}
	}
	other := s.devSignIn(t, "yzg-head")
	if p := s.get(t, other, "/materials?q=自救"); p.code != 200 || !strings.Contains(p.body, "郭家河煤矿") || !strings.Contains(p.body, "ZYX45") {
		t.Errorf("database search: %d", p.code)
	}
	p = s.get(t, other, "/materials?unit=gjh")
	if p.code != 200 || !strings.Contains(p.body, `id="loan-form"`) || strings.Contains(p.body, `id="material-form"`) || !strings.Contains(p.body, "向郭家河煤矿申请借用") {
		t.Errorf("another mine's inventory: %d", p.code)
	}
	res = s.post(t, other, "/loans", url.Values{"_csrf": {csrf(t, p)}, "owner": {"gjh"}, "purpose": {"emergency"}, "reason": {"火情"}})
	if res.code != http.StatusUnprocessableEntity || !strings.Contains(res.body, "至少一项物资") {
		t.Errorf("a request without items: %d %.300s", res.code, res.body)
	}
	town := s.devSignIn(t, "jcg-head")
	if p := s.get(t, town, "/materials"); p.code != http.StatusForbidden {
		t.Errorf("a town's head read the database: %d", p.code)
	}
	if p := s.get(t, other, "/loans"); p.code != 200 || !strings.Contains(p.body, "暂无借用记录") {
		t.Errorf("loans: %d", p.code)
	}
}
