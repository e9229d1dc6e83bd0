package store_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
	"github.com/zeren-county/zeren/internal/testdb"
)

const (
	dingURL  = "https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef0123456789abcdef"
	wecomURL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7aaa-4bc4-97a0-0ec2sifa5aaa"
	secret   = "SEC9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d"
)

func setChannel(t *testing.T, s *store.Store, in store.ChannelInput) (store.Channel, bool) {
	t.Helper()
	var (
		c       store.Channel
		created bool
	)
	err := s.InTx(context.Background(), func(tx *sqlx.Tx) error {
		var err error
		c, created, err = store.SetChannel(context.Background(), tx, in, store.ActorCLI)
		return err
	})
	if err != nil {
		t.Fatalf("SetChannel(%+v): %v", in, err)
	}
	return c, created
}

// Setting a channel creates it once per unit, kind and URL; setting it again
// updates it (the secret only when given) and enables it; disabling it keeps
// it listed but takes it out of delivery. Each change is audited, never with
// the secret or the robot's token.
func TestChannelsSetListDisable(t *testing.T) {
	ctx := context.Background()
	c := testdb.NewCounty(t)
	jcg, gaj := c.Units["jcg"], c.Units["gaj"]

	ding, created := setChannel(t, c.Store, store.ChannelInput{UnitID: jcg, Kind: "dingtalk", URL: " " + dingURL + " ", Secret: secret, SetSecret: true})
	if !created || ding.URL != dingURL || string(ding.Secret) != secret || !ding.Enabled || ding.UnitCode != "jcg" {
		t.Fatalf("created %v: %+v", created, ding)
	}
	again, created := setChannel(t, c.Store, store.ChannelInput{UnitID: jcg, Kind: "dingtalk", URL: dingURL})
	if created || again.ID != ding.ID || string(again.Secret) != secret {
		t.Fatalf("set again without a secret: created %v, %+v; want the same channel, secret kept", created, again)
	}
	wecom, _ := setChannel(t, c.Store, store.ChannelInput{UnitID: jcg, Kind: "wecom", URL: wecomURL})
	other, _ := setChannel(t, c.Store, store.ChannelInput{UnitID: gaj, Kind: "dingtalk", URL: dingURL})

	all, err := store.ListChannels(ctx, c.DB, 0)
	if err != nil || len(all) != 3 {
		t.Fatalf("all channels: %d, %v", len(all), err)
	}
	// By unit code (gaj before jcg), then kind.
	if all[0].ID != other.ID || all[1].ID != ding.ID || all[2].ID != wecom.ID {
		t.Fatalf("order %d %d %d; want %d %d %d", all[0].ID, all[1].ID, all[2].ID, other.ID, ding.ID, wecom.ID)
	}
	mine, err := store.ListChannels(ctx, c.DB, jcg)
	if err != nil || len(mine) != 2 {
		t.Fatalf("jcg's channels: %d, %v", len(mine), err)
	}

	var disabled store.Channel
	var found bool
	err = c.InTx(ctx, func(tx *sqlx.Tx) error {
		disabled, found, err = store.DisableChannel(ctx, tx, jcg, "dingtalk", dingURL, store.ActorCLI)
		return err
	})
	if err != nil || !found || disabled.Enabled || disabled.ID != ding.ID {
		t.Fatalf("disable: %+v, found %v, %v", disabled, found, err)
	}
	err = c.InTx(ctx, func(tx *sqlx.Tx) error {
		_, found, err = store.DisableChannel(ctx, tx, jcg, "dingtalk", dingURL+"x", store.ActorCLI)
		return err
	})
	if err != nil || found {
		t.Fatalf("disabling a channel that does not exist: found %v, %v", found, err)
	}
	// Disabling twice writes one audit row.
	err = c.InTx(ctx, func(tx *sqlx.Tx) error {
		_, found, err = store.DisableChannel(ctx, tx, jcg, "dingtalk", dingURL, store.ActorCLI)
		return err
	})
	if err != nil || !found {
		t.Fatalf("disable again: found %v, %v", found, err)
	}

	// Set re-enables, and a given empty secret removes it.
	back, created := setChannel(t, c.Store, store.ChannelInput{UnitID: jcg, Kind: "dingtalk", URL: dingURL, SetSecret: true})
	if created || !back.Enabled || back.Secret != "" {
		t.Fatalf("set after disable: %+v", back)
	}

	var audit []struct {
		Action string `db:"action"`
		Actor  string `db:"actor"`
		Before string `db:"before"`
		After  string `db:"after"`
	}
	if err := c.DB.Select(&audit, `SELECT action, actor, coalesce(before::text, '') AS before, after::text AS after
FROM audit_log WHERE subject_type = 'unit_channel' ORDER BY seq`); err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range audit {
		actions = append(actions, a.Action)
		if strings.Contains(a.Before+a.After, "SEC9e8d") || strings.Contains(a.Before+a.After, "0123456789abcdef0123") || a.Actor != "cli" {
			t.Errorf("audit row %+v shows the secret or the token, or has the wrong actor", a)
		}
	}
	if want := "channel.set channel.set channel.set channel.set channel.disabled channel.set"; strings.Join(actions, " ") != want {
		t.Fatalf("audit actions %v; want %s", actions, want)
	}
	if res, err := store.VerifyAudit(ctx, c.DB); err != nil || res.Broken {
		t.Fatalf("audit log after channel changes: %+v, %v", res, err)
	}
}

// Bad input is refused naming the field, before anything is written; the
// table refuses it too.
func TestChannelValidation(t *testing.T) {
	ctx := context.Background()
	c := testdb.NewCounty(t)
	jcg := c.Units["jcg"]
	tests := []struct {
		name  string
		in    store.ChannelInput
		field string
	}{
		{"unknown kind", store.ChannelInput{Kind: "feishu", URL: dingURL}, "kind"},
		{"no URL", store.ChannelInput{Kind: "dingtalk"}, "url"},
		{"ftp URL", store.ChannelInput{Kind: "dingtalk", URL: "ftp://oapi.dingtalk.com/robot/send"}, "url"},
		{"no host", store.ChannelInput{Kind: "dingtalk", URL: "https:///robot/send"}, "url"},
		{"relative", store.ChannelInput{Kind: "dingtalk", URL: "oapi.dingtalk.com/robot/send?access_token=x"}, "url"},
		{"newline in the URL", store.ChannelInput{Kind: "dingtalk", URL: dingURL + "\nX-Evil: 1"}, "url"},
		{"space in the URL", store.ChannelInput{Kind: "dingtalk", URL: "https://oapi.dingtalk.com/robot send"}, "url"},
		{"DEL in the URL", store.ChannelInput{Kind: "dingtalk", URL: dingURL + "\x7f"}, "url"},
		{"password in the URL", store.ChannelInput{Kind: "wecom", URL: "https://u:p@qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"}, "url"},
		{"fragment", store.ChannelInput{Kind: "wecom", URL: wecomURL + "#x"}, "url"},
		{"invalid UTF-8", store.ChannelInput{Kind: "wecom", URL: "https://qyapi.weixin.qq.com/\xff"}, "url"},
		{"too long", store.ChannelInput{Kind: "wecom", URL: wecomURL + strings.Repeat("a", 2048)}, "url"},
		{"secret for WeCom", store.ChannelInput{Kind: "wecom", URL: wecomURL, Secret: secret, SetSecret: true}, "secret"},
		{"control character in the secret", store.ChannelInput{Kind: "dingtalk", URL: dingURL, Secret: "SEC1\x01", SetSecret: true}, "secret"},
		{"space in the secret", store.ChannelInput{Kind: "dingtalk", URL: dingURL, Secret: "SEC 1", SetSecret: true}, "secret"},
		{"full-width secret", store.ChannelInput{Kind: "dingtalk", URL: dingURL, Secret: "ＳＥＣ1", SetSecret: true}, "secret"},
		{"secret too long", store.ChannelInput{Kind: "dingtalk", URL: dingURL, Secret: strings.Repeat("S", 257), SetSecret: true}, "secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.UnitID = jcg
			err := c.InTx(ctx, func(tx *sqlx.Tx) error {
				_, _, err := store.SetChannel(ctx, tx, tt.in, store.ActorCLI)
				return err
			})
			var v *domain.ValidationError
			if !errors.As(err, &v) || v.Fields[0].Field != tt.field {
				t.Fatalf("error %v; want a validation error on %s", err, tt.field)
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("the error shows the secret: %v", err)
			}
		})
	}
	if n := testdb.Count(t, c.DB, `SELECT count(*) FROM unit_channels`); n != 0 {
		t.Fatalf("%d channels written by refused input", n)
	}
	for _, q := range []string{
		`INSERT INTO unit_channels (unit_id, kind, url) VALUES ($1, 'feishu', 'https://x.example/')`,
		`INSERT INTO unit_channels (unit_id, kind, url) VALUES ($1, 'dingtalk', 'ftp://x.example/')`,
		`INSERT INTO unit_channels (unit_id, kind, url, secret) VALUES ($1, 'wecom', 'https://x.example/', 'SEC1')`,
	} {
		if _, err := c.DB.Exec(q, jcg); !store.Rejected(err) {
			t.Errorf("%s: %v; want a check violation", q, err)
		}
	}
	if _, _, err := store.SetChannel(ctx, c.DB, store.ChannelInput{UnitID: 999999, Kind: "wecom", URL: wecomURL}, store.ActorCLI); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("channel of a unit that does not exist: %v; want not found", err)
	}
}

// What a message has still to reach: the main sender until it is recorded,
// and the enabled channels of its unit that have not got it. Recording a
// delivery twice keeps one row.
func TestUndeliveredTargets(t *testing.T) {
	ctx := context.Background()
	c := testdb.NewCounty(t)
	jcg, gaj := c.Units["jcg"], c.Units["gaj"]
	if _, err := store.Enqueue(ctx, c.DB, store.Notification{Key: "m", UnitID: jcg, Kind: "remind", Title: "【提醒】", Body: "x"}); err != nil {
		t.Fatal(err)
	}
	var msg int64
	if err := c.DB.Get(&msg, `SELECT id FROM outbox`); err != nil {
		t.Fatal(err)
	}
	a, _ := setChannel(t, c.Store, store.ChannelInput{UnitID: jcg, Kind: "dingtalk", URL: dingURL})
	b, _ := setChannel(t, c.Store, store.ChannelInput{UnitID: jcg, Kind: "wecom", URL: wecomURL})
	off, _ := setChannel(t, c.Store, store.ChannelInput{UnitID: jcg, Kind: "wecom", URL: wecomURL + "0"})
	setChannel(t, c.Store, store.ChannelInput{UnitID: gaj, Kind: "wecom", URL: wecomURL})
	if err := c.InTx(ctx, func(tx *sqlx.Tx) error {
		_, _, err := store.DisableChannel(ctx, tx, jcg, "wecom", off.URL, store.ActorCLI)
		return err
	}); err != nil {
		t.Fatal(err)
	}

	check := func(wantMain bool, want ...int64) {
		t.Helper()
		main, chans, err := store.Undelivered(ctx, c.DB, msg, jcg)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, ch := range chans {
			got = append(got, ch.ID)
		}
		if main != wantMain || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("undelivered: main %v, channels %v; want %v, %v", main, got, wantMain, want)
		}
	}
	check(true, a.ID, b.ID)
	for range 2 {
		if err := store.RecordDelivery(ctx, c.DB, msg, 0); err != nil {
			t.Fatal(err)
		}
		if err := store.RecordDelivery(ctx, c.DB, msg, b.ID); err != nil {
			t.Fatal(err)
		}
	}
	check(false, a.ID)
	if n := testdb.Count(t, c.DB, `SELECT count(*) FROM outbox_deliveries`); n != 2 {
		t.Fatalf("%d delivery rows; want 2", n)
	}
}

// A secret never prints: not with fmt, not in a log line, not as JSON.
func TestSecretPrintsMasked(t *testing.T) {
	ch := store.Channel{ID: 1, Kind: "dingtalk", URL: dingURL, Secret: secret}
	var log strings.Builder
	slog.New(slog.NewTextHandler(&log, nil)).Info("channel", "channel", ch, "secret", ch.Secret)
	slog.New(slog.NewJSONHandler(&log, nil)).Info("channel", "channel", ch, "secret", ch.Secret)
	for _, out := range []string{fmt.Sprint(ch), fmt.Sprintf("%+v", ch), fmt.Sprintf("%#v", ch), fmt.Sprintf("%s", ch.Secret), log.String()} {
		if strings.Contains(out, secret) || strings.Contains(out, secret[3:20]) {
			t.Fatalf("the secret shows in %q", out)
		}
	}
	if got := store.MaskSecret(secret); got != "SEC…9e8d" {
		t.Fatalf("MaskSecret = %q", got)
	}
	if got := store.MaskSecret("SEC12"); got != "****" {
		t.Fatalf("MaskSecret(short) = %q", got)
	}
	if got := store.RedactURL(dingURL); got != "https://oapi.dingtalk.com/robot/send?access_token=012…cdef" {
		t.Fatalf("RedactURL = %q", got)
	}
}
