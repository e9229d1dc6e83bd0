package api_test

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/zeren-county/zeren/api"
)

func TestPledgeTemplateRules(t *testing.T) {
	f := newFixture(t)
	put := func(person string, targets any) (int, api.Problem) {
		b, _ := json.Marshal(map[string]any{"targets": targets})
		rec := f.do(t, "PUT", "/api/v1/pledge-templates/town", person, bytes.NewReader(b))
		var p api.Problem
		_ = json.Unmarshal(rec.Body.Bytes(), &p)
		return rec.Code, p
	}
	good := []map[string]any{
		{"text": "落实属地管理责任", "indicator": "责任落实率", "target_value": "100%", "weight": 60},
		{"text": "不发生较大事故", "indicator": "较大事故起数", "target_value": "0", "weight": 40},
	}
	if code, _ := put("jcg-head", good); code != 403 {
		t.Fatalf("a town head edited the template: %d", code)
	}
	tests := []struct {
		name    string
		targets any
		field   string
	}{
		{"weights not 100", []map[string]any{{"text": "a", "indicator": "b", "target_value": "1", "weight": 60}}, "targets"},
		{"no indicator", []map[string]any{{"text": "a", "indicator": "", "target_value": "1", "weight": 100}}, "targets[0].indicator"},
		{"zero weight", []map[string]any{{"text": "a", "indicator": "b", "target_value": "1", "weight": 0}, {"text": "a", "indicator": "b", "target_value": "1", "weight": 100}}, "targets[0].weight"},
		{"empty", []map[string]any{}, "targets"},
		{"wrong type", "all of them", "targets"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, p := put("yjj-office", tt.targets)
			if code != 422 || len(p.Errors) == 0 || p.Errors[0].Field != tt.field {
				t.Fatalf("%d %+v; want 422 naming %s", code, p, tt.field)
			}
		})
	}
	rec := f.do(t, "GET", "/api/v1/pledge-templates/town", "jcg-head", nil)
	if rec.Code != 200 || bytes.Contains(rec.Body.Bytes(), []byte("责任落实率\",\"target_value\":\"100%\",\"weight\":60")) {
		t.Fatalf("a refused edit changed the template: %s", rec.Body)
	}
	if code, _ := put("yjj-office", good); code != 200 {
		t.Fatalf("a valid edit: %d", code)
	}
	rec = f.do(t, "GET", "/api/v1/pledge-templates/town", "jcg-head", nil)
	if !bytes.Contains(rec.Body.Bytes(), []byte(`"weight":60`)) {
		t.Fatalf("template after edit: %s", rec.Body)
	}
	if rec := f.do(t, "GET", "/api/v1/pledge-templates/county", "jcg-head", nil); rec.Code != 404 {
		t.Fatalf("unknown kind: %d", rec.Code)
	}
}

func TestPlanTaskNeedsItsFourClears(t *testing.T) {
	f := newFixture(t)
	rec := f.do(t, "GET", "/api/v1/campaigns/linyou-2020/plans", "jcg-head", nil)
	var plans struct {
		Plans []struct {
			ID   int64
			Kind string
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &plans); err != nil || len(plans.Plans) != 17 || plans.Plans[0].Kind != "overall" {
		t.Fatalf("plans: %s", rec.Body)
	}
	path := "/api/v1/plans/" + strconv.FormatInt(plans.Plans[3].ID, 10) + "/tasks"
	b, _ := json.Marshal(map[string]any{"content": " ", "owner_unit": "", "measures": ""})
	rec = f.do(t, "POST", path, "yjj-office", bytes.NewReader(b))
	var p api.Problem
	_ = json.Unmarshal(rec.Body.Bytes(), &p)
	got := map[string]bool{}
	for _, e := range p.Errors {
		got[e.Field] = true
	}
	if rec.Code != 422 || !got["content"] || !got["owner_unit"] || !got["deadline"] || !got["measures"] {
		t.Fatalf("%d %+v; want 422 naming all four clears", rec.Code, p)
	}
	if rec := f.do(t, "POST", path, "jcg-head", bytes.NewReader(b)); rec.Code != 403 {
		t.Fatalf("a town head wrote a plan task: %d", rec.Code)
	}
	var n int
	if err := f.db.Get(&n, `SELECT count(*) FROM plan_tasks`); err != nil || n != 0 {
		t.Fatalf("refused plan tasks left %d rows (%v)", n, err)
	}
}
