package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/zeren-county/zeren/internal/notify"
	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

// A webhook that fails twice gets the message on the third try, once; one that
// always fails leaves the message failed after MaxAttempts.
func TestWebhookRetriesWithBackoff(t *testing.T) {
	ctx := context.Background()
	s := testdb.New(t)
	if _, err := seed.Load(ctx, s); err != nil {
		t.Fatal(err)
	}
	jcg, _ := store.UnitByCode(ctx, s.DB, "jcg")
	for _, key := range []string{"m1", "m2"} {
		if _, err := store.Enqueue(ctx, s.DB, store.Notification{Key: key, UnitID: jcg.ID, Kind: "remind", Title: "【提醒】" + key, Body: "请按时办理"}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	calls := map[string]int{}
	var got []notify.Message
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m notify.Message
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &m)
		mu.Lock()
		defer mu.Unlock()
		calls[m.Title]++
		if m.Title == "【提醒】m2" || calls[m.Title] <= 2 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		got = append(got, m)
	}))
	defer srv.Close()
	d := &notify.Dispatcher{Store: s, Sender: notify.WebhookSender{URL: srv.URL}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		MaxAttempts: 4, Backoff: func(int) time.Duration { return 0 }}
	for range 6 {
		if _, err := d.Drain(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 1 || got[0].UnitCode != "jcg" || calls["【提醒】m1"] != 3 {
		t.Fatalf("delivered %+v after calls %v", got, calls)
	}
	var rows []struct {
		Key      string `db:"key"`
		Status   string `db:"status"`
		Attempts int    `db:"attempts"`
	}
	if err := s.DB.Select(&rows, `SELECT key, status, attempts FROM outbox ORDER BY key`); err != nil {
		t.Fatal(err)
	}
	if rows[0].Status != "sent" || rows[0].Attempts != 3 || rows[1].Status != "failed" || rows[1].Attempts != 4 {
		t.Fatalf("outbox %+v", rows)
	}
}

// With the real backoff, a failed message waits before its next try.
func TestBackoffDefersTheNextTry(t *testing.T) {
	ctx := context.Background()
	s := testdb.New(t)
	if _, err := seed.Load(ctx, s); err != nil {
		t.Fatal(err)
	}
	jcg, _ := store.UnitByCode(ctx, s.DB, "jcg")
	if _, err := store.Enqueue(ctx, s.DB, store.Notification{Key: "m", UnitID: jcg.ID, Kind: "notice", Title: "【通报】", Body: "x"}); err != nil {
		t.Fatal(err)
	}
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls++; w.WriteHeader(500) }))
	defer srv.Close()
	d := &notify.Dispatcher{Store: s, Sender: notify.WebhookSender{URL: srv.URL}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for range 3 {
		if _, err := d.Drain(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 1 {
		t.Fatalf("%d calls; the backoff should hold the second try back", calls)
	}
	var wait float64
	if err := s.DB.Get(&wait, `SELECT extract(epoch FROM next_attempt_at - now()) FROM outbox`); err != nil || wait < 5 {
		t.Fatalf("next attempt in %.1fs (%v)", wait, err)
	}
}
