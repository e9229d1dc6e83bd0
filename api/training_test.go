package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/seed"
)

// Training sessions and publicity items: a unit records its own (once per
// Idempotency-Key, audited); bad input is refused naming every field and
// writes nothing; another unit's record, or none of one's own, is forbidden;
// the county's readers and inspectors read all, a unit its own; the
// statistics count them.
func TestTrainingAndPublicityRecords(t *testing.T) {
	f := newFixture(t)
	post := func(path, person, key, body string) *httptest.ResponseRecorder {
		t.Helper()
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+f.tokens[person])
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, req)
		return rec
	}
	count := func(table string) int {
		t.Helper()
		var n int
		if err := f.db.Get(&n, `SELECT count(*) FROM `+table); err != nil {
			t.Fatal(err)
		}
		return n
	}
	fields := func(rec *httptest.ResponseRecorder) string {
		t.Helper()
		p := decodeProblem(t, rec)
		var out []string
		for _, e := range p.Errors {
			out = append(out, e.Field)
		}
		sort.Strings(out)
		return strings.Join(out, ",")
	}
	today := time.Now().In(domain.DefaultZone)
	tomorrow := today.AddDate(0, 0, 1).Format(time.DateOnly)
	day := today.AddDate(0, 0, -3).Format(time.DateOnly)

	// Bad input: every field named, nothing written.
	rec := post("/api/v1/trainings", "cmm-staff", "", `{"held_on":"`+tomorrow+`","topic":"\u0007培训","audience":"miners","trained":0,"hours":0.33,"campaign":"nope"}`)
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad training: %d %s", rec.Code, rec.Body)
	}
	if got := fields(rec); got != "audience,campaign,held_on,hours,topic,trained" {
		t.Errorf("refused fields %s", got)
	}
	rec = post("/api/v1/trainings", "cmm-staff", "", `{"held_on":"2020-13-01","topic":"","audience":"frontline","trained":100001,"unit":"no-such-unit"}`)
	if got := fields(rec); rec.Code != http.StatusUnprocessableEntity || got != "held_on,topic,trained,unit" {
		t.Errorf("bad training: %d, fields %s", rec.Code, got)
	}
	rec = post("/api/v1/trainings", "cmm-staff", "", `{"held_on":"`+day+`","topic":"培训","audience":"frontline","trained":"many"}`)
	if got := fields(rec); rec.Code != http.StatusUnprocessableEntity || got != "trained" {
		t.Errorf("a text for a number: %d, fields %s", rec.Code, got)
	}
	rec = post("/api/v1/publicity", "yjj-office", "", `{"kind":"billboard","title":"","channel":"`+strings.Repeat("台", 201)+`","published_on":"1999-12-31"}`)
	if got := fields(rec); rec.Code != http.StatusUnprocessableEntity || got != "channel,kind,published_on,title" {
		t.Errorf("bad publicity: %d, fields %s", rec.Code, got)
	}
	if n, m := count("trainings"), count("publicity_items"); n != 0 || m != 0 {
		t.Fatalf("refused input wrote %d sessions and %d items", n, m)
	}

	// Forbidden: another unit's record; a caller with no working role (the administrator).
	body := `{"unit":"gjh","held_on":"` + day + `","topic":"安全生产知识培训","audience":"frontline","trained":120}`
	if rec := post("/api/v1/trainings", "cmm-staff", "", body); rec.Code != http.StatusForbidden {
		t.Errorf("崔木煤矿 records for 郭家河煤矿: %d %s", rec.Code, rec.Body)
	}
	if rec := post("/api/v1/trainings", "linyou-admin", "", `{"held_on":"`+day+`","topic":"培训","audience":"other","trained":1}`); rec.Code != http.StatusForbidden {
		t.Errorf("the administrator records a training: %d %s", rec.Code, rec.Body)
	}
	if rec := post("/api/v1/publicity", "linyou-admin", "", `{"kind":"tv_column","title":"专栏","channel":"麟游县电视台","published_on":"`+day+`"}`); rec.Code != http.StatusForbidden {
		t.Errorf("the administrator records publicity: %d %s", rec.Code, rec.Body)
	}

	// The mine's staff records a session of its own, twice with one key: once.
	body = `{"held_on":"` + day + `","topic":"煤矿一线员工安全生产知识培训","audience":"frontline","trained":320,"hours":4.5,"location":"矿井培训中心","campaign":"` + seed.DemoCampaignID + `"}`
	var first, again struct {
		ID       int64    `json:"id"`
		UnitCode string   `json:"unit_code"`
		Trained  int      `json:"trained"`
		Hours    *float64 `json:"hours"`
	}
	rec = post("/api/v1/trainings", "cmm-staff", "tr-1", body)
	if rec.Code != http.StatusCreated {
		t.Fatalf("record a training: %d %s", rec.Code, rec.Body)
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &first)
	rec = post("/api/v1/trainings", "cmm-staff", "tr-1", body)
	_ = json.Unmarshal(rec.Body.Bytes(), &again)
	if rec.Code != http.StatusOK || again.ID != first.ID || first.UnitCode != "cmm" || first.Trained != 320 || first.Hours == nil || *first.Hours != 4.5 {
		t.Fatalf("the retry: %d %+v, first %+v", rec.Code, again, first)
	}
	if n := count("trainings"); n != 1 {
		t.Fatalf("%d sessions after a retry, want 1", n)
	}
	var audited int
	if err := f.db.Get(&audited, `SELECT count(*) FROM audit_log WHERE action = 'training.recorded' AND actor = 'cmm-staff'`); err != nil || audited != 1 {
		t.Errorf("audit rows %d (%v), want 1", audited, err)
	}
	// The mine's head names the mine: its own unit.
	if rec := post("/api/v1/trainings", "cmm-head", "", `{"unit":"cmm","held_on":"`+day+`","topic":"班组长安全培训","audience":"managers","trained":45}`); rec.Code != http.StatusCreated {
		t.Fatalf("the head's session: %d %s", rec.Code, rec.Body)
	}
	// The safety office's television column.
	pub := `{"kind":"tv_column","title":"安全生产专项整治在行动（第1期）","channel":"麟游县电视台","published_on":"` + day + `"}`
	for range 2 {
		if rec := post("/api/v1/publicity", "yjj-office", "pub-1", pub); rec.Code != http.StatusCreated && rec.Code != http.StatusOK {
			t.Fatalf("record publicity: %d %s", rec.Code, rec.Body)
		}
	}
	if n := count("publicity_items"); n != 1 {
		t.Fatalf("%d publicity items, want 1", n)
	}

	// Who reads what.
	var list struct {
		Trainings []struct {
			ID int64 `json:"id"`
		} `json:"trainings"`
		Trained int `json:"trained"`
	}
	read := func(path, person string, out any) int {
		t.Helper()
		rec := f.do(t, http.MethodGet, path, person, nil)
		if rec.Code == http.StatusOK && out != nil {
			if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
				t.Fatal(err)
			}
		}
		return rec.Code
	}
	for _, tc := range []struct {
		person        string
		sessions, sum int
	}{{"linyou-secretary", 2, 365}, {"yjj-inspector-1", 2, 365}, {"cmm-head", 2, 365}, {"gjh-head", 0, 0}} {
		list.Trainings, list.Trained = nil, 0
		if code := read("/api/v1/trainings", tc.person, &list); code != http.StatusOK || len(list.Trainings) != tc.sessions || list.Trained != tc.sum {
			t.Errorf("%s lists %d sessions, %d trained (%d), want %d, %d", tc.person, len(list.Trainings), list.Trained, code, tc.sessions, tc.sum)
		}
	}
	if code := read("/api/v1/trainings?audience=managers&unit=cmm&year="+day[:4], "linyou-secretary", &list); code != http.StatusOK || len(list.Trainings) != 1 || list.Trained != 45 {
		t.Errorf("the managers' sessions: %d, %+v", code, list)
	}
	if code := read("/api/v1/trainings?audience=miners&year=1800", "linyou-secretary", nil); code != http.StatusUnprocessableEntity {
		t.Errorf("a bad filter: %d", code)
	}
	if code := read("/api/v1/trainings/"+strconv.FormatInt(first.ID, 10), "gjh-head", nil); code != http.StatusNotFound {
		t.Errorf("another mine reads the session: %d", code)
	}
	if code := read("/api/v1/trainings/"+strconv.FormatInt(first.ID, 10), "cmm-staff", nil); code != http.StatusOK {
		t.Errorf("the mine reads its session: %d", code)
	}
	var items struct {
		Publicity []struct {
			ID      int64  `json:"id"`
			Channel string `json:"channel"`
		} `json:"publicity"`
	}
	if code := read("/api/v1/publicity?kind=tv_column", "linyou-secretary", &items); code != http.StatusOK || len(items.Publicity) != 1 || items.Publicity[0].Channel != "麟游县电视台" {
		t.Fatalf("the TV column: %d %+v", code, items)
	}
	if code := read("/api/v1/publicity/"+strconv.FormatInt(items.Publicity[0].ID, 10), "cmm-head", nil); code != http.StatusNotFound {
		t.Errorf("a mine reads the bureau's publicity: %d", code)
	}

	// The statistics count them: the mine's sessions and the column.
	var st struct {
		PeopleTrained int `json:"people_trained"`
		Training      struct {
			Sessions   int `json:"sessions"`
			People     int `json:"people"`
			ByAudience map[string]struct {
				People int `json:"people"`
			} `json:"by_audience"`
		} `json:"training"`
		Publicity struct {
			Items  int            `json:"items"`
			ByKind map[string]int `json:"by_kind"`
		} `json:"publicity"`
	}
	if code := read("/api/v1/campaigns/"+seed.DemoCampaignID+"/statistics?from="+day+"&to="+day+"&sector=coal_mine", "linyou-secretary", &st); code != http.StatusOK {
		t.Fatalf("statistics: %d", code)
	}
	if st.Training.Sessions != 2 || st.Training.People != 365 || st.Training.ByAudience["frontline"].People != 320 || st.PeopleTrained != 365 ||
		st.Publicity.Items != 0 {
		t.Errorf("the mines' statistics %+v", st)
	}
	if code := read("/api/v1/campaigns/"+seed.DemoCampaignID+"/statistics?from="+day+"&to="+day, "linyou-secretary", &st); code != http.StatusOK || st.Publicity.ByKind["tv_column"] != 1 {
		t.Errorf("the county's publicity: %d %+v", code, st.Publicity)
	}
}
