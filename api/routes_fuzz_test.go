package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/zeren-county/zeren/api"
	"github.com/zeren-county/zeren/internal/testdb"
)

// queryNames are the query parameters the API reads.
var queryNames = []string{"period", "year", "unit", "status", "overdue", "kind", "campaign", "due_before", "due_after", "limit", "cursor"}

// callers are one person of each kind, and nobody.
var callers = []string{"jcg-head", "linyou-secretary", "yjj-office", "linyou-admin", "cmm-head", ""}

// FuzzRoutes sends arbitrary path ids, query values and bodies to every route,
// as every kind of caller: a client's mistake is a 4xx problem document; only
// Temporal out of reach (it is, here) may answer 503; never a 500. `make test`
// runs the seed corpus below, which holds the inputs that once made a 500.
func FuzzRoutes(f *testing.F) {
	gin.SetMode(gin.TestMode)
	county := testdb.NewCounty(f)
	s, tokens := county.Store, county.Tokens
	router := unreachableTemporal(f, s)
	routes := router.Routes()
	slices.SortFunc(routes, func(a, b gin.RouteInfo) int { return strings.Compare(a.Method+a.Path, b.Method+b.Path) })

	nulBody := `{"title":"\u0000","content":"\u0000","reason":"\u0000","name":"\u0000","body":"\u0000","units":["\u0000"],"unit":"\u0000",` +
		`"result":"\u0000","id":"\u0000","period":"\u0000","kind":"\u0000","assignee_unit":"jcg","due_at":"2030-01-01T00:00:00Z","year":2021}`
	cases := []struct {
		path, query, value, body string
	}{
		{"1", "", "", `{}`},
		{"\x00", "", "", ""},
		{"\xff\xfe", "", "", ""},
		{"' OR 1=1 --", "period", "' OR 1=1 --", ""},
		{"linyou-2020", "period", "\x00", nulBody},
		{"linyou-2020", "unit", "\xff\xfe", "{\"reason\":\"\xff\xfe\",\"units\":[\"\xff\"]}"},
		{"linyou-2020", "year", "99999999999999999999", `{"year":"x","due_at":1,"period":[],"units":"jcg"}`},
		{strings.Repeat("长", 300), "due_before", "tomorrow", `[1,2,3]`},
		{"jcg", "limit", "-1", `{"policy":{"report":{"deadline_hour":-2000,"ladder":[{"offset":"soon","action":"deduct","points":1e300}]}}}`},
		{"2021", "cursor", "\x00", "{\"content\":\"\x00\"}"},
	}
	for r := range routes {
		for c, tc := range cases {
			f.Add(uint8(r), uint8(c%len(callers)), tc.path, uint8(slices.Index(queryNames, tc.query)+1), tc.value, []byte(tc.body))
		}
		// Every caller once with a NUL id.
		for p := range callers {
			f.Add(uint8(r), uint8(p), "\x00", uint8(0), "", []byte(nulBody))
		}
	}
	f.Fuzz(func(t *testing.T, route, who uint8, pathValue string, query uint8, value string, body []byte) {
		rt := routes[int(route)%len(routes)]
		parts := strings.Split(rt.Path, "/")
		for i, p := range parts {
			if strings.HasPrefix(p, ":") {
				parts[i] = url.PathEscape(pathValue)
			}
		}
		target := strings.Join(parts, "/")
		if q := int(query) % (len(queryNames) + 1); q > 0 {
			target += "?" + url.Values{queryNames[q-1]: {value}}.Encode()
		}
		rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		req := httptest.NewRequest(rt.Method, "http://zeren"+target, bytes.NewReader(body)).WithContext(rctx)
		req.Header.Set("Content-Type", "application/json")
		if person := callers[int(who)%len(callers)]; person != "" {
			req.Header.Set("Authorization", "Bearer "+tokens[person])
		}
		rec := httptest.NewRecorder()
		router.ServeHTTP(rec, req)
		if rec.Code < 400 {
			return
		}
		var p api.Problem
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || rec.Header().Get("Content-Type") != api.ProblemContentType {
			t.Fatalf("%s %s: %d is not a problem document: %s", rt.Method, target, rec.Code, rec.Body)
		}
		switch {
		case rec.Code == 503 && p.Type == api.TypeUnavailable && rec.Header().Get("Retry-After") != "":
			// Temporal is out of reach here: a request that got that far was valid.
		case rec.Code >= 500:
			t.Fatalf("%s %s as %q, body %q: %d %s", rt.Method, target, callers[int(who)%len(callers)], body, rec.Code, rec.Body)
		}
	})
}
