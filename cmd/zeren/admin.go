package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/internal/seed"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/web"
)

func runMigrate(ctx context.Context, args []string) error {
	cfg, err := flags("migrate", args, nil)
	if err != nil {
		return err
	}
	s, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	applied, err := s.Migrate(ctx)
	if err != nil {
		return err
	}
	v, err := store.SchemaVersion(ctx, s.DB.DB)
	if err != nil {
		return err
	}
	fmt.Printf("migrations applied: %v; schema version %d\n", applied, v)
	return nil
}

func runSeed(ctx context.Context, args []string) error {
	cfg, err := flags("seed", args, nil)
	if err != nil {
		return err
	}
	s, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		return err
	}
	people, err := seed.Load(ctx, s)
	if err != nil {
		return err
	}
	c, err := store.CountOrganisation(ctx, s.DB)
	if err != nil {
		return err
	}
	fmt.Printf("demo county loaded: %d units, %d people (%d role grants seeded)\n", c.Units, c.People, len(people))
	return nil
}

func runToken(ctx context.Context, args []string) error {
	var key, label string
	cfg, err := flags("token", args, func(fs *flag.FlagSet) {
		fs.StringVar(&key, "person", "", "person key (required)")
		fs.StringVar(&label, "label", "cli", "what the token is for")
	})
	if err != nil {
		return err
	}
	if key == "" {
		return fmt.Errorf("-person is required")
	}
	s, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	var id int64
	if err := sqlx.GetContext(ctx, s.DB, &id, `SELECT id FROM people WHERE key = $1`, key); err != nil {
		return fmt.Errorf("person %q: not found", key)
	}
	tok, err := store.IssueToken(ctx, s.DB, id, label)
	if err != nil {
		return err
	}
	fmt.Println(tok)
	return nil
}

// runAudit verifies the audit log's hash chains: every row's hash, every
// link, no gap in any chain; a broken log names the first broken row of each
// broken chain.
func runAudit(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "verify" {
		return fmt.Errorf("usage: zeren audit verify")
	}
	cfg, err := flags("audit verify", args[1:], nil)
	if err != nil {
		return err
	}
	s, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	res, err := store.VerifyAudit(ctx, s.DB)
	if err != nil {
		return err
	}
	if res.Broken {
		for _, b := range res.Breaks {
			fmt.Println("broken:", b)
		}
		return fmt.Errorf("audit log broken: %d of %d chains, the first at %s (%d rows read)",
			len(res.Breaks), res.Chains, res.Problem, res.Rows)
	}
	fmt.Printf("audit log intact: %d rows in %d chains, every hash and link verified\n", res.Rows, res.Chains)
	return nil
}

// runAccount opens a person's web account and prints the one-time link with
// which they set their password (the first administrator's way in).
func runAccount(ctx context.Context, args []string) error {
	var key, username, base string
	cfg, err := flags("account", args, func(fs *flag.FlagSet) {
		fs.StringVar(&key, "person", "", "person key (required)")
		fs.StringVar(&username, "username", "", "account name to sign in with (required)")
		fs.StringVar(&base, "url", "", "the web address people use (default notify.linkBase)")
	})
	if err != nil {
		return err
	}
	if key == "" || username == "" {
		return fmt.Errorf("-person and -username are required")
	}
	if base == "" {
		base = cfg.Notify.LinkBase
	}
	s, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	p, err := store.PersonByKey(ctx, s.DB, key)
	if err != nil {
		return fmt.Errorf("person %q: not found", key)
	}
	token, err := web.OpenAccount(ctx, s, p.ID, strings.ToLower(username), 0, time.Now())
	if err != nil {
		return err
	}
	fmt.Printf("account %s for %s (%s); set the password within 24 hours at:\n%s/reset/%s\n", strings.ToLower(username), p.Name, p.Key, strings.TrimRight(base, "/"), token)
	return nil
}
