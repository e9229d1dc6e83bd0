package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zeren-county/zeren/activities"
	"github.com/zeren-county/zeren/api"
	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/seed"
)

// apiCall sends a JSON request to the API as person and decodes the answer.
func (s *site) apiCall(t *testing.T, method, path, person string, body any, out any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, s.srv.URL+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+s.county.Tokens[person])
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v (%s)", method, path, err, raw)
		}
	}
	if res.StatusCode >= 300 {
		t.Logf("%s %s: %d %s", method, path, res.StatusCode, raw)
	}
	return res.StatusCode
}

// postFile posts a multipart form with one file, as a browser does.
func (s *site) postFile(t *testing.T, b *http.Client, path, token, name string, content []byte) page {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("_csrf", token)
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(content)
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, s.srv.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", s.srv.URL)
	res, err := b.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return page{res.StatusCode, string(body), res.Header}
}

func (s *site) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := s.county.DB.Get(&n, `SELECT count(*) FROM `+table); err != nil {
		t.Fatal(err)
	}
	return n
}

// An inspector records an inspection from its page; a refused hazard names
// its field and records nothing; the ledger, a hazard's page with its loop,
// timeline and evidence, the stop orders, the cases and the statistics
// dashboard show what the records hold (past records entered through the API
// as the ledger's history: they need no process).
func TestInspectionAndHazardPages(t *testing.T) {
	s := newSite(t, true)
	inspector := s.devSignIn(t, "yjj-inspector-1")
	list := s.get(t, inspector, "/inspections")
	for _, want := range []string{"记录检查", `name="visits[0].unit"`, "督导检查", "暗访", "九成宫镇青石沟建筑石料矿", `name="leader"`} {
		if !strings.Contains(list.body, want) {
			t.Errorf("inspections page lacks %q", want)
		}
	}
	today := time.Now().In(domain.DefaultZone).Format(time.DateOnly)
	form := url.Values{"_csrf": {csrf(t, list)}, "_key": {"k1"}, "kind": {"supervision"}, "title": {"非煤矿山督导检查"}, "level": {"county"},
		"leader": {"yjj-inspector-1"}, "starts_on": {today}, "ends_on": {today},
		"visits[0].unit": {"fm-01"}, "visits[0].visited_on": {today}, "visits[0].findings": {"边坡未分台阶开采"},
		"visits[1].unit": {"fm-02"}, "visits[1].visited_on": {today}}
	// A refusal names the field and keeps what was typed.
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("title", "")
	bad.Set("_key", "k0")
	if p := s.post(t, inspector, "/inspections", bad); p.code != http.StatusUnprocessableEntity || !strings.Contains(p.body, "边坡未分台阶开采") {
		t.Fatalf("empty title: %d %.300s", p.code, p.body)
	}
	if n := s.count(t, "inspections"); n != 0 {
		t.Fatalf("a refused inspection was written: %d", n)
	}
	res := s.post(t, inspector, "/inspections", form)
	loc := res.hdr.Get("Location")
	if res.code != http.StatusSeeOther || !regexp.MustCompile(`^/inspections/\d+$`).MatchString(loc) {
		t.Fatalf("record: %d %q %.300s", res.code, loc, res.body)
	}
	if again := s.post(t, inspector, "/inspections", form); again.hdr.Get("Location") != loc {
		t.Errorf("a double submission made a second inspection: %s", again.hdr.Get("Location"))
	}
	ins := s.get(t, inspector, loc)
	for _, want := range []string{"非煤矿山督导检查", "边坡未分台阶开采", "崔木镇北坡砂石料场", "登记发现的隐患", "结束检查", "下载隐患导入模板"} {
		if !strings.Contains(ins.body, want) {
			t.Errorf("inspection page lacks %q", want)
		}
	}
	id := strings.TrimPrefix(loc, "/inspections/")
	// A hazard without a description is refused, naming the field; nothing is written.
	p := s.post(t, inspector, loc+"/hazards", url.Values{"_csrf": {csrf(t, ins)}, "_key": {"h0"}, "unit": {"fm-01"}, "source": {"other"},
		"level": {"general"}, "category": {"作业环境"}, "description": {""}, "found_on": {today}, "deadline": {"2099-01-01T18:00"}})
	if p.code != http.StatusUnprocessableEntity || !strings.Contains(p.body, "field-error") || !strings.Contains(p.body, "作业环境") {
		t.Fatalf("empty description: %d %.500s", p.code, p.body)
	}
	if n := s.count(t, "hazards"); n != 0 {
		t.Fatalf("a refused hazard was written: %d", n)
	}
	// The template downloads as a workbook.
	if p := s.get(t, inspector, loc+"/template.xlsx"); p.code != 200 || !strings.HasPrefix(p.body, "PK") {
		t.Errorf("template: %d", p.code)
	}
	// A sheet that is not a workbook is refused on the page.
	if p := s.postFile(t, inspector, loc+"/import", csrf(t, ins), "hazards.xlsx", []byte("not a workbook")); p.code != http.StatusUnprocessableEntity {
		t.Errorf("a bad sheet: %d %.300s", p.code, p.body)
	}

	// Past records, as the ledger's history (no process).
	var h struct {
		ID int64 `json:"id"`
	}
	if code := s.apiCall(t, "POST", "/api/v1/hazards", "yjj-inspector-1", map[string]any{"unit": "fm-01", "source": "other", "level": "general",
		"category": "作业环境", "description": "边坡未分台阶开采", "found_by": "inspection", "inspection": json.Number(id), "found_on": today,
		"deadline": time.Now().Add(48 * time.Hour), "closed_on": today}, &h); code != 201 {
		t.Fatalf("past hazard: %d", code)
	}
	if code := s.apiCall(t, "POST", "/api/v1/stop-orders", "yjj-inspector-1", map[string]any{"unit": "cmm", "faces": []string{"4202j"},
		"reason": "掘进工作面瓦斯超限作业", "issued_on": "2020-06-01", "lifted_on": "2020-06-20"}, nil); code != 201 {
		t.Fatalf("past stop order: %d", code)
	}
	var cs struct {
		ID int64 `json:"id"`
	}
	if code := s.apiCall(t, "POST", "/api/v1/cases", "yjj-inspector-1", map[string]any{"unit": "fm-01", "violation": "未按设计分台阶开采",
		"legal_basis": "《安全生产法》第一百零二条", "filed_on": today, "closed_on": today, "decision": "fine", "fine": 30000}, &cs); code != 201 {
		t.Fatalf("past case: %d", code)
	}

	ledger := s.get(t, inspector, "/hazards")
	for _, want := range []string{"隐患台账", "边坡未分台阶开采", "已销号", "导出Excel"} {
		if !strings.Contains(ledger.body, want) {
			t.Errorf("ledger lacks %q", want)
		}
	}
	if p := s.get(t, inspector, "/hazards?status=open"); strings.Contains(p.body, "边坡未分台阶开采") {
		t.Error("a closed hazard is listed among the open ones")
	}
	if p := s.get(t, inspector, "/hazards?format=xlsx"); p.code != 200 || p.hdr.Get("Content-Type") != api.XLSX {
		t.Errorf("ledger export: %d %s", p.code, p.hdr.Get("Content-Type"))
	}
	hp := s.get(t, inspector, "/hazards/"+itoa(h.ID))
	for _, want := range []string{"闭环进度", "销号", "作业环境", "九成宫镇青石沟建筑石料矿", "登记隐患"} {
		if !strings.Contains(hp.body, want) {
			t.Errorf("hazard page lacks %q", want)
		}
	}
	// Evidence goes up through the page and comes back byte for byte.
	if p := s.postFile(t, inspector, "/hazards/"+itoa(h.ID)+"/files", csrf(t, hp), "整改照片.jpg", []byte("jpeg bytes")); p.code != http.StatusSeeOther {
		t.Fatalf("upload: %d %.300s", p.code, p.body)
	}
	hp = s.get(t, inspector, "/hazards/"+itoa(h.ID))
	m := regexp.MustCompile(`href="(/hazards/\d+/files/\d+)">整改照片.jpg<`).FindStringSubmatch(hp.body)
	if m == nil || !strings.Contains(hp.body, "上传整改证据") {
		t.Fatalf("the hazard page lacks the file or its timeline entry: %.2000s", hp.body)
	}
	if f := s.get(t, inspector, m[1]); f.code != 200 || f.body != "jpeg bytes" {
		t.Errorf("download: %d %q", f.code, f.body)
	}
	if p := s.postFile(t, inspector, "/hazards/"+itoa(h.ID)+"/files", csrf(t, hp), "空.txt", nil); p.code != http.StatusUnprocessableEntity || !strings.Contains(p.body, "field-error") {
		t.Errorf("an empty file: %d", p.code)
	}

	// A standing order stops fm-01 as a whole and one of 崔木煤矿's faces: every
	// page naming them says so.
	if _, err := s.county.DB.Exec(`INSERT INTO stop_orders (unit_id, scope, face_ids, reason, key, issued_at) VALUES
    ($1, 'unit', '{}', '边坡失稳', 'standing-1', now()),
    ($2, 'faces', ARRAY[(SELECT id FROM work_faces WHERE code = '4204j')], '瓦斯超限', 'standing-2', now())`,
		s.county.Units["fm-01"], s.county.Units["cmm"]); err != nil {
		t.Fatal(err)
	}
	if p := s.get(t, inspector, "/hazards"); !strings.Contains(p.body, `<span class="tag stop">停产整顿</span>`) {
		t.Error("the ledger does not show fm-01 stopped")
	}
	if p := s.get(t, inspector, loc); !strings.Contains(p.body, `九成宫镇青石沟建筑石料矿 <span class="tag stop">停产整顿</span>`) {
		t.Error("the inspection's visits do not show fm-01 stopped")
	}
	if p := s.get(t, inspector, "/inspections"); !strings.Contains(p.body, "崔木煤矿（停产整顿）") {
		t.Error("the inspection form's units do not show 崔木煤矿's faces stopped")
	}
	var producers api.ProducerList
	if code := s.apiCall(t, "GET", "/api/v1/production-units?sector=coal_mine", "yjj-inspector-1", nil, &producers); code != 200 {
		t.Fatal(code)
	}
	for _, u := range producers.ProductionUnits {
		want := map[string]string{"cmm": "faces"}[u.Code]
		if u.Stop != want {
			t.Errorf("%s stop %q, want %q", u.Code, u.Stop, want)
		}
		for _, f := range u.Faces {
			if f.Stopped != (f.Code == "4204j") {
				t.Errorf("face %s stopped: %v", f.Code, f.Stopped)
			}
		}
	}

	stops := s.get(t, inspector, "/stop-orders")
	for _, want := range []string{"崔木煤矿", "4202运输顺槽掘进工作面", "已解除"} {
		if !strings.Contains(stops.body, want) {
			t.Errorf("stop orders lack %q", want)
		}
	}
	cases := s.get(t, inspector, "/cases")
	for _, want := range []string{"未按设计分台阶开采", "结案", "罚款", "30000元"} {
		if !strings.Contains(cases.body, want) {
			t.Errorf("cases lack %q", want)
		}
	}
	if p := s.get(t, inspector, "/cases/"+itoa(cs.ID)); !strings.Contains(p.body, "《安全生产法》第一百零二条") || !strings.Contains(p.body, "办案步骤") {
		t.Errorf("case page: %d", p.code)
	}

	leader := s.devSignIn(t, "linyou-secretary")
	st := s.get(t, leader, "/statistics?from="+today+"&to="+today)
	for _, want := range []string{"检查执法统计", `id="n-units"`, "data-stats=", "echarts.min.", "各来源隐患整改清零进度", "罚款合计"} {
		if !strings.Contains(st.body, want) {
			t.Errorf("statistics lack %q", want)
		}
	}
	if m := regexp.MustCompile(`id="n-units">(\d+)<`).FindStringSubmatch(st.body); m == nil || m[1] != "2" {
		t.Errorf("units inspected today: %v, want 2", m)
	}
	if m := regexp.MustCompile(`id="n-hazards">(\d+)<`).FindStringSubmatch(st.body); m == nil || m[1] != "1" {
		t.Errorf("hazards found today: %v, want 1", m)
	}
	if p := s.get(t, leader, "/statistics?from=2020-13-01"); p.code != http.StatusUnprocessableEntity || !strings.Contains(p.body, "field-error") {
		t.Errorf("a bad date: %d", p.code)
	}
	if p := s.get(t, leader, "/statistics?format=xlsx&from="+today); p.code != 200 || p.hdr.Get("Content-Type") != api.XLSX {
		t.Errorf("statistics export: %d %s", p.code, p.hdr.Get("Content-Type"))
	}

	// A unit head sees no recording form, and closing is the team leader's alone.
	head := s.devSignIn(t, "jcg-head")
	if p := s.get(t, head, "/inspections"); strings.Contains(p.body, `id="inspection-form"`) {
		t.Error("a unit head is offered the inspection form")
	}
	other := s.devSignIn(t, "yjj-inspector-2")
	op := s.get(t, other, loc)
	if strings.Contains(op.body, `id="close-inspection"`) {
		t.Error("another inspector is offered to close the inspection")
	}
	if p := s.post(t, other, loc+"/close", url.Values{"_csrf": {csrf(t, op)}}); p.code != http.StatusSeeOther {
		t.Errorf("close by another: %d", p.code)
	}
	var status string
	if err := s.county.DB.Get(&status, `SELECT status FROM inspections WHERE id = $1`, id); err != nil || status != "open" {
		t.Fatalf("closed by another inspector: %q %v", status, err)
	}
	if p := s.post(t, inspector, loc+"/close", url.Values{"_csrf": {csrf(t, ins)}}); p.code != http.StatusSeeOther {
		t.Errorf("close: %d", p.code)
	}
	if p := s.get(t, inspector, loc); !strings.Contains(p.body, "已结束") || strings.Contains(p.body, "登记发现的隐患") {
		t.Error("a closed inspection still offers its forms")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// A monthly report's form is prefilled from the unit's records of the month,
// each figure with the recorded one beside it; once the unit corrects one, the
// reviewer sees the correction beside the record.
func TestReportFormPrefilledFromRecords(t *testing.T) {
	s := newSite(t, true)
	ctx := context.Background()
	zjj, yjj := s.county.Units["zjj"], s.county.Units["yjj"]
	admin := s.county.IDs["linyou-admin"]
	for _, on := range []string{"2021-03-02", "2021-03-09"} {
		if _, err := s.county.DB.Exec(`INSERT INTO inspections (kind, title, body_unit_id, leader_id, starts_on, ends_on, created_by)
VALUES ('supervision', '建筑施工督导', $1, $2, $3, $3, $2)`, zjj, admin, on); err != nil {
			t.Fatal(err)
		}
	}
	a := &activities.Activities{Store: s.county.Store}
	camp := seed.DemoCampaignID
	due := time.Date(2021, 4, 5, 18, 0, 0, 0, domain.DefaultZone)
	at := time.Date(2021, 4, 1, 9, 0, 0, 0, domain.DefaultZone)
	spec := domain.ReportSpec{ID: contract.ReportID(camp, "zjj", "2021-03"), CampaignID: camp, Period: "2021-03", UnitID: zjj,
		UnitCode: "zjj", OfficeUnitID: yjj, DueAt: due}
	if err := a.RecordReport(ctx, contract.RecordReportInput{Spec: spec, At: at}); err != nil {
		t.Fatal(err)
	}
	task := func(kind domain.TaskKind, step string, unit int64, role domain.Role) string {
		id := contract.TaskID(spec.ID, step, 1)
		if err := a.CreateTask(ctx, domain.TaskSpec{ID: id, WorkflowID: spec.ID, Kind: kind, Title: "2021年3月月报", CampaignID: camp,
			SubjectType: domain.SubjectReport, SubjectID: spec.ID, UnitID: unit, Role: role, IssuerUnitID: yjj, DueAt: time.Now().Add(72 * time.Hour), CreatedAt: at}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	submit := task(domain.KindReportSubmit, "submit", zjj, domain.RoleUnitHead)
	head := s.devSignIn(t, "zjj-head")
	p := s.get(t, head, "/tasks/"+submit)
	for _, want := range []string{`name="figures.inspections" type="number" min="0" max="1000000" step="1" inputmode="numeric" required value="2"`,
		"系统记录：2", "预填"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the report form lacks %q", want)
		}
	}
	// The unit corrects one figure; the reviewer sees it beside the record.
	submitted := domain.Figures{Inspections: 3}
	if err := a.RecordStep(ctx, contract.Step{Subject: domain.SubjectReport, ID: spec.ID, Status: domain.ReportSubmitted, Round: 1, By: "zjj-head",
		At: at.Add(time.Hour), Outcome: domain.Completion{Report: &domain.Report{Figures: submitted, Problems: "无", NextSteps: "继续"}}}); err != nil {
		t.Fatal(err)
	}
	review := task(domain.KindReportReview, "review", yjj, domain.RoleSafetyOffice)
	office := s.devSignIn(t, "yjj-office")
	p = s.get(t, office, "/tasks/"+review)
	m := regexp.MustCompile(`(?s)<table class="data" id="corrections">.*?</table>`).FindString(p.body)
	if !strings.Contains(m, "检查次数") || !strings.Contains(m, "<td>3</td><td>2</td>") {
		t.Errorf("the review lacks the correction: %q", m)
	}
}
