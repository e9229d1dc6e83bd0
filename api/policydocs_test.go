package api_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/zeren-county/zeren/api"
)

// Issuing a policy document: only leaders and the safety office (403 for a
// town head); bad input is a 422 naming every field, with nothing written;
// Temporal out of reach is a 503, with nothing written either.
func TestIssuePolicyDocumentRules(t *testing.T) {
	f := newFixture(t)
	post := func(person string, body map[string]any) (int, api.Problem) {
		b, _ := json.Marshal(body)
		rec := f.do(t, "POST", "/api/v1/policy-documents", person, bytes.NewReader(b))
		var p api.Problem
		_ = json.Unmarshal(rec.Body.Bytes(), &p)
		return rec.Code, p
	}
	good := func() map[string]any {
		return map[string]any{"title": "麟游县安全生产联防联治工作制度", "number": "麟安委办发〔2020〕5号", "issued_on": "2020-06-01",
			"body": "第一条 为建立健全联防联治机制……", "units": []string{"jcg", "cm"}, "due_at": time.Now().Add(10 * 24 * time.Hour)}
	}
	if code, p := post("jcg-head", good()); code != 403 {
		t.Fatalf("a town head issued a document: %d %+v", code, p)
	}
	tests := []struct {
		name   string
		change func(map[string]any)
		fields []string
	}{
		{"no title", func(b map[string]any) { delete(b, "title") }, []string{"title"}},
		{"past deadline", func(b map[string]any) { b["due_at"] = time.Now().Add(-time.Hour) }, []string{"due_at"}},
		{"unknown unit", func(b map[string]any) { b["units"] = []string{"jcg", "nowhere"} }, []string{"units[1]"}},
		{"no units", func(b map[string]any) { b["units"] = []string{} }, []string{"units"}},
		{"same unit twice", func(b map[string]any) { b["units"] = []string{"jcg", "jcg"} }, []string{"units[1]"}},
		{"bad date", func(b map[string]any) { b["issued_on"] = "2020-13-01" }, []string{"issued_on"}},
		{"control character", func(b map[string]any) { b["body"] = "第一条\x07" }, []string{"body"}},
		{"bad ladder", func(b map[string]any) { b["ladder"] = []map[string]any{{"offset": "-1d", "action": "notice"}} }, []string{"ladder[0].offset"}},
		{"unknown campaign", func(b map[string]any) { b["campaign"] = "no-such" }, []string{"campaign"}},
		{"several", func(b map[string]any) { delete(b, "body"); delete(b, "due_at"); b["issuer_unit"] = "nowhere" }, []string{"body", "due_at", "issuer_unit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := good()
			tt.change(b)
			code, p := post("yjj-office", b)
			if code != 422 {
				t.Fatalf("%d %+v; want 422", code, p)
			}
			got := map[string]bool{}
			for _, e := range p.Errors {
				got[e.Field] = true
			}
			for _, want := range tt.fields {
				if !got[want] {
					t.Errorf("errors %+v do not name %s", p.Errors, want)
				}
			}
		})
	}
	if code, p := post("linyou-deputy", good()); code != 503 {
		t.Fatalf("Temporal out of reach: %d %+v, want 503", code, p)
	}
	var n int
	if err := f.db.Get(&n, `SELECT (SELECT count(*) FROM policy_documents) + (SELECT count(*) FROM policy_document_units)`); err != nil || n != 0 {
		t.Fatalf("%d rows written (%v), want none", n, err)
	}
	rec := f.do(t, "GET", "/api/v1/policy-documents", "jcg-head", nil)
	if rec.Code != 200 || !bytes.Contains(rec.Body.Bytes(), []byte(`"documents":[]`)) {
		t.Fatalf("list: %d %s", rec.Code, rec.Body)
	}
	if rec := f.do(t, "GET", "/api/v1/policy-documents?status=old", "jcg-head", nil); rec.Code != 422 {
		t.Fatalf("bad status filter: %d", rec.Code)
	}
	if rec := f.do(t, "GET", "/api/v1/policy-documents/99", "jcg-head", nil); rec.Code != 404 {
		t.Fatalf("unknown document: %d", rec.Code)
	}
	b, _ := json.Marshal(good())
	if rec := f.do(t, "POST", "/api/v1/policy-documents/99/versions", "yjj-office", bytes.NewReader(b)); rec.Code != 404 {
		t.Fatalf("new version of an unknown document: %d", rec.Code)
	}
}
