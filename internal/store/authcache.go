package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/zeren-county/zeren/internal/domain"
)

// authChannel is the channel the triggers of migration 00017 notify when a
// token, a person, a grant or a unit changes (statement by statement).
const authChannel = "zeren_auth_changed"

// authCache keeps the people that live tokens resolved to, by token hash, so
// an API request's authentication costs no query. It is safe only while its
// listener hears every change: entries are served while the listener is
// connected and listening, every notification (a revocation, a grant, a
// rename) and every reconnect empties it, and while the connection is down
// every request reads the database. Unknown, revoked and expired tokens are
// never kept.
type authCache struct {
	listener *pq.Listener

	mu        sync.Mutex
	connected bool   // the listener's connection is up
	listening bool   // the first LISTEN was acknowledged (the listener repeats it on every reconnect)
	live      bool   // connected and listening: entries may be served and kept
	gen       uint64 // bumped by every change heard; a read begun before it keeps nothing
	people    map[[32]byte]cachedPerson
}

// cachedPerson is a token's person and when the token expires (nil: never).
type cachedPerson struct {
	person  domain.Person
	expires *time.Time
}

// authCacheSize bounds the cache: past it, it is emptied and fills again.
const authCacheSize = 100_000

// newAuthCache starts listening on url in the background; until the first
// LISTEN is acknowledged the cache serves nothing.
func newAuthCache(url string) *authCache {
	a := &authCache{people: map[[32]byte]cachedPerson{}}
	a.listener = pq.NewListener(url, time.Second, 30*time.Second, a.event)
	go a.run()
	return a
}

// event is the listener's callback for its connection's state. Whatever
// changed while no connection listened is not known, so every change of state
// empties the cache.
func (a *authCache) event(ev pq.ListenerEventType, _ error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch ev {
	case pq.ListenerEventConnected, pq.ListenerEventReconnected:
		// The listener has listened again on the new connection before it says so.
		a.connected = true
	case pq.ListenerEventDisconnected, pq.ListenerEventConnectionAttemptFailed:
		a.connected = false
	}
	a.flushLocked()
	a.live = a.connected && a.listening
}

// run listens, then empties the cache on every notification until the
// listener is closed.
func (a *authCache) run() {
	if err := a.listener.Listen(authChannel); err == nil {
		a.mu.Lock()
		a.listening = true
		a.flushLocked()
		a.live = a.connected && a.listening
		a.mu.Unlock()
	}
	for range a.listener.Notify { // nil after a reconnect: notifications may have been lost
		a.mu.Lock()
		a.flushLocked()
		a.mu.Unlock()
	}
}

func (a *authCache) flushLocked() {
	a.gen++
	clear(a.people)
}

func (a *authCache) close() error { return a.listener.Close() }

// lookup answers the person a token's hash resolved to, if kept and not expired.
func (a *authCache) lookup(hash [32]byte, now time.Time) (domain.Person, uint64, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	c, ok := a.people[hash]
	if !a.live || !ok || (c.expires != nil && !now.Before(*c.expires)) {
		return domain.Person{}, a.gen, false
	}
	return c.person, a.gen, true
}

// keep remembers what a read begun at generation gen found, unless something
// changed since it began.
func (a *authCache) keep(hash [32]byte, gen uint64, c cachedPerson) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.live || a.gen != gen {
		return
	}
	if len(a.people) >= authCacheSize {
		a.flushLocked()
		return
	}
	a.people[hash] = c
}

// Authenticate resolves a bearer token to its person with grants, or
// domain.ErrUnauthorized, as PersonByToken does; a store opened with Open
// answers a token it has resolved before from memory while its listener hears
// every change to tokens, people, grants and units (see authCache).
func (s *Store) Authenticate(ctx context.Context, token string) (domain.Person, error) {
	if s.url == "" {
		return PersonByToken(ctx, s.DB, token)
	}
	s.authOnce.Do(func() { s.auth = newAuthCache(s.url) })
	hash := [32]byte(HashToken(token))
	p, gen, ok := s.auth.lookup(hash, time.Now())
	if ok {
		return p, nil
	}
	p, expires, err := personByTokenHash(ctx, s.DB, hash[:])
	if err != nil {
		return p, err
	}
	s.auth.keep(hash, gen, cachedPerson{person: p, expires: expires})
	return p, nil
}

// PersonByToken authenticates a bearer token: the live token's person with grants,
// or domain.ErrUnauthorized.
func PersonByToken(ctx context.Context, db sqlx.ExtContext, token string) (domain.Person, error) {
	p, _, err := personByTokenHash(ctx, db, HashToken(token))
	return p, err
}

// personByTokenHash reads the live token's person with grants, and when the
// token expires, in one query.
func personByTokenHash(ctx context.Context, db sqlx.ExtContext, hash []byte) (domain.Person, *time.Time, error) {
	var rows []struct {
		personRow
		Expires *time.Time `db:"expires_at"`
	}
	err := sqlx.SelectContext(ctx, db, &rows, `SELECT q.*, t.expires_at FROM api_tokens t CROSS JOIN LATERAL (`+personSQL+`
WHERE p.id = t.person_id) q
WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())
ORDER BY q.grant_unit_id, q.role`, hash)
	if err != nil {
		return domain.Person{}, nil, fmt.Errorf("token lookup: %w", err)
	}
	person := make([]personRow, len(rows))
	for i, r := range rows {
		person[i] = r.personRow
	}
	p, err := personOf(person)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.Person{}, nil, domain.ErrUnauthorized
	}
	if err != nil {
		return domain.Person{}, nil, err
	}
	var expires *time.Time
	if len(rows) > 0 {
		expires = rows[0].Expires
	}
	return p, expires, nil
}
