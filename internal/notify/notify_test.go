package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	d := &notify.Dispatcher{Store: s, Sender: notify.WebhookSender{URL: srv.URL, AllowPrivate: true}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
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
	d := &notify.Dispatcher{Store: s, Sender: notify.WebhookSender{URL: srv.URL, AllowPrivate: true}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
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

// senderFunc adapts a function to notify.Sender.
type senderFunc func(ctx context.Context, m notify.Message) error

func (f senderFunc) Send(ctx context.Context, m notify.Message) error { return f(ctx, m) }

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// outboxWith seeds the demo county and queues n messages for one unit,
// returning their ids in order.
func outboxWith(t *testing.T, n int) (*store.Store, []int64) {
	t.Helper()
	ctx := context.Background()
	s := testdb.New(t)
	if _, err := seed.Load(ctx, s); err != nil {
		t.Fatal(err)
	}
	jcg, err := store.UnitByCode(ctx, s.DB, "jcg")
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		key := fmt.Sprintf("m%03d", i)
		if _, err := store.Enqueue(ctx, s.DB, store.Notification{Key: key, UnitID: jcg.ID, Kind: "remind", Title: "【提醒】" + key, Body: "请按时办理"}); err != nil {
			t.Fatal(err)
		}
	}
	var ids []int64
	if err := s.DB.Select(&ids, `SELECT id FROM outbox ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	return s, ids
}

type outboxRow struct {
	ID        int64   `db:"id"`
	Status    string  `db:"status"`
	Attempts  int     `db:"attempts"`
	LastError *string `db:"last_error"`
	Due       bool    `db:"due"`
}

func outboxRows(t *testing.T, s *store.Store) []outboxRow {
	t.Helper()
	var rows []outboxRow
	if err := s.DB.Select(&rows, `SELECT id, status, attempts, last_error, next_attempt_at <= now() AS due FROM outbox ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	return rows
}

type drained struct {
	n   int
	err error
}

// wait returns what a Drain running in the background answered, or fails the
// test when ctx ends first.
func wait(ctx context.Context, t *testing.T, done <-chan drained) drained {
	t.Helper()
	select {
	case r := <-done:
		return r
	case <-ctx.Done():
		t.Fatal("Drain did not return")
		return drained{}
	}
}

// While a slow webhook holds a message, the dispatcher has no transaction
// open and no outbox row locked, and a second dispatcher leaves the messages
// the first one has claimed alone.
func TestSendingHoldsNoTransactionOrLock(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, ids := outboxWith(t, 3)
	entered := make(chan int64, len(ids))
	release := make(chan struct{})
	slow := senderFunc(func(ctx context.Context, m notify.Message) error {
		entered <- m.ID
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	d1 := &notify.Dispatcher{Store: s, Sender: slow, Log: quietLog()}
	done := make(chan drained, 1)
	go func() {
		n, err := d1.Drain(ctx)
		done <- drained{n, err}
	}()
	released := false
	defer func() {
		if !released {
			close(release)
		}
	}()
	select {
	case id := <-entered:
		if id != ids[0] {
			t.Fatalf("first message sent is %d; want the oldest, %d", id, ids[0])
		}
	case <-ctx.Done():
		t.Fatal("the sender was never called")
	}

	// Another connection can lock every row, the one being sent included, at once.
	tx, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var locked []int64
	err = tx.SelectContext(ctx, &locked, `SELECT id FROM outbox ORDER BY id FOR UPDATE NOWAIT`)
	_ = tx.Rollback()
	if err != nil || len(locked) != len(ids) {
		t.Fatalf("locking the outbox while a message is being sent: %d rows, %v", len(locked), err)
	}
	if _, err := s.DB.ExecContext(ctx, `UPDATE outbox SET body = body`); err != nil {
		t.Fatalf("updating the outbox while a message is being sent: %v", err)
	}

	// No session of this database but ours has a transaction open.
	var open []struct {
		PID   int    `db:"pid"`
		State string `db:"state"`
		Query string `db:"query"`
	}
	if err := s.DB.SelectContext(ctx, &open, `
SELECT pid, coalesce(state, '') AS state, query FROM pg_stat_activity
WHERE datname = current_database() AND backend_type = 'client backend'
	AND pid <> pg_backend_pid() AND xact_start IS NOT NULL`); err != nil {
		t.Fatal(err)
	}
	if len(open) != 0 {
		t.Fatalf("transactions open while a message is being sent: %+v", open)
	}

	// The claimed messages are leased: another dispatcher does not send them.
	d2 := &notify.Dispatcher{Store: s, Log: quietLog(), Sender: senderFunc(func(_ context.Context, m notify.Message) error {
		t.Errorf("message %d sent by a second dispatcher while leased to the first", m.ID)
		return nil
	})}
	if n, err := d2.Drain(ctx); err != nil || n != 0 {
		t.Fatalf("second dispatcher: %d sent, %v", n, err)
	}

	close(release)
	released = true
	if r := wait(ctx, t, done); r.err != nil || r.n != len(ids) {
		t.Fatalf("Drain: %d sent, %v", r.n, r.err)
	}
	for _, r := range outboxRows(t, s) {
		if r.Status != "sent" || r.Attempts != 1 {
			t.Errorf("outbox row %+v; want sent after 1 attempt", r)
		}
	}
}

// Two dispatchers draining one outbox at once send every message once, never
// the same message from both at the same time, and record every attempt; the
// messages that fail their first try are retried, once.
func TestConcurrentDispatchersSendEachMessageOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	s, ids := outboxWith(t, 120)
	var (
		mu        sync.Mutex
		inflight  = map[int64]bool{}
		calls     = map[int64]int{}
		delivered = map[int64]int{}
		overlaps  []int64
	)
	sender := senderFunc(func(_ context.Context, m notify.Message) error {
		mu.Lock()
		if inflight[m.ID] {
			overlaps = append(overlaps, m.ID)
		}
		inflight[m.ID] = true
		calls[m.ID]++
		fail := m.ID%4 == 0 && calls[m.ID] == 1
		mu.Unlock()
		time.Sleep(time.Millisecond) // give the other dispatcher a turn
		mu.Lock()
		defer mu.Unlock()
		delete(inflight, m.ID)
		if fail {
			return fmt.Errorf("message %d: try again", m.ID)
		}
		delivered[m.ID]++
		return nil
	})
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for range 2 {
		d := &notify.Dispatcher{Store: s, Sender: sender, Log: quietLog(), BatchSize: 7, MaxAttempts: 5, Backoff: func(int) time.Duration { return 0 }}
		wg.Go(func() {
			for {
				n, err := d.Drain(ctx)
				if err != nil {
					errs <- err
					return
				}
				var pending int
				if err := s.DB.GetContext(ctx, &pending, `SELECT count(*) FROM outbox WHERE status = 'pending'`); err != nil {
					errs <- err
					return
				}
				if pending == 0 {
					return
				}
				if n == 0 { // the rest is leased to the other dispatcher or failed just now
					time.Sleep(10 * time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(overlaps) != 0 {
		t.Errorf("messages sent by both dispatchers at once: %v", overlaps)
	}
	rows := outboxRows(t, s)
	if len(rows) != len(ids) {
		t.Fatalf("%d outbox rows; want %d", len(rows), len(ids))
	}
	for _, r := range rows {
		want := 1
		if r.ID%4 == 0 {
			want = 2
		}
		if r.Status != "sent" || delivered[r.ID] != 1 || calls[r.ID] != want || r.Attempts != want {
			t.Errorf("message %d: %s after %d recorded attempts, %d sends, delivered %d times; want sent after %d, delivered once",
				r.ID, r.Status, r.Attempts, calls[r.ID], delivered[r.ID], want)
		}
	}
}

// A dispatcher that hangs in Send (or dies) loses its messages when the lease
// ends: another dispatcher sends them, and the hung one's late result does
// not overwrite that.
func TestExpiredLeasePassesTheMessageOn(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, ids := outboxWith(t, 1)
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	hung := senderFunc(func(context.Context, notify.Message) error {
		entered <- struct{}{}
		<-release // ignores its context, like a process that stopped
		return nil
	})
	d1 := &notify.Dispatcher{Store: s, Sender: hung, Log: quietLog(), Lease: 5 * time.Second}
	done := make(chan drained, 1)
	go func() {
		n, err := d1.Drain(ctx)
		done <- drained{n, err}
	}()
	released := false
	defer func() {
		if !released {
			close(release)
		}
	}()
	select {
	case <-entered:
	case <-ctx.Done():
		t.Fatal("the sender was never called")
	}

	var got []int64
	d2 := &notify.Dispatcher{Store: s, Log: quietLog(), Sender: senderFunc(func(_ context.Context, m notify.Message) error {
		got = append(got, m.ID)
		return nil
	})}
	for len(got) == 0 {
		if _, err := d2.Drain(ctx); err != nil {
			t.Fatalf("second dispatcher: %v (after the lease the message should be due again)", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(got) != 1 || got[0] != ids[0] {
		t.Fatalf("second dispatcher sent %v; want [%d]", got, ids[0])
	}

	close(release)
	released = true
	if r := wait(ctx, t, done); r.err != nil {
		t.Fatalf("hung dispatcher: %v", r.err)
	}
	if rows := outboxRows(t, s); rows[0].Status != "sent" || rows[0].Attempts != 1 {
		t.Fatalf("outbox row %+v; want sent after 1 recorded attempt", rows[0])
	}
}

// A dispatcher stopped in the middle of a batch hands the messages it has not
// sent back at once, with no attempt counted, instead of leaving them leased.
func TestStoppingHandsMessagesBack(t *testing.T) {
	testCtx, cancelTest := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancelTest()
	s, ids := outboxWith(t, 3)
	ctx, stop := context.WithCancel(testCtx)
	defer stop()
	entered := make(chan struct{}, len(ids))
	blocked := senderFunc(func(ctx context.Context, _ notify.Message) error {
		entered <- struct{}{}
		<-ctx.Done()
		return ctx.Err()
	})
	d1 := &notify.Dispatcher{Store: s, Sender: blocked, Log: quietLog()}
	done := make(chan drained, 1)
	go func() {
		n, err := d1.Drain(ctx)
		done <- drained{n, err}
	}()
	select {
	case <-entered:
	case <-testCtx.Done():
		t.Fatal("the sender was never called")
	}
	stop()
	if r := wait(testCtx, t, done); r.n != 0 || !errors.Is(r.err, context.Canceled) {
		t.Fatalf("stopped Drain: %d sent, %v; want 0 and context.Canceled", r.n, r.err)
	}
	for _, r := range outboxRows(t, s) {
		if r.Status != "pending" || r.Attempts != 0 || r.LastError != nil || !r.Due {
			t.Fatalf("outbox row %+v after the stop; want pending, due, no attempt", r)
		}
	}
	d2 := &notify.Dispatcher{Store: s, Sender: senderFunc(func(context.Context, notify.Message) error { return nil }), Log: quietLog()}
	if n, err := d2.Drain(testCtx); err != nil || n != len(ids) {
		t.Fatalf("next Drain: %d sent, %v; want %d", n, err, len(ids))
	}
}
