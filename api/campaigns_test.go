package api_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/zeren-county/zeren/api"
)

// A campaign's clock speed, participants and phases are checked on input, each
// bad field named and nothing written; a good one is stored with its
// participants, and GET shows its phase, its time and who takes part.
func TestCreateCampaignWithClockParticipantsAndPhases(t *testing.T) {
	f := newFixture(t)
	post := func(body map[string]any) (int, api.Problem) {
		b, _ := json.Marshal(body)
		rec := f.do(t, "POST", "/api/v1/campaigns", "yjj-office", bytes.NewReader(b))
		var p api.Problem
		_ = json.Unmarshal(rec.Body.Bytes(), &p)
		return rec.Code, p
	}
	code, p := post(map[string]any{"id": "fast", "name": "演示", "starts_on": "2020-04-01", "clock_speed": 1e9,
		"participants": []string{"yjj", "nosuch", "linyou"},
		"policy":       map[string]any{"phases": []map[string]any{{"name": "动员部署", "from": "2020-04-01", "to": "2024-01-01"}}}})
	fields := map[string]bool{}
	for _, e := range p.Errors {
		fields[e.Field] = true
	}
	if code != 422 || !fields["clock_speed"] || !fields["participants[1]"] || !fields["participants[2]"] || !fields["policy.phases[0]"] {
		t.Fatalf("%d %+v; want 422 naming clock_speed, participants[1] and [2], policy.phases[0]", code, p.Errors)
	}
	var n int
	if err := f.db.Get(&n, `SELECT count(*) FROM campaigns WHERE id = 'fast'`); err != nil || n != 0 {
		t.Fatalf("a refused campaign was written (%d, %v)", n, err)
	}

	if code, p := post(map[string]any{"id": "fast", "name": "演示", "starts_on": "2020-04-01", "clock_speed": 40000,
		"participants": []string{"yjj", "cm", "gjh"}}); code != 201 {
		t.Fatalf("create: %d %+v", code, p)
	}
	rec := f.do(t, "GET", "/api/v1/campaigns/fast", "linyou-secretary", nil)
	var got struct {
		Campaign struct {
			ClockSpeed float64 `json:"clock_speed"`
			StartsOn   string  `json:"starts_on"`
			EndsOn     string  `json:"ends_on"`
		}
		Now          time.Time
		Phase        string
		Phases       []map[string]string
		Participants map[string]int
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if got.Campaign.ClockSpeed != 40000 || got.Campaign.StartsOn != "2020-04-01" || got.Campaign.EndsOn != "2023-03-31" || len(got.Phases) != 4 {
		t.Fatalf("campaign %+v", got)
	}
	// Not yet run: its clock has not started, so it stands at its first day, in its first phase.
	if got.Now.Format(time.DateTime) != "2020-04-01 00:00:00" || got.Phase != "动员部署" {
		t.Fatalf("now %v, phase %q before the first run; want its first day", got.Now, got.Phase)
	}
	if got.Participants["department"] != 1 || got.Participants["town"] != 1 || got.Participants["enterprise"] != 1 {
		t.Fatalf("participants %v", got.Participants)
	}
	// Once its clock starts (the first run), campaign time begins at its first day.
	if _, err := f.db.Exec(`UPDATE campaigns SET clock_anchor = now() WHERE id = 'fast'`); err != nil {
		t.Fatal(err)
	}
	rec = f.do(t, "GET", "/api/v1/campaigns/fast", "linyou-secretary", nil)
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Now.Year() != 2020 || got.Phase != "动员部署" {
		t.Fatalf("campaign time %v, phase %q; want April 2020, 动员部署", got.Now, got.Phase)
	}
}
