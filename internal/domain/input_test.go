package domain

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestTextProblem(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"已完成隐患整改", ""},
		{"第一行\n第二行\t制表", ""},
		{"已完成\x00隐患", MsgNUL},
		{"响铃\x07", MsgControl},
		{"回车\r", MsgControl},
		{"删除\x7f", MsgControl},
		{"C1\u0085", MsgControl},
		{"坏\xff\xfe", MsgEncoding},
		{"替换\uFFFD", MsgEncoding}, // what a JSON decoder makes of a lone surrogate or invalid bytes
	}
	for _, tt := range tests {
		if got := TextProblem(tt.in); got != tt.want {
			t.Errorf("TextProblem(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	v := &ValidationError{}
	s := "  甲\r\n乙  "
	v.Text("note", &s, true, 10)
	if v.Err() != nil || s != "甲\n乙" {
		t.Fatalf("CRLF text %q: %v", s, v.Err())
	}
}

// Text that PostgreSQL cannot store is refused where it enters, naming the
// field, for every kind of completion that carries text.
func TestCompletionTextIsStorable(t *testing.T) {
	bad := `"已完成\u0000隐患"`
	lone := `"孤立\ud800代理"`
	tests := []struct {
		kind  TaskKind
		body  string
		field string
	}{
		{KindAssignmentComplete, `{"result":` + bad + `}`, "result"},
		{KindAssignmentComplete, `{"result":` + lone + `}`, "result"},
		{KindAssignmentComplete, `{"result":"好","attachments":[{"name":` + bad + `,"ref":"r"}]}`, "attachments[0].name"},
		{KindReportSubmit, `{"figures":{},"problems":` + bad + `,"next_steps":"继续"}`, "problems"},
		{KindReportSubmit, `{"figures":{},"next_steps":` + bad + `}`, "next_steps"},
		{KindReportSubmit, `{"figures":{},"next_steps":"继续","progress":[{"plan_task":` + bad + `,"text":"好"}]}`, "progress[0].plan_task"},
		{KindPledgeSign, `{"decision":"sign","comment":` + bad + `}`, "comment"},
		{KindPledgeSign, `{"decision":"propose","comment":"改","targets":[{"text":` + bad + `,"indicator":"i","target_value":"0","weight":100}]}`, "targets[0].text"},
		{KindInterviewSchedule, `{"scheduled_at":"2030-01-01T09:00:00+08:00","place":` + bad + `,"leader":"县长"}`, "place"},
		{KindInterviewSchedule, `{"scheduled_at":"2030-01-01T09:00:00+08:00","place":"会议室","leader":"县长\u0007"}`, "leader"},
		{KindInterviewCommitments, `{"commitments":[` + bad + `],"commitments_due":"2030-01-01T09:00:00+08:00"}`, "commitments[0]"},
		{KindAssignmentReview, `{"decision":"return","comment":` + bad + `}`, "comment"},
	}
	for _, tt := range tests {
		_, err := DecodeCompletion(tt.kind, []byte(tt.body))
		var v *ValidationError
		if !errors.As(err, &v) || v.Fields[0].Field != tt.field {
			t.Errorf("%s %s: %v; want a refusal naming %s", tt.kind, tt.body, err, tt.field)
		}
	}
	if err := CheckExtension("因汛期\u0000延误", time.Now().Add(48*time.Hour), time.Now()); err == nil || !strings.Contains(err.Error(), "reason") {
		t.Errorf("extension reason with NUL: %v", err)
	}
}

type policyBody struct {
	DueAt  *time.Time     `json:"due_at"`
	Ladder Ladder         `json:"ladder"`
	Policy CampaignPolicy `json:"policy"`
	Count  int            `json:"count"`
}

// Parse errors name the JSON path of the field and say in plain words what is
// expected: no Go type names, no Go layouts.
func TestDecodeJSONNamesThePath(t *testing.T) {
	tests := []struct {
		body, field, detail string
	}{
		{`{"due_at":"tomorrow"}`, "due_at", MsgTime},
		{`{"ladder":[{"offset":"soon","action":"remind"}]}`, "ladder[0].offset", MsgOffset},
		{`{"policy":{"pledge":{"ladder":[{"offset":"x","action":"notice"}]}}}`, "policy.pledge.ladder[0].offset", MsgOffset},
		{`{"policy":{"report":{"ladder":[{},{},{"points":"many"}]}}}`, "policy.report.ladder[2].points", MsgNumber},
		{`{"policy":{"report":{"deadline_hour":"x"}}}`, "policy.report.deadline_hour", MsgInteger},
		{`{"policy":{"assessment":{"vote":1}}}`, "policy.assessment.vote", MsgUnknownField},
		{`{"count":1.5}`, "count", MsgInteger},
		{`{"count":"3"}`, "count", MsgInteger},
		{`{"ladder":{}}`, "ladder", MsgArray},
		{`{"extra":true}`, "extra", MsgUnknownField},
		{`{"due_at":`, "body", MsgNotJSON},
		{`{} {}`, "body", MsgOneJSONObject},
	}
	goish := regexp.MustCompile(`api\.|domain\.|time\.Time|int64|float64|\bstring\b|2006|15:04:05|json:`)
	for _, tt := range tests {
		var b policyBody
		err := DecodeJSON([]byte(tt.body), &b)
		var v *ValidationError
		if !errors.As(err, &v) || len(v.Fields) != 1 {
			t.Errorf("%s: %v", tt.body, err)
			continue
		}
		if f := v.Fields[0]; f.Field != tt.field || f.Detail != tt.detail {
			t.Errorf("%s: %s %q; want %s %q", tt.body, f.Field, f.Detail, tt.field, tt.detail)
		}
		if goish.MatchString(v.Fields[0].Detail) || goish.MatchString(v.Error()) {
			t.Errorf("%s: the message shows Go: %s", tt.body, v.Error())
		}
	}
}

// Every number a ladder or a policy takes has a range, named by its path.
func TestNumbersHaveRanges(t *testing.T) {
	ladders := []struct {
		rung  Rung
		field string
	}{
		{Rung{Offset: days(15), Action: ActionDeduct, Points: 1000000}, "ladder[0].points"},
		{Rung{Offset: days(15), Action: ActionDeduct, Points: 0.001}, "ladder[0].points"},
		{Rung{Offset: days(15), Action: ActionDeduct, Points: 1.234}, "ladder[0].points"},
		{Rung{Offset: days(-1), Action: ActionDeduct, Points: 1}, "ladder[0].offset"},
		{Rung{Offset: days(-3), Action: ActionNotice}, "ladder[0].offset"},
		{Rung{Offset: days(-1), Action: ActionInterview}, "ladder[0].offset"},
		{Rung{Offset: days(-1), Action: ActionLetter}, "ladder[0].offset"},
		{Rung{Offset: days(400), Action: ActionNotice}, "ladder[0].offset"},
		{Rung{Offset: days(3), Action: ActionNotice, Points: 2}, "ladder[0].points"},
	}
	for _, tt := range ladders {
		v := &ValidationError{}
		Ladder{tt.rung}.Validate("ladder", v)
		if len(v.Fields) != 1 || v.Fields[0].Field != tt.field {
			t.Errorf("%+v: %+v; want one error on %s", tt.rung, v.Fields, tt.field)
		}
	}
	for _, ok := range []Rung{{Offset: days(-7), Action: ActionRemind}, {Offset: 0, Action: ActionNotice}, {Offset: days(15), Action: ActionDeduct, Points: 0.01}, {Offset: days(15), Action: ActionDeduct, Points: 100}} {
		v := &ValidationError{}
		Ladder{ok}.Validate("ladder", v)
		if v.Err() != nil {
			t.Errorf("%+v refused: %v", ok, v.Err())
		}
	}

	start := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(3, 0, -1)
	units := map[string]int{"department": 14, "town": 7, "enterprise": 4}
	hour, bottom, base := -2000, 5, 5000.0
	policies := []struct {
		policy CampaignPolicy
		field  string
	}{
		{CampaignPolicy{Report: ReportPolicy{DeadlineHour: &hour}}, "policy.report.deadline_hour"},
		{CampaignPolicy{Report: ReportPolicy{DeadlineDay: 31}}, "policy.report.deadline_day"},
		{CampaignPolicy{Report: ReportPolicy{Ladder: Ladder{{}, {}, {Action: ActionDeduct, Points: 1000000}}}}, "policy.report.ladder[2].points"},
		{CampaignPolicy{Pledge: PledgePolicy{MinSigningDays: -1}}, "policy.pledge.min_signing_days"},
		{CampaignPolicy{Pledge: PledgePolicy{CountersignDays: 91}}, "policy.pledge.countersign_days"},
		{CampaignPolicy{Assessment: AssessmentPolicy{BottomN: &bottom}}, "policy.assessment.bottom_n"},
		{CampaignPolicy{BaseScore: &base}, "policy.base_score"},
		{CampaignPolicy{Hazard: HazardPolicy{VerifyDays: 400}}, "policy.hazard.verify_days"},
		{CampaignPolicy{Hazard: HazardPolicy{MajorLadder: Ladder{{Action: ActionDeduct, Points: -1}}}}, "policy.hazard.major_ladder[0].points"},
		{CampaignPolicy{Hazard: HazardPolicy{CovertPoints: &base}}, "policy.hazard.covert_points"},
	}
	for _, tt := range policies {
		v := &ValidationError{}
		tt.policy.WithDefaults(start, end).Validate(start, end, units, v)
		found := false
		for _, f := range v.Fields {
			found = found || f.Field == tt.field
		}
		if !found {
			t.Errorf("%+v: %+v; want an error on %s", tt.policy, v.Fields, tt.field)
		}
	}
	v := &ValidationError{}
	CampaignPolicy{}.WithDefaults(start, end).Validate(start, end, units, v)
	if v.Err() != nil {
		t.Fatalf("the default policy is refused: %v", v.Err())
	}
	// Midnight is an hour like any other.
	midnight := 0
	due, _ := ReportPolicy{DeadlineDay: 5, DeadlineHour: &midnight}.ReportDeadline("2021-03", time.UTC)
	if !due.Equal(time.Date(2021, 4, 5, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("midnight deadline %v", due)
	}
}

// One ranking rule everywhere: tied units share a rank (1, 1, 3); the bottom
// N of a kind are summoned with every unit tied with the last of them; a unit
// that kept the whole base score is not summoned for its rank.
func TestRankingTies(t *testing.T) {
	one, two := 1, 2
	units := []AssessedUnit{
		{UnitID: 1, UnitCode: "a", Kind: "town", Score: 95},
		{UnitID: 2, UnitCode: "b", Kind: "town", Score: 90},
		{UnitID: 3, UnitCode: "c", Kind: "town", Score: 95},
		{UnitID: 4, UnitCode: "d", Kind: "town", Score: 90},
		{UnitID: 5, UnitCode: "e", Kind: "town", Score: 99, Vetoed: true, Veto: "较大事故"},
		{UnitID: 6, UnitCode: "f", Kind: "enterprise", Score: 100},
		{UnitID: 7, UnitCode: "g", Kind: "enterprise", Score: 100},
		{UnitID: 8, UnitCode: "h", Kind: "department", Score: 80},
		{UnitID: 9, UnitCode: "i", Kind: "department", Score: 85},
		{UnitID: 10, UnitCode: "j", Kind: "department", Score: 85},
	}
	got := map[string]AssessedUnit{}
	for _, u := range (AssessmentPolicy{BottomN: &one}).WithDefaults().RankWithinKind(units, 100) {
		got[u.UnitCode] = u
	}
	want := map[string]struct {
		rank           int
		summoned, tied bool
	}{
		"a": {1, false, false}, "c": {1, false, false}, "b": {3, false, false}, "d": {3, false, false}, "e": {5, true, false},
		"f": {1, false, false}, "g": {1, false, false},
		"i": {1, false, false}, "j": {1, false, false}, "h": {3, true, false},
	}
	for code, w := range want {
		if u := got[code]; u.Rank != w.rank || u.Summoned != w.summoned || u.TiedAtBoundary != w.tied {
			t.Errorf("bottom 1: %s rank %d summoned %v tied %v; want %+v", code, u.Rank, u.Summoned, u.TiedAtBoundary, w)
		}
	}
	// Bottom 2 of the towns: the vetoed town and both towns tied at 90, one of them for the tie.
	for _, u := range (AssessmentPolicy{BottomN: &two}).WithDefaults().RankWithinKind(units, 100) {
		if u.Kind != "town" {
			continue
		}
		wantSummoned := u.UnitCode == "e" || u.UnitCode == "b" || u.UnitCode == "d"
		if u.Summoned != wantSummoned {
			t.Errorf("bottom 2: %s summoned %v", u.UnitCode, u.Summoned)
		}
	}
	var tied []string
	for _, u := range (AssessmentPolicy{BottomN: &two}).WithDefaults().RankWithinKind(units, 100) {
		if u.TiedAtBoundary {
			tied = append(tied, u.UnitCode)
		}
	}
	// b ties with d (4th of 5 towns); i ties with j (2nd of 3 departments).
	if strings.Join(tied, ",") != "i,b" {
		t.Errorf("summoned for a tie at the boundary: %v, want i (departments) and b (towns)", tied)
	}
}

// With two or more items, commitments name each; with one, plain ones answer it.
func TestCommitmentsAnswerEveryItem(t *testing.T) {
	two := []InterviewItem{{ID: 7, Label: "3月月报逾期"}, {ID: 9, Label: "4月月报逾期"}}
	plain := Completion{InterviewCompletion: InterviewCompletion{Commitments: []Commitment{{Text: "专人报送"}}}}
	if err := plain.CheckItems(two[:1]); err != nil {
		t.Errorf("one item, plain commitment: %v", err)
	}
	if err := plain.CheckItems(two); err == nil {
		t.Error("two items answered by one plain commitment")
	}
	named := Completion{InterviewCompletion: InterviewCompletion{Commitments: []Commitment{{Item: 7, Text: "a"}, {Item: 9, Text: "b"}}}}
	if err := named.CheckItems(two); err != nil {
		t.Errorf("both named: %v", err)
	}
	stray := Completion{InterviewCompletion: InterviewCompletion{Commitments: []Commitment{{Item: 7, Text: "a"}, {Item: 8, Text: "b"}}}}
	if err := stray.CheckItems(two); err == nil || !strings.Contains(err.Error(), "commitments") {
		t.Errorf("an unknown item and a missing one: %v", err)
	}
	c, err := DecodeCompletion(KindInterviewCommitments, []byte(`{"commitments":["专人报送",{"item":7,"text":"整改"}],"commitments_due":"2030-01-01T09:00:00+08:00"}`))
	if err != nil || len(c.Commitments) != 2 || c.Commitments[1].Item != 7 {
		t.Fatalf("mixed commitments: %+v (%v)", c.Commitments, err)
	}
}
