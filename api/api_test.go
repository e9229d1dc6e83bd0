package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
	"gopkg.in/yaml.v3"

	"github.com/zeren-county/zeren/api"
	"github.com/zeren-county/zeren/api/apitest"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

type fixture struct {
	h      http.Handler
	router *gin.Engine
	logs   *bytes.Buffer
	db     *sqlx.DB
	store  *store.Store
	tokens map[string]string // person key → token
}

// newFixture serves the API over a real seeded database; Temporal is a lazy
// client to a port nobody listens on, so readiness must report it.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	gin.SetMode(gin.TestMode)
	county := testdb.NewCounty(t)
	s := county.Store
	f := &fixture{logs: &bytes.Buffer{}, tokens: county.Tokens, db: s.DB, store: s}
	tc, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tc.Close)
	reg := prometheus.NewRegistry()
	f.router = api.New(api.Deps{Store: s, Temporal: tc, TaskQueue: "zeren", Registry: reg, Gatherer: reg,
		Log: slog.New(slog.NewJSONHandler(f.logs, nil))})
	f.h = apitest.Conforming(t, f.router)
	return f
}

func (f *fixture) do(t *testing.T, method, path, person string, body io.Reader) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, body)
	if person != "" {
		req.Header.Set("Authorization", "Bearer "+f.tokens[person])
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec
}

func decodeProblem(t *testing.T, rec *httptest.ResponseRecorder) api.Problem {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != api.ProblemContentType {
		t.Fatalf("content type %q, want %q (body %s)", ct, api.ProblemContentType, rec.Body)
	}
	var p api.Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if p.Status != rec.Code || p.Type == "" || p.Title == "" || p.Instance == "" {
		t.Fatalf("problem %+v for status %d", p, rec.Code)
	}
	return p
}

func TestRoutesMatchTheOpenAPIDocument(t *testing.T) {
	f := newFixture(t)
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(api.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	var documented, served []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+openAPIToGin(path))
		}
	}
	for _, r := range f.router.Routes() {
		served = append(served, r.Method+" "+r.Path)
	}
	sort.Strings(documented)
	sort.Strings(served)
	if strings.Join(documented, "\n") != strings.Join(served, "\n") {
		t.Fatalf("router and api/openapi.yaml differ\nserved:\n%s\ndocumented:\n%s", strings.Join(served, "\n"), strings.Join(documented, "\n"))
	}
	rec := f.do(t, "GET", "/api/openapi.yaml", "", nil)
	if rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), api.OpenAPI()) {
		t.Fatalf("GET /api/openapi.yaml: %d", rec.Code)
	}
}

// TestDocumentNamesEveryTaskKind holds the document to the domain's kinds:
// the inbox filter lists every kind and the completion describes the payload
// of every kind, so a new kind cannot be served undocumented.
func TestDocumentNamesEveryTaskKind(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			Description string `yaml:"description"`
			Parameters  []struct {
				Name   string `yaml:"name"`
				Schema struct {
					Enum []string `yaml:"enum"`
				} `yaml:"schema"`
			} `yaml:"parameters"`
		} `yaml:"paths"`
	}
	if err := yaml.Unmarshal(api.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	var filter []string
	for _, p := range doc.Paths["/api/v1/inbox"]["get"].Parameters {
		if p.Name == "kind" {
			filter = p.Schema.Enum
		}
	}
	completion := doc.Paths["/api/v1/tasks/{id}/complete"]["post"].Description
	var kinds []string
	for _, k := range domain.TaskKinds {
		kinds = append(kinds, string(k))
		if !strings.Contains(completion, string(k)) {
			t.Errorf("completeTask's description does not give the payload of %s", k)
		}
	}
	sort.Strings(kinds)
	sort.Strings(filter)
	if strings.Join(kinds, " ") != strings.Join(filter, " ") {
		t.Errorf("the Inbox's kind filter lists %v; the domain has %v", filter, kinds)
	}
}

// openAPIToGin turns /tasks/{id} into /tasks/:id.
func openAPIToGin(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			parts[i] = ":" + s[1:len(s)-1]
		}
	}
	return strings.Join(parts, "/")
}

func TestAuthentication(t *testing.T) {
	f := newFixture(t)
	f.tokens["nobody"] = "zrn_not-a-real-token"
	tests := []struct {
		name, person, header string
		want                 int
	}{
		{"no token", "", "", 401},
		{"unknown token", "nobody", "", 401},
		{"wrong scheme", "", "Basic dXNlcjpwYXNz", 401},
		{"valid token", "yjj-head", "", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/api/v1/me", nil)
			if tt.person != "" {
				req.Header.Set("Authorization", "Bearer "+f.tokens[tt.person])
			}
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			rec := httptest.NewRecorder()
			f.h.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
			if tt.want == 401 {
				p := decodeProblem(t, rec)
				if p.Type != api.TypeUnauthorized || rec.Header().Get("WWW-Authenticate") == "" {
					t.Fatalf("problem %+v, WWW-Authenticate %q", p, rec.Header().Get("WWW-Authenticate"))
				}
			}
		})
	}
}

func TestMeAndUnits(t *testing.T) {
	f := newFixture(t)
	rec := f.do(t, "GET", "/api/v1/me", "yjj-office", nil)
	var me struct {
		Key    string `json:"key"`
		Grants []struct {
			Role     string `json:"role"`
			UnitCode string `json:"unit_code"`
		} `json:"grants"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &me); err != nil {
		t.Fatal(err)
	}
	if me.Key != "yjj-office" || len(me.Grants) != 1 || me.Grants[0].Role != "safety_office" || me.Grants[0].UnitCode != "yjj" {
		t.Fatalf("me: %s", rec.Body)
	}

	rec = f.do(t, "GET", "/api/v1/units", "gjh-head", nil)
	if rec.Code != 200 {
		t.Fatalf("units: %d %s", rec.Code, rec.Body)
	}
	type node struct {
		Code       string                 `json:"code"`
		Kind       string                 `json:"kind"`
		Head       *struct{ Name string } `json:"head"`
		Supervises []string               `json:"supervises"`
		Members    []string               `json:"members"`
		Children   []node                 `json:"children"`
	}
	var tree struct{ Units []node }
	if err := json.Unmarshal(rec.Body.Bytes(), &tree); err != nil {
		t.Fatal(err)
	}
	if len(tree.Units) != 1 || tree.Units[0].Code != "linyou" {
		t.Fatalf("roots: %+v", tree.Units)
	}
	byCode := map[string]node{}
	count := map[string]int{}
	var walk func(n node)
	walk = func(n node) {
		byCode[n.Code] = n
		count[n.Kind]++
		if n.Head == nil {
			t.Errorf("unit %s has no head", n.Code)
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(tree.Units[0])
	if count["town"] != 7 || count["department"] != 14 || count["enterprise"] != 4 || count["committee"] != 15 {
		t.Fatalf("kinds in tree: %v", count)
	}
	if got := byCode["yjj"].Supervises; len(got) != 4 {
		t.Fatalf("yjj supervises %v", got)
	}
	if got := byCode["c-coal"].Members; len(got) != 3 || got[0] != "yjj" {
		t.Fatalf("c-coal members %v, want lead yjj first of 3", got)
	}
	mines := 0
	for _, c := range byCode["yjj"].Children {
		if c.Kind == "enterprise" {
			mines++
		}
	}
	if mines != 4 {
		t.Fatalf("the mines should sit under yjj: %+v", byCode["yjj"].Children)
	}
}

func TestSystemCheckNeedsAdmin(t *testing.T) {
	f := newFixture(t)
	rec := f.do(t, "POST", "/api/v1/system/check", "yjj-head", nil)
	if rec.Code != 403 || decodeProblem(t, rec).Type != api.TypeForbidden {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
}

func TestErrorsAreProblems(t *testing.T) {
	f := newFixture(t)
	big := strings.NewReader(strings.Repeat("x", api.MaxBody+1))
	tests := []struct {
		name, method, path string
		body               io.Reader
		want               int
		typ                string
	}{
		{"unknown route", "GET", "/api/v1/nothing", nil, 404, api.TypeNotFound},
		{"wrong method", "DELETE", "/healthz", nil, 405, api.TypeMethod},
		{"body over 1 MiB", "POST", "/api/v1/system/check", big, 413, api.TypeTooLarge},
		{"temporal down", "GET", "/readyz", nil, 503, api.TypeUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.do(t, tt.method, tt.path, "linyou-admin", tt.body)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
			if p := decodeProblem(t, rec); p.Type != tt.typ {
				t.Fatalf("type %q, want %q", p.Type, tt.typ)
			}
		})
	}
	rec := f.do(t, "GET", "/readyz", "", nil)
	p := decodeProblem(t, rec)
	if p.Checks["postgres"] != "ok" || p.Checks["temporal"] != "unreachable" {
		t.Fatalf("checks %v", p.Checks)
	}
}

func TestLogsNeverHoldTokens(t *testing.T) {
	f := newFixture(t)
	req := httptest.NewRequest("GET", "/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+f.tokens["yjj-head"])
	req.Header.Set("X-Request-Id", "req-123")
	f.h.ServeHTTP(httptest.NewRecorder(), req)
	f.do(t, "GET", "/api/v1/me", "", nil)
	logs := f.logs.String()
	if strings.Contains(logs, f.tokens["yjj-head"]) || strings.Contains(logs, "zrn_") {
		t.Fatalf("a token reached the log: %s", logs)
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(strings.SplitN(logs, "\n", 2)[0]), &line); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"method", "path", "status", "latency_ms", "request_id"} {
		if _, ok := line[k]; !ok {
			t.Errorf("log line lacks %s: %v", k, line)
		}
	}
	if line["request_id"] != "req-123" || line["person"] != "yjj-head" {
		t.Fatalf("log line %v", line)
	}
}
