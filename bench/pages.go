package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
	"golang.org/x/crypto/bcrypt"

	"github.com/zeren-county/zeren/api"
	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/web"
)

// benchPages measures the server's time per page for a signed-in person —
// the inbox with 50 rows and its counts, and the demo campaign's dashboard
// with a year of reports, deductions and notices — and the bytes the first
// visit of the inbox transfers (page, stylesheet, scripts; gzip as a browser
// asks for it).
func benchPages(ctx context.Context) error {
	s, err := openStore(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	people, err := seed.Load(ctx, s)
	if err != nil {
		return err
	}
	ids := map[string]int64{}
	for _, p := range people {
		ids[p.Key] = p.ID
	}
	camp := seed.DemoCampaignID
	// A year of the demo campaign: every unit's 12 reports (one in nine late,
	// one in twenty missing), a deduction per late report, a notice a month;
	// and 80 open tasks of 九成宫镇 so its inbox fills a page of 50.
	for _, q := range []string{
		`INSERT INTO reports (id, campaign_id, unit_id, period, status, due_at, late_seconds, created_at, updated_at)
		 SELECT 'r-' || u.id || '-' || m, $1, u.id, '2021-' || lpad(m::text, 2, '0'),
		        CASE WHEN (u.id + m) % 20 = 0 THEN 'due' ELSE 'accepted' END,
		        make_timestamptz(2021, m, 5, 18, 0, 0, 'Asia/Shanghai'),
		        CASE WHEN (u.id * m) % 9 = 0 THEN 86400 ELSE 0 END, now(), now()
		 FROM campaign_participants p JOIN units u ON u.id = p.unit_id, generate_series(1, 12) m
		 WHERE p.campaign_id = $1 AND (u.id + m) % 20 <> 1 ON CONFLICT DO NOTHING`,
		`INSERT INTO score_ledger (key, campaign_id, year, unit_id, points, reason, process, rung)
		 SELECT 'bench-' || id, campaign_id, 2021, unit_id, -1, '月报逾期', 'report/' || id, 2 FROM reports
		 WHERE campaign_id = $1 AND late_seconds > 0 ON CONFLICT DO NOTHING`,
		`INSERT INTO notices (key, issuer_unit_id, unit_ids, reason, subject_type, subject_id, created_at)
		 SELECT 'bench-' || m, (SELECT id FROM units WHERE code = 'yjj'), ARRAY[(SELECT id FROM units WHERE code = 'cm')],
		        '崔木镇2021年' || m || '月月报逾期', 'report', 'r-' || m, now() FROM generate_series(1, 12) m WHERE $1 <> ''
		 ON CONFLICT DO NOTHING`,
		`INSERT INTO tasks (id, workflow_id, kind, title, subject_type, subject_id, campaign_id, unit_id, role, status, due_at, created_at)
		 SELECT 'bench.' || g, 'bench/' || g, 'assignment.complete', '排查整治第' || g || '项隐患', 'assignment', g::text, NULL,
		        (SELECT id FROM units WHERE code = 'jcg'), 'unit_head', 'open', now() + (g - 20) * interval '1 day', now()
		 FROM generate_series(1, 80) g WHERE $1 <> '' ON CONFLICT DO NOTHING`,
	} {
		if _, err := s.DB.ExecContext(ctx, q, camp); err != nil {
			return fmt.Errorf("bench data: %w", err)
		}
	}
	for key, user := range map[string]string{"jcg-head": "jcg.head", "linyou-secretary": "linyou.secretary"} {
		h, err := bcrypt.GenerateFromPassword([]byte(user+"-bench-pw"), bcrypt.DefaultCost)
		if err != nil {
			return err
		}
		if err := store.UpsertAccount(ctx, s.DB, ids[key], user, string(h)); err != nil {
			return err
		}
	}

	gin.SetMode(gin.ReleaseMode)
	tc, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	if err != nil {
		return err
	}
	defer tc.Close()
	reg := prometheus.NewRegistry()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("BENCH_LOG") != "" {
		quiet = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	r := api.New(api.Deps{Store: s, Temporal: tc, Registry: reg, Gatherer: reg, Log: quiet})
	if _, err := web.Mount(r, web.Deps{Store: s, Log: quiet}); err != nil {
		return err
	}
	srv := httptest.NewServer(r)
	defer srv.Close()

	head, err := signIn(srv.URL, "jcg.head")
	if err != nil {
		return err
	}
	leader, err := signIn(srv.URL, "linyou.secretary")
	if err != nil {
		return err
	}
	const n = 500
	stop, err := profileCPU()
	if err != nil {
		return err
	}
	defer stop()
	for _, p := range []struct {
		name, path string
		who        *http.Client
		want       string
	}{
		{"GET /inbox (50 rows, counts, notifications)", "/inbox", head, `class="tasks"`},
		{"GET /campaigns/" + camp + " (dashboard, leader)", "/campaigns/" + camp + "?year=2021", leader, `id="report-matrix"`},
	} {
		var took []time.Duration
		for i := range n + 20 {
			t0 := time.Now()
			body, code, err := fetch(p.who, srv.URL+p.path, false)
			d := time.Since(t0)
			if err != nil || code != 200 || !strings.Contains(string(body), p.want) {
				return fmt.Errorf("%s: %d %v", p.path, code, err)
			}
			if i >= 20 { // warm-up: template and connection caches
				took = append(took, d)
			}
		}
		report(p.name, took)
	}

	// The first visit of the inbox: the page and every asset it names, gzip.
	page, _, err := fetch(head, srv.URL+"/inbox", true)
	if err != nil {
		return err
	}
	total := len(page)
	for _, m := range regexp.MustCompile(`(?:href|src)="(/static/[^"]+)"`).FindAllStringSubmatch(string(page), -1) {
		b, code, err := fetch(head, srv.URL+m[1], true)
		if err != nil || code != 200 {
			return fmt.Errorf("%s: %d %v", m[1], code, err)
		}
		total += len(b)
		fmt.Printf("  %-48s %7d bytes\n", m[1], len(b))
	}
	fmt.Printf("%-40s %d bytes (gzip as sent)\n", "first visit of /inbox", total)
	return nil
}

// signIn signs in with the bench's password and answers a client with the session.
func signIn(base, username string) (*http.Client, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	body, _, err := fetch(c, base+"/login", false)
	if err != nil {
		return nil, err
	}
	m := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindSubmatch(body)
	if m == nil {
		return nil, fmt.Errorf("no sign-in form")
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/login", strings.NewReader(url.Values{"_csrf": {string(m[1])}, "username": {username}, "password": {username + "-bench-pw"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("sign-in as %s: %d", username, res.StatusCode)
	}
	return c, nil
}

// fetch answers a body as it crossed the wire: compressed when gz asks for gzip.
func fetch(c *http.Client, u string, gz bool) ([]byte, int, error) {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if gz {
		req.Header.Set("Accept-Encoding", "gzip") // set by hand: the transport then leaves the body compressed
	}
	res, err := c.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return b, res.StatusCode, err
}
