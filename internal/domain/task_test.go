package domain

import (
	"errors"
	"testing"
)

func TestDecodeCompletion(t *testing.T) {
	tests := []struct {
		kind      TaskKind
		body      string
		wantField string // "" = valid
	}{
		{KindAssignmentComplete, `{"result":"已完成"}`, ""},
		{KindAssignmentComplete, `{"result":"  "}`, "result"},
		{KindAssignmentComplete, `{"result":"x","attachments":[{"name":"a.pdf"}]}`, "attachments[0].ref"},
		{KindAssignmentComplete, `{"result":5}`, "result"},
		{KindAssignmentComplete, `{"result":"x","extra":1}`, "extra"},
		{KindAssignmentComplete, `[1]`, "payload"},
		{KindAssignmentComplete, `{"result":"x"} {"result":"y"}`, "payload"},
		{KindAssignmentComplete, ``, "result"},
		{KindAssignmentReview, `{"decision":"approve"}`, ""},
		{KindAssignmentReview, `{"decision":"return"}`, "comment"},
		{KindAssignmentReview, `{"decision":"return","comment":"补充材料"}`, ""},
		{KindAssignmentReview, `{"decision":"maybe"}`, "decision"},
		{KindExtensionDecide, `{"decision":"refuse"}`, ""},
		{KindExtensionDecide, `{"decision":"return"}`, "decision"},
		{TaskKind("hazard.unknown"), `{}`, "kind"},
		{KindReportSubmit, `{"figures":{"inspections":3,"hazards_found":{"daily":5},"hazards_rectified":{"daily":5}},"next_steps":"继续排查"}`, ""},
		{KindReportSubmit, `{"figures":{"inspections":-1},"next_steps":"x"}`, "figures.inspections"},
		{KindReportSubmit, `{"figures":{"hazards_found":{"daily":2},"hazards_rectified":{"daily":3}},"next_steps":"x"}`, "figures.hazards_rectified.daily"},
		{KindReportSubmit, `{"figures":{"hazards_found":{"gas":2}},"next_steps":"x"}`, "figures.hazards_found.gas"},
		{KindReportSubmit, `{"figures":{"inspections":"many"},"next_steps":"x"}`, "figures.inspections"},
		{KindReportSubmit, `{"figures":{}}`, "next_steps"},
		{KindReportReview, `{"decision":"return"}`, "comment"},
		{KindReportReview, `{"decision":"accept"}`, ""},
		{KindPledgeSign, `{"decision":"sign"}`, ""},
		{KindPledgeSign, `{"decision":"propose","comment":"调整","targets":[{"text":"a","indicator":"b","target_value":"0","weight":60}]}`, "targets"},
		{KindPledgeSign, `{"decision":"propose","comment":"调整","targets":[{"text":"a","indicator":"","target_value":"0","weight":100}]}`, "targets[0].indicator"},
		{KindPledgeCountersign, `{"decision":"return"}`, "comment"},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind)+" "+tt.body, func(t *testing.T) {
			_, err := DecodeCompletion(tt.kind, []byte(tt.body))
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("unexpected %v", err)
				}
				return
			}
			var v *ValidationError
			if !errors.As(err, &v) || v.Fields[0].Field != tt.wantField {
				t.Fatalf("error %v; want a validation error on %s", err, tt.wantField)
			}
		})
	}
}

// FuzzDecodeCompletion: whatever the bytes, decoding answers a valid completion
// or a validation error naming a field — never a panic, never another error.
func FuzzDecodeCompletion(f *testing.F) {
	for _, s := range []string{`{"result":"x"}`, `{"decision":"return","comment":"c"}`, `{"attachments":[{"name":"a","ref":"b"}]}`, `{"result":"\u0000"}`, `null`, `{`, `{"result":["x"]}`} {
		f.Add(s, 0)
		f.Add(s, 1)
		f.Add(s, 2)
	}
	f.Fuzz(func(t *testing.T, body string, k int) {
		kind := TaskKinds[(k%len(TaskKinds)+len(TaskKinds))%len(TaskKinds)]
		c, err := DecodeCompletion(kind, []byte(body))
		if err == nil {
			if kind == KindAssignmentComplete && c.Result == "" {
				t.Fatal("accepted a completion without a result")
			}
			if kind == KindAssignmentReview && c.Decision == DecisionReturn && c.Comment == "" {
				t.Fatal("accepted a return without a comment")
			}
			return
		}
		var v *ValidationError
		if !errors.As(err, &v) || len(v.Fields) == 0 || v.Fields[0].Field == "" {
			t.Fatalf("error %v is not a validation error naming a field", err)
		}
	})
}

func TestLadderValidate(t *testing.T) {
	v := &ValidationError{}
	DefaultLadder().Validate("ladder", v)
	if v.Err() != nil {
		t.Fatalf("default ladder invalid: %v", v)
	}
	bad := Ladder{{Offset: Offset(48 * 3600e9), Action: ActionRemind}, {Offset: 0, Action: ActionDeduct}, {Offset: Offset(72 * 3600e9), Action: "shout", Points: -1}}
	v = &ValidationError{}
	bad.Validate("ladder", v)
	want := map[string]bool{"ladder[1].offset": true, "ladder[1].points": true, "ladder[2].action": true, "ladder[2].points": true}
	for _, f := range v.Fields {
		delete(want, f.Field)
	}
	if len(want) != 0 {
		t.Fatalf("missing %v in %+v", want, v.Fields)
	}
	for _, s := range []string{"-3d", "0", "+15d", "36h", "-90m"} {
		o, err := ParseOffset(s)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseOffset(o.String())
		if err != nil || back != o {
			t.Fatalf("%s → %s → %v", s, o, back)
		}
	}
}
