package domain_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zeren-county/zeren/internal/domain"
)

// A drill's record: each wrong field named — by DecodeCompletion for the
// record's own fields, by CheckDrill against the drill (its participants, its
// day, now).
func TestDrillRecord(t *testing.T) {
	drillAt := time.Date(2021, 6, 16, 9, 0, 0, 0, domain.DefaultZone)
	now := drillAt.Add(24 * time.Hour)
	due := now.Add(30 * 24 * time.Hour)
	units := []string{"gjh", "yzg"}
	good := func() map[string]any {
		return map[string]any{"held_on": "2021-06-16", "present": []string{"gjh", "yzg"}, "evaluation": "协同有序",
			"problems": []map[string]any{{"unit": "gjh", "description": "通信中断", "deadline": due}}}
	}
	tests := []struct {
		name   string
		change func(map[string]any)
		fields []string // refused by DecodeCompletion
		checks []string // refused by CheckDrill
	}{
		{"good", func(map[string]any) {}, nil, nil},
		{"no problems", func(b map[string]any) { b["problems"] = []any{} }, nil, nil},
		{"no date", func(b map[string]any) { delete(b, "held_on") }, []string{"held_on"}, nil},
		{"bad date", func(b map[string]any) { b["held_on"] = "2021-13-01" }, []string{"held_on"}, nil},
		{"nobody present", func(b map[string]any) { b["present"] = []string{} }, []string{"present"}, nil},
		{"no evaluation", func(b map[string]any) { b["evaluation"] = "\x00" }, []string{"evaluation"}, nil},
		{"problem without description", func(b map[string]any) {
			b["problems"] = []map[string]any{{"unit": "gjh", "deadline": due}}
		}, []string{"problems[0].description"}, nil},
		{"problem without deadline", func(b map[string]any) {
			b["problems"] = []map[string]any{{"unit": "gjh", "description": "x"}}
		}, []string{"problems[0].deadline"}, nil},
		{"unknown field", func(b map[string]any) { b["result"] = "x" }, []string{"result"}, nil},
		{"before the drill", func(b map[string]any) { b["held_on"] = "2021-06-15" }, nil, []string{"held_on"}},
		{"in the future", func(b map[string]any) { b["held_on"] = "2021-06-18" }, nil, []string{"held_on"}},
		{"not a participant", func(b map[string]any) {
			b["present"] = []string{"gjh", "cmm"}
			b["problems"] = []map[string]any{{"unit": "cmm", "description": "x", "deadline": due}}
		}, nil, []string{"present[1]", "problems[0].unit"}},
		{"past deadline", func(b map[string]any) {
			b["problems"] = []map[string]any{{"unit": "gjh", "description": "x", "deadline": now.Add(-time.Hour)}}
		}, nil, []string{"problems[0].deadline"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := good()
			tt.change(b)
			raw, _ := json.Marshal(b)
			c, err := domain.DecodeCompletion(domain.KindDrillEvaluate, raw)
			if len(tt.fields) > 0 {
				for _, f := range tt.fields {
					if err == nil || !strings.Contains(fmt.Sprintf("%+v", err), f) {
						t.Errorf("DecodeCompletion: %v does not name %s", err, f)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("DecodeCompletion: %v", err)
			}
			err = c.CheckDrill(units, drillAt, now)
			if len(tt.checks) == 0 && err != nil {
				t.Fatalf("CheckDrill: %v", err)
			}
			var v *domain.ValidationError
			named := map[string]bool{}
			if errors.As(err, &v) {
				for _, f := range v.Fields {
					named[f.Field] = true
				}
			}
			for _, f := range tt.checks {
				if !named[f] {
					t.Errorf("CheckDrill: %v does not name %s", err, f)
				}
			}
		})
	}
}
