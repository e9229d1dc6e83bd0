package notify_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zeren-county/zeren/internal/notify"
)

// counter is a webhook that answers 204 and counts its requests.
func counter(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// A webhook on a loopback address, by IP or by a name that resolves to it, is
// refused unless private addresses are allowed.
func TestWebhookRefusesPrivateAddresses(t *testing.T) {
	srv, hits := counter(t)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	port := u.Port()
	tests := []struct {
		name         string
		host         string
		allowPrivate bool
		wantRefused  bool
	}{
		{name: "loopback IP refused", host: "127.0.0.1", wantRefused: true},
		{name: "name resolving to loopback refused", host: "localhost", wantRefused: true},
		{name: "loopback IP allowed", host: "127.0.0.1", allowPrivate: true},
		{name: "name resolving to loopback allowed", host: "localhost", allowPrivate: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			before := hits.Load()
			s := notify.WebhookSender{URL: "http://" + net.JoinHostPort(tt.host, port) + "/hook", AllowPrivate: tt.allowPrivate}
			err := s.Send(ctx, notify.Message{ID: 1, Title: "【提醒】"})
			got := hits.Load() - before
			if tt.wantRefused {
				if !errors.Is(err, notify.ErrForbiddenAddress) || got != 0 {
					t.Fatalf("error %v, %d requests; want ErrForbiddenAddress and none", err, got)
				}
				return
			}
			if err != nil || got != 1 {
				t.Fatalf("error %v, %d requests; want delivery", err, got)
			}
		})
	}
}

// A webhook that redirects, or is refused, is a failed attempt: the message
// stays pending with the error and is retried after the backoff, and the
// redirect's target sees nothing.
func TestWebhookFailuresAreRetried(t *testing.T) {
	target, targetHits := counter(t)
	redirect := func(code int) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.URL+"/elsewhere", code)
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	tests := []struct {
		name    string
		sender  notify.WebhookSender
		wantErr string
	}{
		{name: "302", sender: notify.WebhookSender{URL: redirect(http.StatusFound), AllowPrivate: true}, wantErr: "302 Found"},
		{name: "301", sender: notify.WebhookSender{URL: redirect(http.StatusMovedPermanently), AllowPrivate: true}, wantErr: "301 Moved Permanently"},
		{name: "307 keeps the POST", sender: notify.WebhookSender{URL: redirect(http.StatusTemporaryRedirect), AllowPrivate: true}, wantErr: "307 Temporary Redirect"},
		{name: "308 to a host name", sender: notify.WebhookSender{URL: strings.Replace(redirect(http.StatusPermanentRedirect), "127.0.0.1", "localhost", 1), AllowPrivate: true}, wantErr: "308 Permanent Redirect"},
		{name: "302 with a caller's client", sender: notify.WebhookSender{URL: redirect(http.StatusFound), Client: &http.Client{}}, wantErr: "302 Found"},
		{name: "private address refused", sender: notify.WebhookSender{URL: target.URL}, wantErr: "webhook address not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			s, _ := outboxWith(t, 1)
			d := &notify.Dispatcher{Store: s, Sender: tt.sender, Log: quietLog()}
			before := targetHits.Load()
			if n, err := d.Drain(ctx); err != nil || n != 0 {
				t.Fatalf("Drain: %d sent, %v; want none sent", n, err)
			}
			if got := targetHits.Load() - before; got != 0 {
				t.Fatalf("the redirect's target got %d requests", got)
			}
			r := outboxRows(t, s)[0]
			if r.Status != "pending" || r.Attempts != 1 || r.LastError == nil || !strings.Contains(*r.LastError, tt.wantErr) || r.Due {
				t.Fatalf("outbox row %+v (last error %q); want pending after 1 attempt, %q, retried later", r, deref(r.LastError), tt.wantErr)
			}
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
