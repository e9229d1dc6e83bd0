package notify_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/internal/notify"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

// robotHit is one request a robot received.
type robotHit struct {
	RawQuery    string
	ContentType string
	Body        string
}

// robots is a loopback server standing in for DingTalk's and WeCom's robots:
// each path is one robot; it records every request and answers what answer
// says for the path's nth request (1-based), {"errcode":0,"errmsg":"ok"} by
// default.
type robots struct {
	URL    string
	mu     sync.Mutex
	hits   map[string][]robotHit
	answer func(path string, n int, w http.ResponseWriter, r *http.Request) bool
}

func newRobots(t *testing.T, answer func(path string, n int, w http.ResponseWriter, r *http.Request) bool) *robots {
	t.Helper()
	rb := &robots{hits: map[string][]robotHit{}, answer: answer}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rb.mu.Lock()
		rb.hits[r.URL.Path] = append(rb.hits[r.URL.Path], robotHit{RawQuery: r.URL.RawQuery, ContentType: r.Header.Get("Content-Type"), Body: string(b)})
		n := len(rb.hits[r.URL.Path])
		rb.mu.Unlock()
		if rb.answer != nil && rb.answer(r.URL.Path, n, w, r) {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	}))
	t.Cleanup(srv.Close)
	rb.URL = srv.URL
	return rb
}

func (rb *robots) got(path string) []robotHit {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	return append([]robotHit(nil), rb.hits[path]...)
}

// counting is a main sender that records what it was given and fails the
// calls fail says.
type counting struct {
	mu    sync.Mutex
	calls map[int64]int
	fail  func(id int64, n int) error
}

func (c *counting) Send(_ context.Context, m notify.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls == nil {
		c.calls = map[int64]int{}
	}
	c.calls[m.ID]++
	if c.fail != nil {
		return c.fail(m.ID, c.calls[m.ID])
	}
	return nil
}

func (c *counting) count(id int64) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[id]
}

func addChannel(t *testing.T, s *store.Store, unit int64, kind, rawURL, secret string) store.Channel {
	t.Helper()
	var ch store.Channel
	err := s.InTx(context.Background(), func(tx *sqlx.Tx) error {
		var err error
		ch, _, err = store.SetChannel(context.Background(), tx, store.ChannelInput{UnitID: unit, Kind: kind, URL: rawURL, Secret: secret, SetSecret: secret != ""}, store.ActorCLI)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func disableChannel(t *testing.T, s *store.Store, ch store.Channel) {
	t.Helper()
	err := s.InTx(context.Background(), func(tx *sqlx.Tx) error {
		_, _, err := store.DisableChannel(context.Background(), tx, ch.UnitID, ch.Kind, ch.URL, store.ActorCLI)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func enqueue(t *testing.T, s *store.Store, n store.Notification) int64 {
	t.Helper()
	if _, err := store.Enqueue(context.Background(), s.DB, n); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := s.DB.Get(&id, `SELECT id FROM outbox WHERE key = $1`, n.Key); err != nil {
		t.Fatal(err)
	}
	return id
}

func outboxRowOf(t *testing.T, s *store.Store, id int64) outboxRow {
	t.Helper()
	for _, r := range outboxRows(t, s) {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no outbox row %d", id)
	return outboxRow{}
}

func drainOnce(t *testing.T, d *notify.Dispatcher) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n, err := d.Drain(ctx)
	if err != nil {
		t.Fatalf("Drain: %v", err)
	}
	return n
}

func dingSign(ts, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

const (
	testSecret = "SEC5f4e3d2c1b0a99887766554433221100ffeeddccbbaa99887766554433221100"
	tokenA     = "6d4c1f0a9b8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a392817060000"
	tokenB     = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d21111"
	weComKey   = "693a91f6-7aaa-4bc4-97a0-0ec2cafe5aaa"
)

// Each message goes to the main sender and to every enabled robot of its
// unit in the robot's exact JSON: DingTalk's markdown (title and text) to
// its URL, signed when it has a secret; WeCom's markdown (content). The text
// is the message's own, in Chinese, and ends with a link to the task page
// when the message is about a task.
func TestRobotMessages(t *testing.T) {
	c := testdb.NewCounty(t)
	jcg := c.Units["jcg"]
	rb := newRobots(t, nil)
	addChannel(t, c.Store, jcg, "dingtalk", rb.URL+"/ding-signed?access_token="+tokenA, testSecret)
	addChannel(t, c.Store, jcg, "dingtalk", rb.URL+"/ding?access_token="+tokenB, "")
	addChannel(t, c.Store, jcg, "wecom", rb.URL+"/wecom?key="+weComKey, "")
	task := "assignment.7.complete.1"
	m1 := enqueue(t, c.Store, store.Notification{Key: "task:" + task, UnitID: jcg, TaskID: &task, Kind: "task",
		Title: "【待办】排查液化气站隐患", Body: "您有一项待办：排查液化气站隐患，请于2030年1月10日 18:00前办理。"})
	m2 := enqueue(t, c.Store, store.Notification{Key: "notice:1:jcg", UnitID: jcg, Kind: "notice",
		Title: "【通报】县安委办", Body: "你单位3月份月报逾期未报。\n\n请于[5日](http://evil.example)内整改<font color=\"warning\">！</font>"})

	main := &counting{}
	d := &notify.Dispatcher{Store: c.Store, Sender: main, Log: quietLog(),
		Channels: &notify.RobotSender{LinkBase: "https://zeren.linyou.gov.cn/", AllowPrivate: true}}
	before := time.Now()
	if n := drainOnce(t, d); n != 2 {
		t.Fatalf("%d messages sent; want 2", n)
	}
	after := time.Now()

	text1 := `#### 【待办】排查液化气站隐患\n\n您有一项待办：排查液化气站隐患，请于2030年1月10日 18:00前办理。\n\n单位：九成宫镇\n\n[查看任务](https://zeren.linyou.gov.cn/tasks/assignment.7.complete.1)`
	text2 := `#### 【通报】县安委办\n\n你单位3月份月报逾期未报。\n\n请于［5日］(http://evil.example)内整改＜font color=\"warning\"＞！＜/font＞\n\n单位：九成宫镇`
	wantDing := []string{
		`{"msgtype":"markdown","markdown":{"title":"【待办】排查液化气站隐患","text":"` + text1 + `"}}`,
		`{"msgtype":"markdown","markdown":{"title":"【通报】县安委办","text":"` + text2 + `"}}`,
	}
	wantWeCom := []string{
		`{"msgtype":"markdown","markdown":{"content":"` + text1 + `"}}`,
		`{"msgtype":"markdown","markdown":{"content":"` + text2 + `"}}`,
	}
	check := func(path string, want []string, query func(t *testing.T, q string)) {
		t.Run(path, func(t *testing.T) {
			hits := rb.got(path)
			if len(hits) != len(want) {
				t.Fatalf("%d requests; want %d", len(hits), len(want))
			}
			for i, h := range hits {
				if h.Body != want[i] {
					t.Errorf("message %d body\n got %s\nwant %s", i+1, h.Body, want[i])
				}
				if h.ContentType != "application/json; charset=utf-8" {
					t.Errorf("Content-Type %q", h.ContentType)
				}
				query(t, h.RawQuery)
			}
		})
	}
	check("/ding-signed", wantDing, func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			t.Fatalf("query %q: %v", raw, err)
		}
		ts := q.Get("timestamp")
		ms, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || ms < before.UnixMilli() || ms > after.UnixMilli() {
			t.Fatalf("timestamp %q is not the sending time in milliseconds (%d–%d)", ts, before.UnixMilli(), after.UnixMilli())
		}
		sign := dingSign(ts, testSecret)
		if q.Get("sign") != sign {
			t.Fatalf("sign %q; want %q", q.Get("sign"), sign)
		}
		if want := "access_token=" + tokenA + "&timestamp=" + ts + "&sign=" + url.QueryEscape(sign); raw != want {
			t.Fatalf("query %q; want %q", raw, want)
		}
	})
	check("/ding", wantDing, func(t *testing.T, raw string) {
		if raw != "access_token="+tokenB {
			t.Fatalf("query %q of a robot without a secret; want its token only", raw)
		}
	})
	check("/wecom", wantWeCom, func(t *testing.T, raw string) {
		if raw != "key="+weComKey {
			t.Fatalf("query %q; want the robot's key only", raw)
		}
	})
	for _, id := range []int64{m1, m2} {
		if main.count(id) != 1 {
			t.Errorf("message %d went %d times to the main sender; want once", id, main.count(id))
		}
		if r := outboxRowOf(t, c.Store, id); r.Status != "sent" || r.Attempts != 1 {
			t.Errorf("outbox row %+v; want sent after 1 attempt", r)
		}
	}
	if n := testdb.Count(t, c.DB, `SELECT count(*) FROM outbox_deliveries`); n != 8 {
		t.Errorf("%d deliveries recorded; want 2 messages × (main + 3 robots)", n)
	}
	// Drained again: nothing more goes out.
	if n := drainOnce(t, d); n != 0 || len(rb.got("/ding-signed")) != 2 || len(rb.got("/wecom")) != 2 {
		t.Fatalf("a second drain sent %d", n)
	}
}

// The signature is the one DingTalk documents, checked against a value
// computed independently (Python's hmac, hashlib and urllib.parse.quote_plus).
func TestSignDingTalk(t *testing.T) {
	at := time.UnixMilli(1577836800000)
	const want = "&timestamp=1577836800000&sign=dkSGd5pOW6EcHyf4c%2BjmN4%2B9vvWtQzyeqVYndq1jN%2B8%3D"
	for _, tt := range []struct{ in, want string }{
		{"https://oapi.dingtalk.com/robot/send?access_token=abc", "https://oapi.dingtalk.com/robot/send?access_token=abc" + want},
		{"https://gw.county.example/ding", "https://gw.county.example/ding?" + want[1:]},
		{"https://gw.county.example/ding?", "https://gw.county.example/ding?" + want[1:]},
	} {
		if got := notify.SignDingTalk(tt.in, "SECtest0123456789", at); got != tt.want {
			t.Errorf("SignDingTalk(%q)\n got %s\nwant %s", tt.in, got, tt.want)
		}
	}
}

// A target that fails is tried again with the dispatcher's backoff; the
// targets that took the message are not sent it again, whether the one that
// failed was a robot or the main webhook. A 2xx answer with a non-zero
// errcode is a failure like a 5xx.
func TestFailedTargetIsRetriedDeliveredOnesAreNot(t *testing.T) {
	c := testdb.NewCounty(t)
	jcg := c.Units["jcg"]
	rb := newRobots(t, func(path string, n int, w http.ResponseWriter, _ *http.Request) bool {
		if path != "/wecom" {
			return false
		}
		switch n {
		case 1:
			w.WriteHeader(http.StatusBadGateway)
			return true
		case 2:
			_, _ = io.WriteString(w, `{"errcode":93000,"errmsg":"invalid webhook url, hint: [1655x]"}`)
			return true
		}
		return false
	})
	addChannel(t, c.Store, jcg, "dingtalk", rb.URL+"/ding?access_token="+tokenA, testSecret)
	addChannel(t, c.Store, jcg, "wecom", rb.URL+"/wecom?key="+weComKey, "")
	id := enqueue(t, c.Store, store.Notification{Key: "m", UnitID: jcg, Kind: "remind", Title: "【提醒】报送3月份进展", Body: "请于明日18:00前报送。"})
	main := &counting{fail: func(_ int64, n int) error {
		if n == 1 {
			return errors.New("webhook answered 503 Service Unavailable")
		}
		return nil
	}}
	d := &notify.Dispatcher{Store: c.Store, Sender: main, Log: quietLog(), MaxAttempts: 5, Backoff: func(int) time.Duration { return 0 },
		Channels: &notify.RobotSender{LinkBase: "http://127.0.0.1:8080", AllowPrivate: true}}

	type want struct {
		sent, main, ding, wecom, attempts int
		status                            string
		errHas                            []string
	}
	steps := []want{
		{0, 1, 1, 1, 1, "pending", []string{"webhook answered 503", "wecom channel", "502 Bad Gateway"}},
		{0, 2, 1, 2, 2, "pending", []string{"wecom channel", "errcode 93000: invalid webhook url"}},
		{1, 2, 1, 3, 3, "sent", nil},
		{0, 2, 1, 3, 3, "sent", nil},
	}
	for i, w := range steps {
		n := drainOnce(t, d)
		r := outboxRowOf(t, c.Store, id)
		got := want{n, main.count(id), len(rb.got("/ding")), len(rb.got("/wecom")), r.Attempts, r.Status, nil}
		if fmt.Sprint(got.sent, got.main, got.ding, got.wecom, got.attempts, got.status) != fmt.Sprint(w.sent, w.main, w.ding, w.wecom, w.attempts, w.status) {
			t.Fatalf("drain %d: sent %d; main %d, dingtalk %d, wecom %d sends; %s after %d attempts — want %+v",
				i+1, got.sent, got.main, got.ding, got.wecom, got.status, got.attempts, w)
		}
		lastErr := deref(r.LastError)
		for _, s := range w.errHas {
			if !strings.Contains(lastErr, s) {
				t.Errorf("drain %d: last error %q; want it to name %q", i+1, lastErr, s)
			}
		}
		if w.errHas == nil && r.LastError != nil {
			t.Errorf("drain %d: last error %q after delivery", i+1, lastErr)
		}
		if i == 1 && strings.Contains(lastErr, "503") {
			t.Errorf("drain 2: last error %q still names the main sender, which took the message", lastErr)
		}
		for _, secret := range []string{tokenA, weComKey, testSecret} {
			if strings.Contains(lastErr, secret) {
				t.Fatalf("drain %d: the last error shows a token or the secret: %q", i+1, lastErr)
			}
		}
	}
	// The DingTalk robot got the message once, signed.
	if h := rb.got("/ding"); !strings.Contains(h[0].RawQuery, "&sign=") {
		t.Fatalf("query %q is not signed", h[0].RawQuery)
	}
}

// A robot that keeps failing leaves the message failed after MaxAttempts,
// like the webhook, while the targets that took it got it once.
func TestRobotFailingForGood(t *testing.T) {
	c := testdb.NewCounty(t)
	jcg := c.Units["jcg"]
	rb := newRobots(t, func(path string, _ int, w http.ResponseWriter, _ *http.Request) bool {
		if path == "/bad" {
			_, _ = io.WriteString(w, `{"errcode":310000,"errmsg":"keywords not in content"}`)
			return true
		}
		return false
	})
	addChannel(t, c.Store, jcg, "dingtalk", rb.URL+"/bad?access_token="+tokenA, "")
	addChannel(t, c.Store, jcg, "wecom", rb.URL+"/good?key="+weComKey, "")
	id := enqueue(t, c.Store, store.Notification{Key: "m", UnitID: jcg, Kind: "deduct", Title: "【扣分】报送3月份进展", Body: "扣1分。"})
	main := &counting{}
	d := &notify.Dispatcher{Store: c.Store, Sender: main, Log: quietLog(), MaxAttempts: 3, Backoff: func(int) time.Duration { return 0 },
		Channels: &notify.RobotSender{AllowPrivate: true}}
	for range 5 {
		drainOnce(t, d)
	}
	r := outboxRowOf(t, c.Store, id)
	if r.Status != "failed" || r.Attempts != 3 || !strings.Contains(deref(r.LastError), "errcode 310000: keywords not in content") {
		t.Fatalf("outbox row %+v (%q); want failed after 3 attempts with the robot's errcode", r, deref(r.LastError))
	}
	if len(rb.got("/bad")) != 3 || len(rb.got("/good")) != 1 || main.count(id) != 1 {
		t.Fatalf("sends: bad %d, good %d, main %d; want 3, 1, 1", len(rb.got("/bad")), len(rb.got("/good")), main.count(id))
	}
}

// A disabled channel, and the channels of other units, get nothing; a channel
// disabled after failing is not tried again, and the message counts as sent
// once its other targets have it.
func TestDisabledChannelGetsNothing(t *testing.T) {
	c := testdb.NewCounty(t)
	jcg, gaj := c.Units["jcg"], c.Units["gaj"]
	rb := newRobots(t, func(path string, _ int, w http.ResponseWriter, _ *http.Request) bool {
		if path == "/flaky" {
			w.WriteHeader(http.StatusInternalServerError)
			return true
		}
		return false
	})
	addChannel(t, c.Store, jcg, "wecom", rb.URL+"/on?key=1", "")
	off := addChannel(t, c.Store, jcg, "wecom", rb.URL+"/off?key=2", "")
	disableChannel(t, c.Store, off)
	addChannel(t, c.Store, gaj, "wecom", rb.URL+"/other-unit?key=3", "")
	flaky := addChannel(t, c.Store, jcg, "dingtalk", rb.URL+"/flaky?access_token=4", "")
	id := enqueue(t, c.Store, store.Notification{Key: "m", UnitID: jcg, Kind: "letter", Title: "【督办函】报送3月份进展", Body: "请于3日内办结。"})
	d := &notify.Dispatcher{Store: c.Store, Sender: &counting{}, Log: quietLog(), Backoff: func(int) time.Duration { return 0 },
		Channels: &notify.RobotSender{AllowPrivate: true}}
	if n := drainOnce(t, d); n != 0 {
		t.Fatalf("sent %d with a failing channel", n)
	}
	disableChannel(t, c.Store, flaky)
	if n := drainOnce(t, d); n != 1 {
		t.Fatalf("sent %d once the failing channel was disabled; want 1", n)
	}
	for path, want := range map[string]int{"/on": 1, "/off": 0, "/other-unit": 0, "/flaky": 1} {
		if got := len(rb.got(path)); got != want {
			t.Errorf("%s got %d requests; want %d", path, got, want)
		}
	}
	if r := outboxRowOf(t, c.Store, id); r.Status != "sent" || r.Attempts != 2 {
		t.Fatalf("outbox row %+v; want sent after 2 attempts", r)
	}
}

// What counts as a robot's failure: a non-zero errcode, an answer without
// one, a non-2xx status even with errcode 0, a redirect (not followed), a
// robot on a private address unless allowed. No error shows the token.
func TestRobotAnswers(t *testing.T) {
	rb := newRobots(t, func(path string, _ int, w http.ResponseWriter, r *http.Request) bool {
		switch path {
		case "/errcode":
			_, _ = io.WriteString(w, `{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}`)
		case "/not-json":
			_, _ = io.WriteString(w, `ok`)
		case "/no-errcode":
			_, _ = io.WriteString(w, `{"errmsg":"ok"}`)
		case "/500":
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
		case "/redirect":
			http.Redirect(w, r, "/ok?key=elsewhere", http.StatusTemporaryRedirect)
		default:
			return false
		}
		return true
	})
	tests := []struct {
		path, kind   string
		allowPrivate bool
		wantErr      string // "" = delivered
	}{
		{"/ok", "dingtalk", true, ""},
		{"/ok", "wecom", true, ""},
		{"/errcode", "dingtalk", true, "errcode 130101: send too fast"},
		{"/not-json", "wecom", true, "200 OK without an errcode"},
		{"/no-errcode", "wecom", true, "200 OK without an errcode"},
		{"/500", "dingtalk", true, "answered 500 Internal Server Error"},
		{"/redirect", "wecom", true, "answered 307 Temporary Redirect; redirects are not followed"},
		{"/ok", "wecom", false, "webhook address not allowed"},
		{"/ok", "feishu", true, `unknown channel kind "feishu"`},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %s private=%v", tt.kind, tt.path, tt.allowPrivate), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			before := len(rb.got("/ok"))
			s := &notify.RobotSender{AllowPrivate: tt.allowPrivate}
			ch := store.Channel{ID: 7, Kind: tt.kind, URL: rb.URL + tt.path + "?access_token=" + tokenA, Secret: testSecret}
			err := s.SendChannel(ctx, ch, notify.Message{ID: 1, Title: "【提醒】", Body: "x"})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("error %v; want delivery", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), tt.kind+" channel 7 (127.0.0.1:") {
				t.Fatalf("error %v; want one naming the channel and %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), tokenA) || strings.Contains(err.Error(), testSecret) {
				t.Fatalf("the error shows the token or the secret: %v", err)
			}
			if tt.wantErr == "webhook address not allowed" && !errors.Is(err, notify.ErrForbiddenAddress) {
				t.Fatalf("error %v; want ErrForbiddenAddress", err)
			}
			if got := len(rb.got("/ok")) - before; got != 0 {
				t.Fatalf("%d requests reached /ok; want none", got)
			}
		})
	}
}

// A dispatcher stopped while a robot holds a message records what was
// delivered and hands the message back with no attempt counted; the next
// drain sends it only to the targets that did not have it.
func TestStoppingKeepsDeliveries(t *testing.T) {
	testCtx, cancelTest := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancelTest()
	c := testdb.NewCounty(t)
	jcg := c.Units["jcg"]
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	defer close(release)
	rb := newRobots(t, func(path string, n int, w http.ResponseWriter, r *http.Request) bool {
		if path != "/slow" || n > 1 {
			return false
		}
		entered <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-release:
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	})
	addChannel(t, c.Store, jcg, "wecom", rb.URL+"/fast?key=1", "")
	addChannel(t, c.Store, jcg, "wecom", rb.URL+"/slow?key=2", "")
	id := enqueue(t, c.Store, store.Notification{Key: "m", UnitID: jcg, Kind: "remind", Title: "【提醒】", Body: "x"})
	main := &counting{}
	d := &notify.Dispatcher{Store: c.Store, Sender: main, Log: quietLog(), Channels: &notify.RobotSender{AllowPrivate: true}}

	ctx, stop := context.WithCancel(testCtx)
	defer stop()
	done := make(chan drained, 1)
	go func() {
		n, err := d.Drain(ctx)
		done <- drained{n, err}
	}()
	select {
	case <-entered:
	case <-testCtx.Done():
		t.Fatal("the slow robot was never called")
	}
	stop()
	if r := wait(testCtx, t, done); r.n != 0 || !errors.Is(r.err, context.Canceled) {
		t.Fatalf("stopped Drain: %d sent, %v; want 0 and context.Canceled", r.n, r.err)
	}
	if r := outboxRowOf(t, c.Store, id); r.Status != "pending" || r.Attempts != 0 || !r.Due {
		t.Fatalf("outbox row %+v after the stop; want pending, due, no attempt", r)
	}
	if n := drainOnce(t, d); n != 1 {
		t.Fatalf("next drain sent %d; want 1", n)
	}
	if main.count(id) != 1 || len(rb.got("/fast")) != 1 || len(rb.got("/slow")) != 2 {
		t.Fatalf("sends: main %d, fast %d, slow %d; want 1, 1, 2", main.count(id), len(rb.got("/fast")), len(rb.got("/slow")))
	}
}

// The markdown: the link's id is escaped; text cannot make links, headings or
// tags; a long body is cut so the whole stays within WeCom's 4096 bytes and
// the link survives; no link without a task or a link base.
func TestRobotMarkdown(t *testing.T) {
	id := "plan task/7 (a)"
	if got := notify.TaskLink("https://z.example/base/", id); got != "https://z.example/base/tasks/plan%20task%2F7%20%28a%29" {
		t.Fatalf("TaskLink = %q", got)
	}
	m := notify.Message{Title: "# 【提醒】\n标题", Body: "> 引用\n# 标题\n<@all> `code`\x07", UnitName: "九成宫镇", TaskID: &id}
	title, text := notify.RobotMarkdown(m, "https://z.example")
	if title != "＃ 【提醒】 标题" {
		t.Errorf("title %q", title)
	}
	if want := "#### ＃ 【提醒】 标题\n\n＞ 引用\n\n＃ 标题\n\n＜@all＞ ｀code｀\n\n单位：九成宫镇\n\n[查看任务](https://z.example/tasks/plan%20task%2F7%20%28a%29)"; text != want {
		t.Errorf("text\n got %q\nwant %q", text, want)
	}
	m.Body = strings.Repeat("很长的正文。", 2000)
	_, text = notify.RobotMarkdown(m, "https://z.example")
	if len(text) > 4096 || !utf8.ValidString(text) || !strings.HasSuffix(text, "…\n\n单位：九成宫镇\n\n[查看任务](https://z.example/tasks/plan%20task%2F7%20%28a%29)") {
		t.Errorf("long body: %d bytes, valid %v, ends %q", len(text), utf8.ValidString(text), text[max(len(text)-120, 0):])
	}
	for _, base := range []string{"", "https://z.example"} {
		m := notify.Message{Title: "【通报】", Body: "x"}
		if base == "" {
			m.TaskID = &id
		}
		if _, text := notify.RobotMarkdown(m, base); strings.Contains(text, "查看任务") {
			t.Errorf("link without a task or a link base: %q", text)
		}
	}
}
