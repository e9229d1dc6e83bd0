// Package apitest holds the API's responses to its contract in tests: every
// response a test receives is validated against api/openapi.yaml.
package apitest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/zeren-county/zeren/api"
)

var (
	docOnce   sync.Once
	docRouter routers.Router
	docErr    error
)

// contractRouter is api/openapi.yaml, loaded and checked once.
func contractRouter() (routers.Router, error) {
	docOnce.Do(func() {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(api.OpenAPI())
		if err != nil {
			docErr = err
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			docErr = err
			return
		}
		doc.Servers = nil // match any host
		docRouter, docErr = gorillamux.NewRouter(doc)
	})
	return docRouter, docErr
}

// Conforming serves h and holds every response to api/openapi.yaml: its
// status, content type and body must be what the document says the route
// answers, or the test fails.
func Conforming(t testing.TB, h http.Handler) http.Handler {
	router, err := contractRouter()
	if err != nil {
		t.Fatalf("api/openapi.yaml: %v", err)
	}
	var mu sync.Mutex
	done := false
	t.Cleanup(func() { mu.Lock(); done = true; mu.Unlock() })
	report := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if !done { // a request that outlives its test has no test to fail
			t.Errorf(format, args...)
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())

		route, params, err := router.FindRoute(r)
		if ct := rec.Header().Get("Content-Type"); err != nil || !strings.Contains(ct, "json") {
			// A route the document does not have (the route test holds the two sets
			// equal), or a page or document that is not JSON.
			return
		}
		in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true}}
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: rec.Code, Header: rec.Header(),
			Body: io.NopCloser(bytes.NewReader(rec.Body.Bytes())), Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
		if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
			report("%s %s answered %d, not as api/openapi.yaml says: %v\nbody: %.500s", r.Method, r.URL.Path, rec.Code, err, rec.Body)
		}
	})
}
