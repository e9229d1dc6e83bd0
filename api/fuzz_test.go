package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"

	"github.com/zeren-county/zeren/api"
	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

// FuzzCompletePayload posts arbitrary bodies to a real task's complete route:
// the client's mistakes are 4xx problems; only a valid payload may reach
// Temporal (down here, so 503); never a 500.
func FuzzCompletePayload(f *testing.F) {
	gin.SetMode(gin.TestMode)
	ctx := context.Background()
	county := testdb.NewCounty(f)
	s := county.Store
	if _, err := store.InsertTask(ctx, s.DB, store.Task{ID: "assignment.1.complete.1", WorkflowID: "assignment/1", Kind: "assignment.complete",
		Title: "排查", SubjectType: "assignment", SubjectID: "1", UnitID: county.Units["jcg"], Role: "unit_head", DueAt: time.Now().Add(time.Hour), CreatedAt: time.Now()}); err != nil {
		f.Fatal(err)
	}
	tok := county.Tokens["jcg-head"]
	h := unreachableTemporal(f, s)

	for _, seedBody := range []string{`{"result":"已完成"}`, `{"result":""}`, `{"result":1}`, `{"decision":"approve"}`, `{`, `[]`, ``, `{"":0}`, `{"attachments":[{}]}`} {
		f.Add([]byte(seedBody), "application/json")
	}
	f.Add([]byte(`result=1`), "application/x-www-form-urlencoded")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		req := httptest.NewRequest("POST", "/api/v1/tasks/assignment.1.complete.1/complete", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", contentType)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		_, decodeErr := domain.DecodeCompletion(domain.KindAssignmentComplete, body)
		switch {
		case rec.Code == 503 && decodeErr == nil:
			// a valid payload reached Temporal, which is down
		case rec.Code >= 500:
			t.Fatalf("status %d for body %q (%s): %s", rec.Code, body, contentType, rec.Body)
		case rec.Code == 200:
			t.Fatalf("completed without Temporal: %s", rec.Body)
		default:
			var p api.Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Type == "" || rec.Header().Get("Content-Type") != api.ProblemContentType {
				t.Fatalf("status %d is not a problem document: %s", rec.Code, rec.Body)
			}
		}
	})
}

// unreachableTemporal serves the API over s with Temporal out of reach (a
// lazy client to a port nobody listens on) and a short Update timeout: a
// request that gets as far as Temporal answers 503.
func unreachableTemporal(f *testing.F, s *store.Store) *gin.Engine {
	tc, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(tc.Close)
	reg := prometheus.NewRegistry()
	return api.New(api.Deps{Store: s, Temporal: tc, TaskQueue: "zeren", Registry: reg, Gatherer: reg,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), UpdateTimeout: 50 * time.Millisecond})
}
