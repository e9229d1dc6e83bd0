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
// token, a person, a grant or a unit changes (statement by statement);
// campaignsChannel, of 00023, when a campaign does.
const (
	authChannel      = "zeren_auth_changed"
	campaignsChannel = "zeren_campaigns_changed"
)

// authCache keeps the people that live tokens resolved to, by token hash, so
// an API request's authentication costs no query, and the campaigns' clocks,
// so a request's campaign time costs none either. It is safe only while its
// listener hears every change: entries are served while the listener is
// connected and listening on both channels, every notification (a
// revocation, a grant, a rename, a campaign run or changed) and every
// reconnect empties it, and while the connection is down every request reads
// the database. Unknown, revoked and expired tokens are never kept.
type authCache struct {
	listener *pq.Listener

	mu        sync.Mutex
	connected bool   // the listener's connection is up
	listening bool   // the first LISTEN was acknowledged (the listener repeats it on every reconnect)
	live      bool   // connected and listening: entries may be served and kept
	gen       uint64 // bumped by every change heard; a read begun before it keeps nothing
	people    map[[32]byte]cachedPerson
	clocks    map[string]Campaign // by id: the fields of the campaign's clock only
	fast      Clocks              // the fast campaigns' clocks (nil: not kept)
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
	a := &authCache{people: map[[32]byte]cachedPerson{}, clocks: map[string]Campaign{}}
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
	if err := errors.Join(a.listener.Listen(authChannel), a.listener.Listen(campaignsChannel)); err == nil {
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
	clear(a.clocks)
	a.fast = nil
}

func (a *authCache) close() error { return a.listener.Close() }

// lookup answers the person a token's hash resolved to, if kept and not expired.
func (a *authCache) lookup(hash [32]byte, now time.Time) (domain.Person, uint64, bool) {
	c, gen, ok := kept(a, func() (cachedPerson, bool) {
		c, ok := a.people[hash]
		return c, ok && (c.expires == nil || now.Before(*c.expires))
	})
	return c.person, gen, ok
}

// keep remembers what a read begun at generation gen found, unless something
// changed since it began.
func (a *authCache) keep(hash [32]byte, gen uint64, c cachedPerson) {
	a.keepIf(gen, func() {
		if len(a.people) >= authCacheSize {
			a.flushLocked()
			return
		}
		a.people[hash] = c
	})
}

// kept answers what the cache holds under get, if it is live, and the
// generation a read of the database must keep its answer under.
func kept[T any](a *authCache, get func() (T, bool)) (T, uint64, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	v, ok := get()
	return v, a.gen, ok && a.live
}

// keepIf runs put if the cache is live and nothing changed since generation gen.
func (a *authCache) keepIf(gen uint64, put func()) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.live && a.gen == gen {
		put()
	}
}

// cache is the store's cache, started on first use; nil for a store not
// opened with Open.
func (s *Store) cache() *authCache {
	if s.url == "" {
		return nil
	}
	s.authOnce.Do(func() { s.auth = newAuthCache(s.url) })
	return s.auth
}

// CampaignNow is a campaign's time at wall time wall (Campaign.Now), its
// clock read from memory while the cache hears every change to campaigns.
func (s *Store) CampaignNow(ctx context.Context, id string, wall time.Time) (time.Time, error) {
	a := s.cache()
	var gen uint64
	if a != nil {
		c, g, ok := kept(a, func() (Campaign, bool) { c, ok := a.clocks[id]; return c, ok })
		if ok {
			return c.Now(wall), nil
		}
		gen = g
	}
	c, err := campaignClock(ctx, s.DB, id)
	if err != nil {
		return wall, err
	}
	if a != nil {
		a.keepIf(gen, func() {
			if len(a.clocks) < authCacheSize {
				a.clocks[id] = c
			}
		})
	}
	return c.Now(wall), nil
}

// campaignClock reads the fields of a campaign's clock.
func campaignClock(ctx context.Context, db sqlx.ExtContext, id string) (Campaign, error) {
	var c Campaign
	err := sqlx.GetContext(ctx, db, &c, `SELECT id, time_zone, starts_on, clock_speed, clock_anchor FROM campaigns WHERE id = $1`, id)
	if err != nil {
		return c, fmt.Errorf("campaign %s: %w", id, mapError(err))
	}
	return c, nil
}

// CachedFastClocks is FastClocks, read from memory while the cache hears
// every change to campaigns. The map is shared: callers do not change it.
func (s *Store) CachedFastClocks(ctx context.Context) (Clocks, error) {
	a := s.cache()
	if a == nil {
		return FastClocks(ctx, s.DB)
	}
	fast, gen, ok := kept(a, func() (Clocks, bool) { return a.fast, a.fast != nil })
	if ok {
		return fast, nil
	}
	fast, err := FastClocks(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	a.keepIf(gen, func() { a.fast = fast })
	return fast, nil
}

// Authenticate resolves a bearer token to its person with grants, or
// domain.ErrUnauthorized, as PersonByToken does; a store opened with Open
// answers a token it has resolved before from memory while its listener hears
// every change to tokens, people, grants and units (see authCache).
func (s *Store) Authenticate(ctx context.Context, token string) (domain.Person, error) {
	if s.cache() == nil {
		return PersonByToken(ctx, s.DB, token)
	}
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
