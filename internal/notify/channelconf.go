package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/jmoiron/sqlx"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// This file is what `zeren channel` does, apart from its flags: set, list
// and disable a unit's group robots, with input checked and answered in
// words an administrator can act on.

// ChannelRequest names a unit's channel as the command line gives it.
type ChannelRequest struct {
	Unit string // unit code, e.g. jcg
	Kind string // dingtalk or wecom
	URL  string
	// ID picks a channel of the unit by id instead of Kind and URL (disable only).
	ID int64
	// Secret is set (or removed, when empty) only when SetSecret.
	Secret    string
	SetSecret bool
}

// flagNames turns the store's field names into the command's flags.
var flagNames = map[string]string{"kind": "-kind", "url": "-url", "secret": "-secret"}

// inputError words a validation error as the command's flags: one line per field.
func inputError(err error) error {
	var v *domain.ValidationError
	if !errors.As(err, &v) {
		return err
	}
	lines := make([]string, len(v.Fields))
	for i, f := range v.Fields {
		name := flagNames[f.Field]
		if name == "" {
			name = f.Field
		}
		lines[i] = name + "：" + f.Detail
	}
	return errors.New(strings.Join(lines, "；"))
}

func unitByCode(ctx context.Context, db sqlx.ExtContext, code string) (domain.Unit, error) {
	code = strings.TrimSpace(code)
	if code == "" {
		return domain.Unit{}, errors.New("-unit：必填（单位代码，例如 jcg）")
	}
	if p := domain.TextProblem(code); p != "" || strings.ContainsAny(code, " \t\n") {
		return domain.Unit{}, fmt.Errorf("-unit：不是单位代码")
	}
	u, err := store.UnitByCode(ctx, db, code)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.Unit{}, fmt.Errorf("-unit：单位 %q 不存在（unit not found）", code)
	}
	return u, err
}

// SetUnitChannel creates or updates a unit's channel and enables it (see
// store.SetChannel), audited as done by the command line.
func SetUnitChannel(ctx context.Context, s *store.Store, r ChannelRequest) (ch store.Channel, created bool, err error) {
	u, err := unitByCode(ctx, s.DB, r.Unit)
	if err != nil {
		return ch, false, err
	}
	in := store.ChannelInput{UnitID: u.ID, Kind: r.Kind, URL: r.URL, Secret: r.Secret, SetSecret: r.SetSecret}
	if err := store.ValidateChannel(&in); err != nil {
		return ch, false, inputError(err)
	}
	err = s.InTx(ctx, func(tx *sqlx.Tx) error {
		ch, created, err = store.SetChannel(ctx, tx, in, store.ActorCLI)
		return err
	})
	return ch, created, inputError(err)
}

// DisableUnitChannel disables a unit's channel, named by kind and URL or by
// id. A channel already disabled is answered as it is.
func DisableUnitChannel(ctx context.Context, s *store.Store, r ChannelRequest) (store.Channel, error) {
	u, err := unitByCode(ctx, s.DB, r.Unit)
	if err != nil {
		return store.Channel{}, err
	}
	kind, rawURL := strings.TrimSpace(r.Kind), strings.TrimSpace(r.URL)
	if r.ID != 0 {
		if kind != "" || rawURL != "" {
			return store.Channel{}, errors.New("请用 -id，或用 -kind 和 -url 指明机器人，不要同时使用")
		}
		chans, err := store.ListChannels(ctx, s.DB, u.ID)
		if err != nil {
			return store.Channel{}, err
		}
		for _, c := range chans {
			if c.ID == r.ID {
				kind, rawURL = c.Kind, c.URL
			}
		}
		if kind == "" {
			return store.Channel{}, fmt.Errorf("-id：%s没有编号为 %d 的机器人（zeren channel list -unit %s 列出它的机器人）", u.Name, r.ID, u.Code)
		}
	} else {
		in := store.ChannelInput{UnitID: u.ID, Kind: kind, URL: rawURL}
		if err := store.ValidateChannel(&in); err != nil {
			return store.Channel{}, inputError(err)
		}
	}
	var (
		ch    store.Channel
		found bool
	)
	err = s.InTx(ctx, func(tx *sqlx.Tx) error {
		ch, found, err = store.DisableChannel(ctx, tx, u.ID, kind, rawURL, store.ActorCLI)
		return err
	})
	if err != nil {
		return store.Channel{}, err
	}
	if !found {
		return store.Channel{}, fmt.Errorf("%s没有这个%s（zeren channel list -unit %s 列出它的机器人）", u.Name, store.ChannelKindName(kind), u.Code)
	}
	return ch, nil
}

// ListUnitChannels lists one unit's channels (unit code given) or every unit's.
func ListUnitChannels(ctx context.Context, s *store.Store, unit string) ([]store.Channel, error) {
	var id int64
	if strings.TrimSpace(unit) != "" {
		u, err := unitByCode(ctx, s.DB, unit)
		if err != nil {
			return nil, err
		}
		id = u.ID
	}
	return store.ListChannels(ctx, s.DB, id)
}

// DescribeChannel is one line about a channel, its token and secret masked.
func DescribeChannel(c store.Channel) string {
	state := "启用"
	if !c.Enabled {
		state = "已停用"
	}
	signed := "不加签"
	if c.Secret != "" {
		signed = "加签密钥 " + c.Secret.String()
	}
	return fmt.Sprintf("%s（%s）的%s #%d，%s，%s：%s", c.UnitName, c.UnitCode, store.ChannelKindName(c.Kind), c.ID, state, signed, store.RedactURL(c.URL))
}

// WriteChannels writes channels as a table: id, unit, kind, state, secret
// (masked), URL (its token masked) and the unit's name (last: tabwriter
// cannot align wide characters).
func WriteChannels(w io.Writer, chans []store.Channel) error {
	if len(chans) == 0 {
		_, err := fmt.Fprintln(w, "没有配置机器人（zeren channel set 配置）")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUNIT\tKIND\tSTATE\tSECRET\tURL\tNAME")
	for _, c := range chans {
		state := "enabled"
		if !c.Enabled {
			state = "disabled"
		}
		secret := c.Secret.String()
		if secret == "" {
			secret = "-"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.UnitCode, c.Kind, state, secret, store.RedactURL(c.URL), c.UnitName)
	}
	return tw.Flush()
}
