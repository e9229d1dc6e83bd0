package api_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/zeren-county/zeren/api"
)

// Planning a joint drill: only leaders and the safety office (403 for a
// mine's head); bad input is a 422 naming every field, with nothing written;
// Temporal out of reach is a 503, with nothing written either.
func TestPlanDrillRules(t *testing.T) {
	f := newFixture(t)
	post := func(person string, body map[string]any) (int, api.Problem) {
		b, _ := json.Marshal(body)
		rec := f.do(t, "POST", "/api/v1/drills", person, bytes.NewReader(b))
		var p api.Problem
		_ = json.Unmarshal(rec.Body.Bytes(), &p)
		return rec.Code, p
	}
	at := time.Now().Add(20 * 24 * time.Hour)
	good := func() map[string]any {
		return map[string]any{"year": at.Year(), "title": "矿井火灾事故救援联合演练", "scenario": "采煤工作面外因火灾，多队协同救援",
			"units": []string{"gjh", "yzg", "zxm", "cmm"}, "lead": "gjh", "drill_at": at}
	}
	if code, p := post("gjh-head", good()); code != 403 {
		t.Fatalf("a mine's head planned a drill: %d %+v", code, p)
	}
	tests := []struct {
		name   string
		change func(map[string]any)
		fields []string
	}{
		{"no title", func(b map[string]any) { delete(b, "title") }, []string{"title"}},
		{"no scenario", func(b map[string]any) { b["scenario"] = " " }, []string{"scenario"}},
		{"past drill", func(b map[string]any) { b["drill_at"] = time.Now().Add(-time.Hour) }, []string{"drill_at"}},
		{"far drill", func(b map[string]any) { b["drill_at"] = time.Now().Add(400 * 24 * time.Hour) }, []string{"drill_at"}},
		{"year out of range", func(b map[string]any) { b["year"] = 1999 }, []string{"year"}},
		{"year not the drill's", func(b map[string]any) { b["year"] = at.Year() + 1 }, []string{"year"}},
		{"one unit", func(b map[string]any) { b["units"] = []string{"gjh"} }, []string{"units"}},
		{"unknown unit", func(b map[string]any) { b["units"] = []string{"gjh", "nowhere"} }, []string{"units[1]"}},
		{"not a producer", func(b map[string]any) { b["units"] = []string{"gjh", "jcg"} }, []string{"units[1]"}},
		{"same unit twice", func(b map[string]any) { b["units"] = []string{"gjh", "gjh"} }, []string{"units[1]"}},
		{"lead not taking part", func(b map[string]any) { b["lead"] = "cmm"; b["units"] = []string{"gjh", "yzg"} }, []string{"lead"}},
		{"preparation after the drill", func(b map[string]any) { b["prepare_due"] = at.Add(time.Hour) }, []string{"prepare_due"}},
		{"control character", func(b map[string]any) { b["scenario"] = "火灾\x07" }, []string{"scenario"}},
		{"bad ladder", func(b map[string]any) { b["ladder"] = []map[string]any{{"offset": "-1d", "action": "notice"}} }, []string{"ladder[0].offset"}},
		{"unknown campaign", func(b map[string]any) { b["campaign"] = "no-such" }, []string{"campaign"}},
		{"unknown organiser", func(b map[string]any) { b["organiser"] = "nowhere" }, []string{"organiser"}},
		{"several", func(b map[string]any) { delete(b, "drill_at"); delete(b, "lead"); b["year"] = 1999 }, []string{"drill_at", "lead", "year"}},
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
	if code, p := post("yjj-office", good()); code != 503 {
		t.Fatalf("Temporal out of reach: %d %+v, want 503", code, p)
	}
	var n int
	if err := f.db.Get(&n, `SELECT (SELECT count(*) FROM drills) + (SELECT count(*) FROM drill_units)
  + (SELECT count(*) FROM audit_log WHERE action = 'drill.planned')`); err != nil || n != 0 {
		t.Fatalf("%d rows written (%v), want none", n, err)
	}
	rec := f.do(t, "GET", "/api/v1/drills", "gjh-head", nil)
	if rec.Code != 200 || !bytes.Contains(rec.Body.Bytes(), []byte(`"drills":[]`)) {
		t.Fatalf("list: %d %s", rec.Code, rec.Body)
	}
	if rec := f.do(t, "GET", "/api/v1/drills?year=20x1", "gjh-head", nil); rec.Code != 422 {
		t.Fatalf("bad year filter: %d", rec.Code)
	}
	if rec := f.do(t, "GET", "/api/v1/drills?unit=nowhere", "gjh-head", nil); rec.Code != 422 {
		t.Fatalf("bad unit filter: %d", rec.Code)
	}
	if rec := f.do(t, "GET", "/api/v1/drills/99", "gjh-head", nil); rec.Code != 404 {
		t.Fatalf("unknown drill: %d", rec.Code)
	}
}
