package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

// TestAuthenticateCacheHearsEveryChange: a token Authenticate has resolved is
// answered from memory, and a revocation, a grant taken, an expiry each take
// effect without a restart, as soon as the change is committed and heard.
func TestAuthenticateCacheHearsEveryChange(t *testing.T) {
	ctx := context.Background()
	s := testdb.New(t)
	people, err := seed.Load(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	head := people[0]
	issue := func() string {
		t.Helper()
		tok, err := store.IssueToken(ctx, s.DB, head.ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	// cached authenticates tok until Authenticate answers it from memory.
	cached := func(tok string) domain.Person {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			p, err := s.Authenticate(ctx, tok)
			if err != nil {
				t.Fatal(err)
			}
			if s.AuthCached(tok) {
				return p
			}
		}
		t.Fatal("Authenticate never answered from memory")
		return domain.Person{}
	}
	// refused waits until Authenticate refuses tok.
	refused := func(what, tok string) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if _, err := s.Authenticate(ctx, tok); errors.Is(err, domain.ErrUnauthorized) {
				return
			} else if err != nil {
				t.Fatal(err)
			}
		}
		t.Fatalf("%s: the token still authenticates after 5 s", what)
	}

	t.Run("revoked", func(t *testing.T) {
		tok := issue()
		if p := cached(tok); p.ID != head.ID || len(p.Grants) == 0 {
			t.Fatalf("resolved to %+v", p)
		}
		if _, err := s.DB.Exec(`UPDATE api_tokens SET revoked_at = now() WHERE token_hash = $1`, store.HashToken(tok)); err != nil {
			t.Fatal(err)
		}
		refused("revoked", tok)
	})
	t.Run("grant taken", func(t *testing.T) {
		tok := issue()
		before := cached(tok)
		g := before.Grants[0]
		if _, err := s.DB.Exec(`DELETE FROM role_grants WHERE person_id = $1 AND role = $2 AND unit_id = $3`, head.ID, g.Role.String(), g.UnitID); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			p, err := s.Authenticate(ctx, tok)
			if err != nil {
				t.Fatal(err)
			}
			if !p.Has(g.Role, g.UnitID) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the grant taken is still held after 5 s")
			}
		}
		if err := store.GrantRole(ctx, s.DB, head.ID, g.Role, g.UnitID); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("expired", func(t *testing.T) {
		tok := issue()
		if _, err := s.DB.Exec(`UPDATE api_tokens SET expires_at = now() + interval '1 second' WHERE token_hash = $1`, store.HashToken(tok)); err != nil {
			t.Fatal(err)
		}
		cached(tok)
		refused("expired", tok) // no notification: the kept expiry refuses it
	})
	t.Run("unknown tokens are never kept", func(t *testing.T) {
		if _, err := s.Authenticate(ctx, "zrn_nobody"); !errors.Is(err, domain.ErrUnauthorized) {
			t.Fatalf("unknown token: %v, want ErrUnauthorized", err)
		}
		if s.AuthCached("zrn_nobody") {
			t.Fatal("an unknown token is kept")
		}
	})
}

// TestPersonWithoutGrantsAuthenticates: a person holding no role still has a
// token that resolves, to no grants.
func TestPersonWithoutGrantsAuthenticates(t *testing.T) {
	ctx := context.Background()
	s := testdb.New(t)
	if _, err := seed.Load(ctx, s); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := s.DB.Get(&id, `INSERT INTO people (key, name, unit_id) SELECT 'nobody', '无职务', min(id) FROM units RETURNING id`); err != nil {
		t.Fatal(err)
	}
	tok, err := store.IssueToken(ctx, s.DB, id, "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, read := range []func() (domain.Person, error){
		func() (domain.Person, error) { return store.PersonByToken(ctx, s.DB, tok) },
		func() (domain.Person, error) { return s.Authenticate(ctx, tok) },
		func() (domain.Person, error) { return store.PersonByID(ctx, s.DB, id) },
	} {
		p, err := read()
		if err != nil || p.ID != id || p.Key != "nobody" || p.Grants == nil || len(p.Grants) != 0 {
			t.Fatalf("got %+v, %v; want nobody with no grants", p, err)
		}
	}
}

// TestCampaignClocksHearEveryChange: a campaign's time and the fast clocks
// are answered from memory, and a campaign run (its clock's anchor set) or
// changed by an operator's SQL takes effect as soon as it is committed and heard.
func TestCampaignClocksHearEveryChange(t *testing.T) {
	ctx := context.Background()
	s := testdb.New(t)
	start := time.Date(2020, 4, 1, 0, 0, 0, 0, time.UTC)
	if err := store.UpsertCampaign(ctx, s.DB, store.Campaign{ID: "fast", Name: "快速", TimeZone: "UTC", StartsOn: start,
		EndsOn: start.AddDate(3, 0, 0), Policy: store.JSON(`{}`), ClockSpeed: 1000}); err != nil {
		t.Fatal(err)
	}
	wall := time.Now()
	// until reads the campaign's time at wall until want says it is right, and
	// answers whether it then came from memory.
	until := func(what string, want func(now time.Time, fast store.Clocks) bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			now, err := s.CampaignNow(ctx, "fast", wall)
			if err != nil {
				t.Fatal(err)
			}
			fast, err := s.CachedFastClocks(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if want(now, fast) && s.ClockCached("fast") {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: campaign time %v, fast clocks %v after 10 s", what, now, fast)
			}
		}
	}
	until("not yet run", func(now time.Time, fast store.Clocks) bool { return now.Equal(start) && len(fast) == 0 })

	anchor := wall.Add(-time.Hour) // run an hour ago: 1,000 hours of campaign time
	if _, err := store.StartClock(ctx, s.DB, "fast", anchor); err != nil {
		t.Fatal(err)
	}
	until("run", func(now time.Time, fast store.Clocks) bool { // the anchor is stored to the microsecond
		return now.Sub(start.Add(1000*time.Hour)).Abs() < time.Second && fast["fast"] != nil && fast.Now("fast", wall).Equal(now)
	})

	if _, err := s.DB.Exec(`UPDATE campaigns SET clock_speed = 1 WHERE id = 'fast'`); err != nil {
		t.Fatal(err)
	}
	until("slowed to real time by an operator", func(now time.Time, fast store.Clocks) bool { return now.Equal(wall) && len(fast) == 0 })

	if _, err := s.CampaignNow(ctx, "nothing", wall); !errors.Is(err, domain.ErrNotFound) || s.ClockCached("nothing") {
		t.Fatalf("no such campaign: %v", err)
	}
}
