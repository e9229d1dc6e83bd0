package demo_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"

	"github.com/zeren-county/zeren/api"
	"github.com/zeren-county/zeren/internal/demo"
	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/testdb"
)

// The demo records 2020 through the API as the inspectors would, and each
// figure of the county's report comes out of one query of the statistics
// (the scopes of README: Inspection statistics). Every record is the ledger's
// history — closed hazards and cases, lifted stop orders — and the training
// sessions and television episodes are records with no process, so no process runs
// and Temporal is not needed. Recording twice changes nothing.
func TestRecordsOf2020MakeTheReportsFigures(t *testing.T) {
	gin.SetMode(gin.TestMode)
	county := testdb.NewCounty(t)
	tc, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tc.Close)
	reg := prometheus.NewRegistry()
	srv := httptest.NewServer(api.New(api.Deps{Store: county.Store, Temporal: tc, Registry: reg, Gatherer: reg, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	t.Cleanup(srv.Close)
	var people []demo.Person
	for key, tok := range county.Tokens {
		people = append(people, demo.Person{Key: key, Token: tok})
	}
	ctx := context.Background()
	rec := demo.Recorder{Bot: &demo.Bot{BaseURL: srv.URL, People: people}}
	producers, err := rec.Producers(ctx, "yjj-office")
	if err != nil {
		t.Fatal(err)
	}
	want := demo.ReportOf2020()
	records, err := demo.Records2020(want, producers, 1)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second run finds every record by its key
		if err := rec.RecordAll(ctx, records); err != nil {
			t.Fatal(err)
		}
	}
	stats := func(query string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/campaigns/"+seed.DemoCampaignID+"/statistics?"+query, nil)
		req.Header.Set("Authorization", "Bearer "+county.Tokens["linyou-secretary"])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != 200 {
			t.Fatalf("statistics %s: %d %v", query, res.StatusCode, err)
		}
		return out
	}
	at := func(m map[string]any, path ...string) float64 {
		var v any = m
		for _, k := range path {
			v = v.(map[string]any)[k]
		}
		return v.(float64)
	}
	a := stats("from=2020-04-01&to=2020-12-14&kind=supervision")
	b := stats("from=2020-01-01&to=2020-12-14&sector=coal_mine")
	c := stats("from=2020-01-01&to=2020-12-14&sector=coal_mine&kind=enforcement")
	for _, f := range []struct {
		name      string
		got, want float64
	}{
		{"(a) production units inspected by supervision", at(a, "inspections", "units_inspected"), float64(want.SupervisionUnits)},
		{"(a) hazards found by supervision", at(a, "hazards", "found"), float64(want.SupervisionHazards)},
		{"(a) violations filed", at(a, "cases", "filed"), float64(want.Cases)},
		{"(b) 一通三防 problems", at(b, "hazards", "by_source", "ventilation", "found"), float64(want.MineVentilation)},
		{"(b) rock-burst problems", at(b, "hazards", "by_source", "rock_burst", "found"), float64(want.MineRockBurst)},
		{"(b) daily-supervision problems", at(b, "hazards", "by_source", "daily", "found"), float64(want.MineDaily)},
		{"(b) 一通三防 rectified", at(b, "hazards", "by_source", "ventilation", "closed"), float64(want.MineVentilation)},
		{"(b) rock-burst rectified", at(b, "hazards", "by_source", "rock_burst", "closed"), float64(want.MineRockBurst)},
		{"(b) daily rectified", at(b, "hazards", "by_source", "daily", "closed"), float64(want.MineDaily)},
		{"(c) enforcement inspections", at(c, "inspections", "inspections"), float64(want.EnforcementInspections)},
		{"(c) mine-visits", at(c, "inspections", "visits"), float64(want.MineVisits)},
		{"(c) mines ordered to stop", at(c, "stop_orders", "units", "issued"), float64(want.MinesStopped)},
		{"(c) heading faces stopped", at(c, "stop_orders", "heading_faces", "issued"), float64(want.HeadingFacesStopped)},
		{"(c) penalty cases", at(c, "cases", "decided"), float64(want.MinePenaltyCases)},
	} {
		if f.got != f.want {
			t.Errorf("%s: %v, want %v", f.name, f.got, f.want)
		}
	}
	// (d) The mines' front-line workers trained in 2020 — "3000余名" — and the television column.
	y := stats("from=2020-01-01&to=2020-12-31")
	for _, f := range []struct {
		name      string
		got, want float64
	}{
		{"(d) front-line mine workers trained", at(b, "training", "by_audience", "frontline", "people"), float64(want.FrontlineTrained)},
		{"(d) the year's front-line workers trained", at(y, "training", "by_audience", "frontline", "people"), float64(want.FrontlineTrained)},
		{"(d) TV column episodes", at(y, "publicity", "by_kind", "tv_column"), float64(want.TVEpisodes)},
	} {
		if f.got != f.want {
			t.Errorf("%s: %v, want %v", f.name, f.got, f.want)
		}
	}
	// (e) The year's meetings: 县委常委会4次、县委专题会议1次、政府常务会5次.
	for _, f := range []struct {
		kind string
		want int
	}{{"standing_committee", want.StandingCommittee}, {"special_meeting", want.SpecialMeetings}, {"executive_meeting", want.ExecutiveMeetings}} {
		if got := at(y, "meetings", "by_kind", f.kind); got != float64(f.want) || f.want == 0 {
			t.Errorf("(e) %s meetings in 2020: %v, want %d", f.kind, got, f.want)
		}
	}
	if want.FrontlineTrained <= 3000 || at(y, "training", "by_year", "2020", "people") <= at(y, "training", "by_audience", "frontline", "people") {
		t.Errorf("the report's 3000余: %d front-line workers; the year's training %v", want.FrontlineTrained, y["training"])
	}

	// 逢查必考 was recorded at every enforcement visit.
	if at(c, "exams", "examined") == 0 || at(c, "exams", "passed") > at(c, "exams", "examined") {
		t.Errorf("exams %v", c["exams"])
	}
	// A count changed in the model changes the figure.
	if changed, err := demo.Records2020(demo.ReportCounts{SupervisionUnits: 10, SupervisionHazards: 5, Cases: 3, MineVentilation: 1, MineRockBurst: 1, MineDaily: 1,
		EnforcementInspections: 2, MineVisits: 5, MinesStopped: 1, HeadingFacesStopped: 1, MinePenaltyCases: 1}, producers, 1); err != nil || len(changed) >= len(records) {
		t.Fatalf("a smaller model: %d records (%v)", len(changed), err)
	}
}
