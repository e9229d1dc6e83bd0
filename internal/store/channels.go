package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/internal/domain"
)

// The kinds of a unit's notification channel: group robots of the chat apps
// the county's officials already use.
const (
	ChannelDingTalk = "dingtalk" // 钉钉自定义机器人
	ChannelWeCom    = "wecom"    // 企业微信群机器人
)

// ChannelKinds lists every channel kind.
var ChannelKinds = []string{ChannelDingTalk, ChannelWeCom}

// ChannelKindName is a kind's Chinese name, "" for an unknown kind.
func ChannelKindName(kind string) string {
	switch kind {
	case ChannelDingTalk:
		return "钉钉机器人"
	case ChannelWeCom:
		return "企业微信机器人"
	}
	return ""
}

// Limits of a channel's fields.
const (
	maxChannelURL    = 2048
	maxChannelSecret = 256
)

// Secret is a robot's signing secret. It prints masked (fmt, slog, JSON and
// text marshalling all see MaskSecret's form); string(s) is the secret itself,
// for signing only.
type Secret string

func (s Secret) String() string               { return MaskSecret(string(s)) }
func (s Secret) GoString() string             { return fmt.Sprintf("%q", MaskSecret(string(s))) }
func (s Secret) MarshalText() ([]byte, error) { return []byte(MaskSecret(string(s))), nil }

// MaskSecret shows enough of a secret to tell two apart and never the whole
// of it: "" for none, "****" for a short one, else its first three and last
// four characters ("SEC…9f0e").
func MaskSecret(s string) string {
	r := []rune(s)
	switch {
	case len(r) == 0:
		return ""
	case len(r) < 16:
		return "****"
	}
	return string(r[:3]) + "…" + string(r[len(r)-4:])
}

// RedactURL is a robot's URL fit to print in a log or an error: the values of
// its query (the robot's access token or key) are masked like a secret.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unreadable URL)"
	}
	u.User = nil
	u.Fragment, u.RawFragment = "", ""
	if u.RawQuery == "" {
		return u.String()
	}
	parts := strings.Split(u.RawQuery, "&")
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if ok && v != "" {
			uv, err := url.QueryUnescape(v)
			if err != nil {
				uv = v
			}
			parts[i] = k + "=" + maskQueryValue(uv)
		}
	}
	u.RawQuery = strings.Join(parts, "&")
	return u.String()
}

// maskQueryValue is MaskSecret for a query value: its kept ends escaped,
// the ellipsis as it is, so the URL prints readably.
func maskQueryValue(v string) string {
	r := []rune(v)
	if len(r) < 16 {
		return "****"
	}
	return url.QueryEscape(string(r[:3])) + "…" + url.QueryEscape(string(r[len(r)-4:]))
}

// Channel is one group robot of a unit.
type Channel struct {
	ID       int64  `db:"id"`
	UnitID   int64  `db:"unit_id"`
	UnitCode string `db:"unit_code"`
	UnitName string `db:"unit_name"`
	Kind     string `db:"kind"`
	// URL is the robot's webhook address, with its access token or key.
	URL string `db:"url"`
	// Secret is DingTalk's signing secret (加签), "" when the robot does not sign.
	Secret    Secret    `db:"secret"`
	Enabled   bool      `db:"enabled"`
	CreatedAt time.Time `db:"created_at"`
	UpdatedAt time.Time `db:"updated_at"`
}

// ChannelInput sets a unit's channel.
type ChannelInput struct {
	UnitID int64
	Kind   string
	URL    string
	// Secret replaces the stored secret when SetSecret is true ("" removes
	// it); otherwise a new channel has none and an existing one keeps its own.
	Secret    string
	SetSecret bool
}

// ValidateChannel checks a channel's kind, URL and secret, trimming the
// spaces around URL and Secret; a bad field is named in a
// *domain.ValidationError (fields "kind", "url", "secret").
func ValidateChannel(in *ChannelInput) error {
	var v domain.ValidationError
	in.Kind = strings.TrimSpace(in.Kind)
	in.URL = strings.TrimSpace(in.URL)
	in.Secret = strings.TrimSpace(in.Secret)
	if ChannelKindName(in.Kind) == "" {
		v.Add("kind", fmt.Sprintf("应为 %s（钉钉）或 %s（企业微信）", ChannelDingTalk, ChannelWeCom))
	}
	if p := channelURLProblem(in.URL); p != "" {
		v.Add("url", p)
	}
	if in.SetSecret && in.Secret != "" {
		switch {
		case in.Kind == ChannelWeCom:
			v.Add("secret", "企业微信群机器人没有加签密钥，不要设置")
		case !printableASCII(in.Secret):
			v.Add("secret", "只能含有可见的 ASCII 字符（不能有空格、控制字符或全角字符）")
		case len(in.Secret) > maxChannelSecret:
			v.Add("secret", domain.MsgAtMost(maxChannelSecret))
		}
	}
	return v.Err()
}

func channelURLProblem(s string) string {
	switch {
	case s == "":
		return domain.MsgRequired
	case !utf8.ValidString(s):
		return domain.MsgEncoding
	case len(s) > maxChannelURL:
		return domain.MsgAtMost(maxChannelURL)
	}
	for _, r := range s {
		if r < 0x21 || (r >= 0x7f && r < 0xa0) || r == utf8.RuneError {
			return "不能含有空格或控制字符"
		}
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "":
		return "应为机器人的 http(s) 地址，例如 https://oapi.dingtalk.com/robot/send?access_token=…"
	case u.User != nil:
		return "不能含有用户名或密码"
	case u.Fragment != "" || strings.Contains(s, "#"):
		return "不能含有 # 片段"
	}
	return ""
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// channelColumns are a Channel's columns, from unit_channels c joined to units u.
const channelColumns = `c.id, c.unit_id, u.code AS unit_code, u.name AS unit_name, c.kind, c.url, c.secret, c.enabled, c.created_at, c.updated_at`

// ActorCLI is the audit actor of changes made with the zeren command.
const ActorCLI = "cli"

// channelAudit is what the audit log keeps of a channel: never its secret,
// and its URL with the token masked.
func channelAudit(c Channel) map[string]any {
	return map[string]any{"kind": c.Kind, "url": RedactURL(c.URL), "enabled": c.Enabled, "signed": c.Secret != ""}
}

// SetChannel creates a unit's channel, or updates the one with the same kind
// and URL, and enables it; created says which. Its audit row (channel.set)
// is written with it: call it in a transaction.
func SetChannel(ctx context.Context, tx sqlx.ExtContext, in ChannelInput, actor string) (c Channel, created bool, err error) {
	if err := ValidateChannel(&in); err != nil {
		return Channel{}, false, err
	}
	var before *Channel
	var old Channel
	err = sqlx.GetContext(ctx, tx, &old, `SELECT `+channelColumns+` FROM unit_channels c JOIN units u ON u.id = c.unit_id
WHERE c.unit_id = $1 AND c.kind = $2 AND c.url = $3 FOR UPDATE OF c`, in.UnitID, in.Kind, in.URL)
	switch {
	case err == nil:
		before = &old
	case !errors.Is(err, sql.ErrNoRows):
		return Channel{}, false, fmt.Errorf("channel: %w", mapError(err))
	}
	var id int64
	if before != nil {
		err = sqlx.GetContext(ctx, tx, &id, `
UPDATE unit_channels SET secret = CASE WHEN $2 THEN $3 ELSE secret END, enabled = true, updated_at = now()
WHERE id = $1 RETURNING id`, before.ID, in.SetSecret, in.Secret)
	} else {
		// ON CONFLICT: another transaction may create the same channel meanwhile.
		err = sqlx.GetContext(ctx, tx, &id, `
INSERT INTO unit_channels (unit_id, kind, url, secret) VALUES ($1, $2, $3, $4)
ON CONFLICT (unit_id, kind, url) DO UPDATE SET
	secret = CASE WHEN $5 THEN EXCLUDED.secret ELSE unit_channels.secret END,
	enabled = true, updated_at = now()
RETURNING id`, in.UnitID, in.Kind, in.URL, in.Secret, in.SetSecret)
	}
	if err != nil {
		return Channel{}, false, fmt.Errorf("set channel: %w", mapError(err))
	}
	if c, err = channelByID(ctx, tx, id); err != nil {
		return Channel{}, false, err
	}
	e := Event{Actor: actor, Action: "channel.set", SubjectType: "unit_channel", SubjectID: fmt.Sprint(c.ID), UnitID: c.UnitID, After: channelAudit(c)}
	if before != nil {
		e.Before = channelAudit(*before)
	}
	if _, err := Append(ctx, tx, e); err != nil {
		return Channel{}, false, err
	}
	return c, before == nil, nil
}

// DisableChannel disables a unit's channel of that kind and URL: it gets no
// more messages. found is false when the unit has no such channel; disabling
// a disabled channel changes nothing and writes no audit row. Call it in a
// transaction.
func DisableChannel(ctx context.Context, tx sqlx.ExtContext, unitID int64, kind, rawURL, actor string) (c Channel, found bool, err error) {
	var id int64
	err = sqlx.GetContext(ctx, tx, &id, `SELECT id FROM unit_channels WHERE unit_id = $1 AND kind = $2 AND url = $3 FOR UPDATE`,
		unitID, strings.TrimSpace(kind), strings.TrimSpace(rawURL))
	if errors.Is(err, sql.ErrNoRows) {
		return Channel{}, false, nil
	}
	if err != nil {
		return Channel{}, false, fmt.Errorf("channel: %w", mapError(err))
	}
	if c, err = channelByID(ctx, tx, id); err != nil || !c.Enabled {
		return c, err == nil, err
	}
	before := channelAudit(c)
	if _, err := tx.ExecContext(ctx, `UPDATE unit_channels SET enabled = false, updated_at = now() WHERE id = $1`, id); err != nil {
		return Channel{}, false, fmt.Errorf("disable channel: %w", mapError(err))
	}
	if c, err = channelByID(ctx, tx, id); err != nil {
		return Channel{}, false, err
	}
	_, err = Append(ctx, tx, Event{Actor: actor, Action: "channel.disabled", SubjectType: "unit_channel", SubjectID: fmt.Sprint(c.ID),
		UnitID: c.UnitID, Before: before, After: channelAudit(c)})
	return c, true, err
}

func channelByID(ctx context.Context, db sqlx.ExtContext, id int64) (Channel, error) {
	var c Channel
	if err := sqlx.GetContext(ctx, db, &c, `SELECT `+channelColumns+` FROM unit_channels c JOIN units u ON u.id = c.unit_id WHERE c.id = $1`, id); err != nil {
		return Channel{}, fmt.Errorf("channel %d: %w", id, mapError(err))
	}
	return c, nil
}

// ListChannels lists the channels of one unit (unitID > 0) or of every unit,
// enabled and disabled, by unit code, kind and id.
func ListChannels(ctx context.Context, db sqlx.ExtContext, unitID int64) ([]Channel, error) {
	out := []Channel{}
	err := sqlx.SelectContext(ctx, db, &out, `SELECT `+channelColumns+` FROM unit_channels c JOIN units u ON u.id = c.unit_id
WHERE $1 = 0 OR c.unit_id = $1 ORDER BY u.code, c.kind, c.id`, unitID)
	if err != nil {
		return nil, fmt.Errorf("channels: %w", mapError(err))
	}
	return out, nil
}

// Undelivered answers what an outbox message has still to be delivered to:
// whether the main sender has yet to get it (main), and the enabled channels
// of its unit that have not got it, by id.
func Undelivered(ctx context.Context, db sqlx.ExtContext, outboxID, unitID int64) (main bool, channels []Channel, err error) {
	if err := sqlx.GetContext(ctx, db, &main, `
SELECT NOT EXISTS (SELECT 1 FROM outbox_deliveries WHERE outbox_id = $1 AND channel_id IS NULL)`, outboxID); err != nil {
		return false, nil, fmt.Errorf("outbox %d deliveries: %w", outboxID, mapError(err))
	}
	err = sqlx.SelectContext(ctx, db, &channels, `SELECT `+channelColumns+` FROM unit_channels c JOIN units u ON u.id = c.unit_id
WHERE c.unit_id = $1 AND c.enabled
	AND NOT EXISTS (SELECT 1 FROM outbox_deliveries d WHERE d.outbox_id = $2 AND d.channel_id = c.id)
ORDER BY c.id`, unitID, outboxID)
	if err != nil {
		return false, nil, fmt.Errorf("outbox %d channels: %w", outboxID, mapError(err))
	}
	return main, channels, nil
}

// RecordDelivery records that an outbox message reached a channel
// (channelID > 0) or the main sender (channelID 0); recording it again
// changes nothing.
func RecordDelivery(ctx context.Context, db sqlx.ExtContext, outboxID, channelID int64) error {
	var ch any
	if channelID > 0 {
		ch = channelID
	}
	_, err := db.ExecContext(ctx, `
INSERT INTO outbox_deliveries (outbox_id, channel_id) VALUES ($1, $2)
ON CONFLICT (outbox_id, coalesce(channel_id, 0)) DO NOTHING`, outboxID, ch)
	if err != nil {
		return fmt.Errorf("outbox %d: record delivery: %w", outboxID, mapError(err))
	}
	return nil
}
