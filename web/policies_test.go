package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// The policy documents' pages: the safety office sees the list and the
// issuing form, whose refusal names the field beside it; a document's page
// lists the units that have not acknowledged it; a unit head reads both
// without the forms.
func TestPolicyPages(t *testing.T) {
	s := newSite(t, true)
	ctx := context.Background()
	db, units := s.county.DB, s.county.Units
	id, err := store.NextPolicyDocumentID(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	spec := domain.PolicyDocumentSpec{ID: id, SeriesID: id, Version: 1, Title: "麟游县安全生产联防联治工作制度", Number: "麟安委办发〔2020〕5号",
		IssuerUnitID: units["yjj"], IssuedOn: "2020-06-01", Body: "第一条 为建立健全联防联治机制", DueAt: time.Now().Add(-time.Hour),
		Ladder: domain.DefaultDocumentLadder(), Units: []domain.DocumentUnit{{UnitID: units["jcg"], Code: "jcg"}, {UnitID: units["cm"], Code: "cm"}},
		IssuedBy: "yjj-office", IssuerID: s.county.IDs["yjj-office"], CreatedAt: time.Now()}
	if _, err := store.InsertPolicyDocument(ctx, db, spec, []string{contract.DocumentAckTaskID(id, units["jcg"]), contract.DocumentAckTaskID(id, units["cm"])}); err != nil {
		t.Fatal(err)
	}
	office := s.devSignIn(t, "yjj-office")
	p := s.get(t, office, "/policies")
	for _, want := range []string{"联防联治工作制度", "麟安委办发〔2020〕5号", "0 / 2", "发布制度文件", `name="units"`, "制度签收"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("list lacks %q", want)
		}
	}
	res := s.post(t, office, "/policies", url.Values{"_csrf": {csrf(t, p)}, "title": {"实施意见"}, "issued_on": {"2020-06-01"}, "body": {"正文"},
		"due_at": {"2030-01-01T18:00"}, "ladder": {"document"}})
	if res.code != http.StatusUnprocessableEntity || !strings.Contains(res.body, "至少一个签收单位") || !strings.Contains(res.body, "实施意见") {
		t.Fatalf("no unit: %d %.300s", res.code, res.body)
	}
	doc := s.get(t, office, "/policies/"+itoa(id))
	for _, want := range []string{"未签收单位（2）", "九成宫镇", "崔木镇", "逾期未签收", "已签收 0 / 2 个单位", "发布新版本"} {
		if !strings.Contains(doc.body, want) {
			t.Errorf("document page lacks %q", want)
		}
	}
	head := s.devSignIn(t, "jcg-head")
	if p := s.get(t, head, "/policies"); p.code != 200 || strings.Contains(p.body, `id="policy-form"`) || !strings.Contains(p.body, "联防联治") {
		t.Errorf("unit head's list: %d, form shown %v", p.code, strings.Contains(p.body, `id="policy-form"`))
	}
	if p := s.get(t, head, "/policies/"+itoa(id)); p.code != 200 || strings.Contains(p.body, `id="version-form"`) {
		t.Errorf("unit head's document page: %d", p.code)
	}
}
