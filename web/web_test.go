package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
	"golang.org/x/crypto/bcrypt"

	"github.com/zeren-county/zeren/api"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
	"github.com/zeren-county/zeren/web"
)

// site is the pages on a real database, with Temporal out of reach (the
// pages that only read need none), and a browser-like client with cookies.
type site struct {
	srv    *httptest.Server
	county testdb.County
	logs   *bytes.Buffer
}

func newSite(t *testing.T, dev bool) *site {
	t.Helper()
	gin.SetMode(gin.TestMode)
	county := testdb.NewCounty(t)
	tc, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tc.Close)
	logs := &bytes.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	reg := prometheus.NewRegistry()
	r := api.New(api.Deps{Store: county.Store, Temporal: tc, TaskQueue: "zeren", Registry: reg, Gatherer: reg, Log: log, UpdateTimeout: 100 * time.Millisecond})
	if _, err := web.Mount(r, web.Deps{Store: county.Store, Log: log, DevSignIn: dev}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", logs)
		}
	})
	return &site{srv: srv, county: county, logs: logs}
}

// browser is a client that keeps cookies and does not follow redirects.
func (s *site) browser(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type page struct {
	code int
	body string
	hdr  http.Header
}

func (s *site) get(t *testing.T, b *http.Client, path string) page {
	t.Helper()
	res, err := b.Get(s.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return page{res.StatusCode, string(body), res.Header}
}

func (s *site) post(t *testing.T, b *http.Client, path string, form url.Values) page {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", s.srv.URL)
	res, err := b.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return page{res.StatusCode, string(body), res.Header}
}

var hidden = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// csrf is the first CSRF token on a page.
func csrf(t *testing.T, p page) string {
	t.Helper()
	m := hidden.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSRF token on the page (%d): %.300s", p.code, p.body)
	}
	return m[1]
}

func (s *site) account(t *testing.T, key, username, password string) {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.UpsertAccount(context.Background(), s.county.DB, s.county.IDs[key], username, string(h)); err != nil {
		t.Fatal(err)
	}
}

// signIn signs in with a password and answers the signed-in browser.
func (s *site) signIn(t *testing.T, username, password string) *http.Client {
	t.Helper()
	b := s.browser(t)
	login := s.get(t, b, "/login")
	res := s.post(t, b, "/login", url.Values{"_csrf": {csrf(t, login)}, "username": {username}, "password": {password}})
	if res.code != http.StatusSeeOther || res.hdr.Get("Location") != "/inbox" {
		t.Fatalf("sign-in: %d %s %.300s", res.code, res.hdr.Get("Location"), res.body)
	}
	return b
}

func TestSignInSessionsAndCSRF(t *testing.T) {
	s := newSite(t, false)
	s.account(t, "jcg-head", "jcg.head", "jiuchenggong-2021")
	anon := s.browser(t)
	if p := s.get(t, anon, "/inbox"); p.code != http.StatusSeeOther || !strings.HasPrefix(p.hdr.Get("Location"), "/login?next=") {
		t.Fatalf("inbox without a session: %d %s", p.code, p.hdr.Get("Location"))
	}
	login := s.get(t, anon, "/login")
	if csp := login.hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
		t.Fatalf("CSP %q", csp)
	}
	if strings.Contains(login.body, "/login/dev") {
		t.Fatal("the dev sign-in is offered outside zeren dev")
	}
	// A form without its token is refused; a wrong password says so without saying which part.
	if p := s.post(t, anon, "/login", url.Values{"username": {"jcg.head"}, "password": {"jiuchenggong-2021"}}); p.code != http.StatusForbidden {
		t.Fatalf("sign-in without the form's token: %d", p.code)
	}
	login = s.get(t, anon, "/login")
	if p := s.post(t, anon, "/login", url.Values{"_csrf": {csrf(t, login)}, "username": {"jcg.head"}, "password": {"wrong-password"}}); p.code != http.StatusUnauthorized || !strings.Contains(p.body, "账号或密码不正确") {
		t.Fatalf("wrong password: %d", p.code)
	}
	b := s.signIn(t, "jcg.head", "jiuchenggong-2021")
	var cookie *http.Cookie
	for _, c := range b.Jar.Cookies(mustURL(t, s.srv.URL)) {
		if c.Name == "zeren_session" {
			cookie = c
		}
	}
	if cookie == nil {
		t.Fatal("no session cookie")
	}
	inbox := s.get(t, b, "/inbox")
	if inbox.code != 200 || !strings.Contains(inbox.body, "我的待办") || !strings.Contains(inbox.body, "九成宫镇") && !strings.Contains(inbox.body, "没有待办事项") {
		t.Fatalf("inbox: %d %.500s", inbox.code, inbox.body)
	}
	// The session id is stored hashed: the cookie's value is nowhere in the database.
	if n := testdb.Count(t, s.county.DB, `SELECT count(*) FROM web_sessions WHERE encode(id_hash, 'escape') LIKE '%' || $1 || '%'`, cookie.Value); n != 0 {
		t.Fatal("the session id is stored in the clear")
	}
	// A post without the session's CSRF token changes nothing.
	if p := s.post(t, b, "/logout", url.Values{}); p.code != http.StatusForbidden {
		t.Fatalf("sign-out without a token: %d", p.code)
	}
	if p := s.post(t, b, "/logout", url.Values{"_csrf": {csrf(t, inbox)}}); p.code != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", p.code)
	}
	if p := s.get(t, b, "/inbox"); p.code != http.StatusSeeOther {
		t.Fatalf("inbox after sign-out: %d", p.code)
	}
	// Sign-out everywhere ends every session of the person.
	b1, b2 := s.signIn(t, "jcg.head", "jiuchenggong-2021"), s.signIn(t, "jcg.head", "jiuchenggong-2021")
	acct := s.get(t, b1, "/account")
	if p := s.post(t, b1, "/logout/all", url.Values{"_csrf": {csrf(t, acct)}}); p.code != http.StatusSeeOther {
		t.Fatalf("sign-out everywhere: %d", p.code)
	}
	if p := s.get(t, b2, "/inbox"); p.code != http.StatusSeeOther {
		t.Fatalf("the other session survived sign-out everywhere: %d", p.code)
	}
}

func TestLockoutAfterRepeatedFailures(t *testing.T) {
	s := newSite(t, false)
	s.account(t, "zx-head", "zx.head", "zhaoxian-2021-ok")
	b := s.browser(t)
	for range store.MaxFailedSignIns {
		login := s.get(t, b, "/login")
		s.post(t, b, "/login", url.Values{"_csrf": {csrf(t, login)}, "username": {"zx.head"}, "password": {"guess"}})
	}
	login := s.get(t, b, "/login")
	p := s.post(t, b, "/login", url.Values{"_csrf": {csrf(t, login)}, "username": {"zx.head"}, "password": {"zhaoxian-2021-ok"}})
	if p.code != http.StatusTooManyRequests || !strings.Contains(p.body, "锁定") {
		t.Fatalf("the right password during the lock: %d", p.code)
	}
}

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	s := newSite(t, false)
	s.account(t, "zx-head", "zx.head", "zhaoxian-2021-ok")
	b, other := s.signIn(t, "zx.head", "zhaoxian-2021-ok"), s.signIn(t, "zx.head", "zhaoxian-2021-ok")
	acct := s.get(t, b, "/account")
	p := s.post(t, b, "/account/password", url.Values{"_csrf": {csrf(t, acct)}, "current": {"zhaoxian-2021-ok"}, "password": {"short"}, "again": {"short"}})
	if p.code != http.StatusUnprocessableEntity || !strings.Contains(p.body, "至少10位") {
		t.Fatalf("short password: %d", p.code)
	}
	p = s.post(t, b, "/account/password", url.Values{"_csrf": {csrf(t, acct)}, "current": {"zhaoxian-2021-ok"}, "password": {"a-new-long-password"}, "again": {"a-new-long-password"}})
	if p.code != http.StatusSeeOther {
		t.Fatalf("change: %d %.300s", p.code, p.body)
	}
	if p := s.get(t, b, "/inbox"); p.code != 200 {
		t.Fatalf("this browser stays signed in: %d", p.code)
	}
	if p := s.get(t, other, "/inbox"); p.code != http.StatusSeeOther {
		t.Fatalf("the other session survived the change: %d", p.code)
	}
	s.signIn(t, "zx.head", "a-new-long-password")
}

func TestDevSignInOnlyInDev(t *testing.T) {
	prod := newSite(t, false)
	b := prod.browser(t)
	login := prod.get(t, b, "/login")
	if p := prod.post(t, b, "/login/dev", url.Values{"_csrf": {csrf(t, login)}, "person": {"linyou-deputy"}}); p.code != http.StatusNotFound {
		t.Fatalf("dev sign-in outside dev: %d", p.code)
	}
	dev := newSite(t, true)
	b = dev.browser(t)
	login = dev.get(t, b, "/login")
	if !strings.Contains(login.body, "演示人员登录") {
		t.Fatal("no demo list in dev")
	}
	if p := dev.post(t, b, "/login/dev", url.Values{"_csrf": {csrf(t, login)}, "person": {"linyou-deputy"}}); p.code != http.StatusSeeOther {
		t.Fatalf("dev sign-in: %d", p.code)
	}
	if p := dev.get(t, b, "/inbox"); p.code != 200 || !strings.Contains(p.body, "交办") {
		t.Fatalf("a leader's inbox: %d", p.code)
	}
}

// Every task kind's page renders with its form, its context and its ladder,
// in Chinese from the message file.
func TestTaskPageOfEveryKind(t *testing.T) {
	s := newSite(t, true)
	ctx := context.Background()
	jcg, yjj := s.county.Units["jcg"], s.county.Units["yjj"]
	due := time.Now().Add(48 * time.Hour)
	for _, kind := range domain.TaskKinds {
		spec := domain.TaskSpec{ID: "t." + string(kind), WorkflowID: "wf/" + string(kind), Kind: kind, Title: "测试事项 " + string(kind),
			SubjectType: "test", SubjectID: "1", UnitID: jcg, Role: domain.RoleUnitHead, IssuerUnitID: yjj, DueAt: due, CreatedAt: time.Now(),
			Context: domain.TaskContext{Content: "事项内容", PlanTasks: []string{"燃气排查"}, Items: []domain.InterviewItem{{ID: 3, Label: "月报逾期"}},
				Ladder: domain.DefaultLadder()}}
		ctxJSON, _ := json.Marshal(spec.Context)
		if _, err := store.InsertTask(ctx, s.county.DB, store.Task{ID: spec.ID, WorkflowID: spec.WorkflowID, Kind: string(kind), Title: spec.Title,
			SubjectType: "test", SubjectID: "1", UnitID: jcg, Role: "unit_head", IssuerUnitID: &yjj, DueAt: due, CreatedAt: time.Now(), Context: ctxJSON}); err != nil {
			t.Fatal(err)
		}
	}
	b := s.browser(t)
	login := s.get(t, b, "/login")
	s.post(t, b, "/login/dev", url.Values{"_csrf": {csrf(t, login)}, "person": {"jcg-head"}})
	inbox := s.get(t, b, "/inbox")
	for _, kind := range domain.TaskKinds {
		if !strings.Contains(inbox.body, "/tasks/t."+string(kind)) {
			t.Errorf("inbox lacks %s", kind)
		}
		p := s.get(t, b, "/tasks/t."+string(kind))
		if p.code != 200 {
			t.Errorf("%s: %d %.300s", kind, p.code, p.body)
			continue
		}
		fields := map[domain.TaskKind][]string{
			domain.KindHazardRectify: {`name="result"`}, domain.KindStopResume: {`name="result"`},
			domain.KindHazardVerify: {`name="decision"`}, domain.KindHazardApprovePlan: {`name="decision"`}, domain.KindStopAccept: {`name="decision"`},
			domain.KindStopApprove: {`name="decision"`},
			domain.KindHazardPlan:  {`name="measures"`, `name="funds"`, `name="deadline"`, `name="responsible"`, `name="contingency"`},
			domain.KindCaseStep:    {`name="number"`, `name="note"`}, domain.KindCaseDecide: {`name="decision"`, `name="fine"`, `name="number"`, "罚款"},
			domain.KindMeetingMinutes: {`name="meeting_id"`, `href="/meetings?task=t.meeting.minutes"`},
		}[kind]
		for _, want := range append([]string{"事项内容", "督办安排", `name="kind" value="` + string(kind) + `"`, `name="_key"`, "办理期限"}, fields...) {
			if !strings.Contains(p.body, want) {
				t.Errorf("%s page lacks %q", kind, want)
			}
		}
	}
	// A person of another unit cannot see the task.
	other := s.browser(t)
	login = s.get(t, other, "/login")
	s.post(t, other, "/login/dev", url.Values{"_csrf": {csrf(t, login)}, "person": {"zx-head"}})
	if p := s.get(t, other, "/tasks/t.assignment.complete"); p.code != http.StatusForbidden && p.code != http.StatusNotFound {
		t.Fatalf("another unit's task: %d", p.code)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (s *site) devSignIn(t *testing.T, key string) *http.Client {
	t.Helper()
	b := s.browser(t)
	login := s.get(t, b, "/login")
	if p := s.post(t, b, "/login/dev", url.Values{"_csrf": {csrf(t, login)}, "person": {key}}); p.code != http.StatusSeeOther {
		t.Fatalf("dev sign-in as %s: %d", key, p.code)
	}
	return b
}

// The issuing page offers the units and ladders; refusals name the field and keep what was typed.
func TestIssuePage(t *testing.T) {
	s := newSite(t, true)
	office := s.devSignIn(t, "yjj-office")
	p := s.get(t, office, "/issue")
	for _, want := range []string{"九成宫镇", "标准", "紧急", `name="assignee_units"`, "本单位交办的事项"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("issue page lacks %q", want)
		}
	}
	res := s.post(t, office, "/issue", url.Values{"_csrf": {csrf(t, p)}, "title": {"排查液化气站"}, "content": {"全面排查"}, "due_at": {"2030-01-01T18:00"}, "ladder": {"standard"}})
	if res.code != http.StatusUnprocessableEntity || !strings.Contains(res.body, "请至少选择一个承办单位") || !strings.Contains(res.body, "排查液化气站") {
		t.Fatalf("no unit: %d", res.code)
	}
	res = s.post(t, office, "/issue", url.Values{"_csrf": {csrf(t, p)}, "title": {""}, "content": {"全面排查"}, "due_at": {"2030-01-01T18:00"}, "ladder": {"standard"}, "assignee_units": {"jcg"}})
	if res.code != http.StatusUnprocessableEntity || !strings.Contains(res.body, `id="title-error"`) {
		t.Fatalf("empty title: %d %.400s", res.code, res.body)
	}
	// A unit head does not issue.
	head := s.devSignIn(t, "jcg-head")
	if p := s.get(t, head, "/inbox"); strings.Contains(p.body, `href="/issue"`) {
		t.Error("a unit head is offered the issuing page")
	}
}

// The campaign's dashboard for a leader: phases, the report matrix, pledges,
// scores per kind, notices and interviews, the charts' data and the exports;
// a unit head sees no matrix. A notice prints as a formal document.
func TestCampaignDashboardExportsAndDocuments(t *testing.T) {
	s := newSite(t, true)
	leader := s.devSignIn(t, "linyou-secretary")
	list := s.get(t, leader, "/campaigns")
	m := regexp.MustCompile(`href="/campaigns/([a-z0-9-]+)"`).FindStringSubmatch(list.body)
	if list.code != 200 || m == nil {
		t.Fatalf("campaigns: %d %.300s", list.code, list.body)
	}
	dash := s.get(t, leader, "/campaigns/"+m[1]+"?year=2021")
	for _, want := range []string{"阶段安排", "动员部署", `id="report-matrix"`, "2021年度目标责任书签订进度", "2021年度考核得分", "data-charts=", "县直部门", "导出Excel", "echarts.min."} {
		if !strings.Contains(dash.body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	rows := strings.Count(dash.body[strings.Index(dash.body, `id="report-matrix"`):], `<th scope="row">`)
	if rows != 25 {
		t.Errorf("report matrix has %d rows, want the 25 reporting units", rows)
	}
	for _, what := range []string{"scores.xlsx?year=2021", "reports.xlsx", "pledges.xlsx?year=2021"} {
		p := s.get(t, leader, "/campaigns/"+m[1]+"/export/"+what)
		if p.code != 200 || p.hdr.Get("Content-Type") != api.XLSX || !strings.HasPrefix(p.body, "PK") {
			t.Errorf("export %s: %d %s", what, p.code, p.hdr.Get("Content-Type"))
		}
	}
	head := s.devSignIn(t, "jcg-head")
	if p := s.get(t, head, "/campaigns/"+m[1]); p.code != 200 || strings.Contains(p.body, `id="report-matrix"`) {
		t.Errorf("a unit head's dashboard: %d, matrix shown: %v", p.code, strings.Contains(p.body, `id="report-matrix"`))
	}
	if p := s.get(t, head, "/campaigns/"+m[1]+"/export/reports.xlsx"); p.code != http.StatusForbidden {
		t.Errorf("a unit head exports the matrix: %d", p.code)
	}

	// A notice issued through the API prints as 通报 with a number and a formal date.
	req, _ := http.NewRequest(http.MethodPost, s.srv.URL+"/api/v1/notices", strings.NewReader(`{"units":["jcg"],"reason":"九成宫镇隐患排查整治推进不力"}`))
	req.Header.Set("Authorization", "Bearer "+s.county.Tokens["yjj-office"])
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var n struct {
		ID int64 `json:"id"`
	}
	if err := json.NewDecoder(res.Body).Decode(&n); err != nil || res.StatusCode != 201 {
		t.Fatalf("notice: %d %v", res.StatusCode, err)
	}
	res.Body.Close()
	doc := s.get(t, leader, "/docs/notice/"+strconv.FormatInt(n.ID, 10))
	year := strconv.Itoa(time.Now().In(domain.DefaultZone).Year())
	for _, want := range []string{"麟安委办通〔" + year + "〕", "九成宫镇隐患排查整治推进不力", "九成宫镇", "年", "打印", `class="doc"`} {
		if !strings.Contains(doc.body, want) {
			t.Errorf("notice document lacks %q", want)
		}
	}
	if strings.Contains(doc.body, `class="top"`) {
		t.Error("a document carries the site's header")
	}
}

// The administrator opens an account with a one-time link, the person sets
// their password through it once, and a disabled account cannot sign in; a
// workbook that is not the template is refused with nothing written.
func TestAdministration(t *testing.T) {
	s := newSite(t, true)
	admin := s.devSignIn(t, "linyou-admin")
	if p := s.get(t, s.devSignIn(t, "jcg-head"), "/admin"); p.code != http.StatusForbidden {
		t.Fatalf("a unit head on the admin page: %d", p.code)
	}
	page := s.get(t, admin, "/admin")
	res := s.post(t, admin, "/admin/accounts", url.Values{"_csrf": {csrf(t, page)}, "person": {"zx-head"}, "username": {"Bad Name"}})
	if res.code != http.StatusUnprocessableEntity || !strings.Contains(res.body, "小写字母") {
		t.Fatalf("bad username: %d", res.code)
	}
	res = s.post(t, admin, "/admin/accounts", url.Values{"_csrf": {csrf(t, page)}, "person": {"zx-head"}, "username": {"zx.head"}})
	m := regexp.MustCompile(`/reset/([A-Za-z0-9_-]+)`).FindStringSubmatch(res.body)
	if res.code != http.StatusCreated || m == nil {
		t.Fatalf("open account: %d %.300s", res.code, res.body)
	}
	person := s.browser(t)
	if p := s.get(t, person, "/reset/"+m[1]); p.code != 200 {
		t.Fatalf("reset page: %d", p.code)
	}
	if p := s.post(t, person, "/reset/"+m[1], url.Values{"password": {"zhaoxian-own-pw"}, "again": {"zhaoxian-own-pw"}}); p.code != http.StatusSeeOther {
		t.Fatalf("set password: %d %.300s", p.code, p.body)
	}
	if p := s.get(t, person, "/inbox"); p.code != 200 {
		t.Fatalf("signed in after setting the password: %d", p.code)
	}
	if p := s.post(t, s.browser(t), "/reset/"+m[1], url.Values{"password": {"another-password"}, "again": {"another-password"}}); p.code != http.StatusNotFound {
		t.Fatalf("a used link again: %d", p.code)
	}
	s.signIn(t, "zx.head", "zhaoxian-own-pw")
	// Disabled: the sessions end and sign-in is refused.
	page = s.get(t, admin, "/admin")
	id := strconv.FormatInt(s.county.IDs["zx-head"], 10)
	if p := s.post(t, admin, "/admin/accounts/"+id+"/disable", url.Values{"_csrf": {csrf(t, page)}}); p.code != http.StatusSeeOther {
		t.Fatalf("disable: %d", p.code)
	}
	if p := s.get(t, person, "/inbox"); p.code != http.StatusSeeOther {
		t.Fatalf("a disabled account's session: %d", p.code)
	}
	login := s.get(t, s.browser(t), "/login")
	b := s.browser(t)
	login = s.get(t, b, "/login")
	if p := s.post(t, b, "/login", url.Values{"_csrf": {csrf(t, login)}, "username": {"zx.head"}, "password": {"zhaoxian-own-pw"}}); p.code != http.StatusForbidden || !strings.Contains(p.body, "停用") {
		t.Fatalf("disabled sign-in: %d", p.code)
	}
	// The organisation's template downloads; a file that is not one is refused.
	if p := s.get(t, admin, "/admin/org/template.xlsx"); p.code != 200 || !strings.HasPrefix(p.body, "PK") {
		t.Fatalf("template: %d", p.code)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("_csrf", csrf(t, page))
	fw, _ := mw.CreateFormFile("file", "org.xlsx")
	_, _ = fw.Write([]byte("not a workbook"))
	_ = mw.Close()
	units := testdb.Count(t, s.county.DB, `SELECT count(*) FROM units`)
	req, _ := http.NewRequest(http.MethodPost, s.srv.URL+"/admin/org/import", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", s.srv.URL)
	r, err := admin.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(out), "未导入任何内容") {
		t.Fatalf("import of a non-workbook: %d %.300s", r.StatusCode, out)
	}
	if n := testdb.Count(t, s.county.DB, `SELECT count(*) FROM units`); n != units {
		t.Fatalf("units %d → %d after a refused import", units, n)
	}
}
