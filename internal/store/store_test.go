package store_test

import (
	"context"
	"testing"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

func TestMigrationsApplyToRealPostgres(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(ctx, testdb.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	applied, err := s.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) == 0 {
		t.Fatal("no migration applied to an empty database")
	}
	v, err := store.SchemaVersion(ctx, s.DB.DB)
	if err != nil {
		t.Fatal(err)
	}
	if v != applied[len(applied)-1] {
		t.Fatalf("schema version %d, want newest applied %d", v, applied[len(applied)-1])
	}
	again, err := s.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 0 {
		t.Fatalf("second migrate applied %v; want nothing", again)
	}
	for _, table := range []string{"units", "supervision", "committee_members", "people", "role_grants", "api_tokens"} {
		var n int
		if err := s.DB.Get(&n, `SELECT count(*) FROM information_schema.tables WHERE table_name = $1`, table); err != nil || n != 1 {
			t.Errorf("table %s: found %d (%v)", table, n, err)
		}
	}
}

func TestSeedLoadsTheDemoCountyOnce(t *testing.T) {
	ctx := context.Background()
	s := testdb.New(t)
	if _, err := seed.Load(ctx, s); err != nil {
		t.Fatal(err)
	}
	first, _ := store.CountOrganisation(ctx, s.DB)
	if _, err := seed.Load(ctx, s); err != nil {
		t.Fatal(err)
	}
	second, _ := store.CountOrganisation(ctx, s.DB)
	if first != second {
		t.Fatalf("seeding twice changed the counts: %+v then %+v", first, second)
	}

	kinds := map[string]int{}
	rows, err := s.DB.Query(`SELECT kind, count(*) FROM units GROUP BY kind`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		kinds[k] = n
	}
	want := map[string]int{"county": 1, "committee": 15, "department": 14, "town": 7, "enterprise": 4}
	for k, n := range want {
		if kinds[k] != n {
			t.Errorf("%s units: %d, want %d", k, kinds[k], n)
		}
	}

	// The four coal mines are supervised by the emergency-management bureau.
	yjj, err := store.UnitByCode(ctx, s.DB, "yjj")
	if err != nil {
		t.Fatal(err)
	}
	sup, err := store.Supervision(ctx, s.DB)
	if err != nil {
		t.Fatal(err)
	}
	if len(sup[yjj.ID]) != 4 {
		t.Errorf("yjj supervises %d units, want 4", len(sup[yjj.ID]))
	}

	// Every unit has a head.
	var headless []string
	if err := s.DB.Select(&headless, `
SELECT u.code FROM units u
WHERE NOT EXISTS (SELECT 1 FROM role_grants g WHERE g.unit_id = u.id AND g.role = 'unit_head')`); err != nil {
		t.Fatal(err)
	}
	if len(headless) > 0 {
		t.Errorf("units without a head: %v", headless)
	}
	// The safety office, two inspectors and three leaders exist.
	for role, n := range map[string]int{"safety_office": 1, "inspector": 2, "leader": 3, "admin": 1} {
		var got int
		if err := s.DB.Get(&got, `SELECT count(*) FROM role_grants WHERE role = $1`, role); err != nil || got != n {
			t.Errorf("%s grants: %d, want %d (%v)", role, got, n, err)
		}
	}
}

func TestTokensAreStoredHashed(t *testing.T) {
	ctx := context.Background()
	s := testdb.New(t)
	people, err := seed.Load(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	head := people[0]
	tok, err := store.IssueToken(ctx, s.DB, head.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.DB.Get(&n, `SELECT count(*) FROM api_tokens WHERE position($1::bytea in token_hash) > 0 OR encode(token_hash, 'escape') LIKE '%' || $2 || '%'`, []byte(tok), tok); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatal("the token is stored in the clear")
	}
	p, err := store.PersonByToken(ctx, s.DB, tok)
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != head.ID || len(p.Grants) == 0 {
		t.Fatalf("token resolved to %+v", p)
	}
	if _, err := store.PersonByToken(ctx, s.DB, tok+"x"); err != domain.ErrUnauthorized {
		t.Fatalf("unknown token: %v, want ErrUnauthorized", err)
	}
	if _, err := s.DB.Exec(`UPDATE api_tokens SET revoked_at = now()`); err != nil {
		t.Fatal(err)
	}
	if _, err := store.PersonByToken(ctx, s.DB, tok); err != domain.ErrUnauthorized {
		t.Fatalf("revoked token: %v, want ErrUnauthorized", err)
	}
}

// TestOneRoundTrip: both forms of connection string get lib/pq's
// binary_parameters unless they set it, and a store opened so writes bytea
// byte for byte and JSON documents as jsonb.
func TestOneRoundTrip(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://zeren@127.0.0.1:5432/zeren?sslmode=disable": "postgres://zeren@127.0.0.1:5432/zeren?binary_parameters=yes&sslmode=disable",
		"postgresql://h/db":                                       "postgresql://h/db?binary_parameters=yes",
		"host=127.0.0.1 dbname=zeren":                             "host=127.0.0.1 dbname=zeren binary_parameters=yes",
		"postgres://h/db?binary_parameters=no":                    "postgres://h/db?binary_parameters=no",
		"host=/run/postgresql dbname=zeren binary_parameters=no ": "host=/run/postgresql dbname=zeren binary_parameters=no ",
		"": "binary_parameters=yes",
	} {
		if got := store.OneRoundTrip(in); got != want {
			t.Errorf("OneRoundTrip(%q) = %q, want %q", in, got, want)
		}
	}

	s := testdb.New(t)
	ctx := t.Context()
	raw := []byte{0, '\\', 'x', 0xff, '\'', 0x80, 1}
	doc := store.JSON(`{"结果": "已完成", "n": 3}`)
	var gotRaw []byte
	var gotDoc store.JSON
	if err := s.DB.QueryRowxContext(ctx, `SELECT $1::bytea, $2::jsonb`, raw, doc).Scan(&gotRaw, &gotDoc); err != nil {
		t.Fatal(err)
	}
	if string(gotRaw) != string(raw) {
		t.Errorf("bytea came back %x, sent %x", gotRaw, raw)
	}
	if string(gotDoc) != `{"n": 3, "结果": "已完成"}` {
		t.Errorf("jsonb came back %s", gotDoc)
	}
}
