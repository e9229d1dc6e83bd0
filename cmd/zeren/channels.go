package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/zeren-county/zeren/internal/config"
	"github.com/zeren-county/zeren/internal/notify"
)

const channelUsage = `usage: zeren channel <set|list|disable> [flags]

A unit's DingTalk (钉钉) and WeCom (企业微信) group robots: every notification of
the unit goes to each enabled one, beside the webhook or the log.

  zeren channel set -unit jcg -kind dingtalk -url 'https://oapi.dingtalk.com/robot/send?access_token=…' [-secret SEC…]
  zeren channel set -unit jcg -kind wecom -url 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…'
  zeren channel list [-unit jcg]
  zeren channel disable -unit jcg -kind dingtalk -url '…'    (or: -unit jcg -id 3)

-secret is the DingTalk robot's signing secret (加签); -secret - reads it from
standard input, which keeps it out of the shell's history. Setting a robot again
updates it and enables it; without -secret it keeps its secret, -secret ''
removes it. list masks every secret and token.
`

// runChannel configures a unit's group robots (DATABASE_URL).
func runChannel(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(os.Stderr, channelUsage)
		if len(args) == 0 {
			return errors.New("channel: set, list or disable?")
		}
		return nil
	}
	sub := args[0]
	var r notify.ChannelRequest
	define := func(fs *flag.FlagSet) {
		fs.Usage = func() {
			fmt.Fprint(fs.Output(), channelUsage+"\nflags of zeren channel "+sub+":\n")
			fs.PrintDefaults()
		}
		fs.StringVar(&r.Unit, "unit", "", "unit code, e.g. jcg")
		switch sub {
		case "set":
			fs.StringVar(&r.Kind, "kind", "", "dingtalk or wecom")
			fs.StringVar(&r.URL, "url", "", "the robot's webhook URL")
			fs.Var(secretFlag{&r.Secret, &r.SetSecret}, "secret", "DingTalk signing `secret` (SEC…); - reads it from standard input; '' removes it")
		case "disable":
			fs.StringVar(&r.Kind, "kind", "", "dingtalk or wecom")
			fs.StringVar(&r.URL, "url", "", "the robot's webhook URL")
			fs.Int64Var(&r.ID, "id", 0, "the robot's id (zeren channel list), instead of -kind and -url")
		}
	}
	switch sub {
	case "set", "list", "disable":
	default:
		fmt.Fprint(os.Stderr, channelUsage)
		return fmt.Errorf("channel: unknown subcommand %q (set, list or disable)", sub)
	}
	cfg, err := flags("channel "+sub, args[1:], define)
	if err != nil {
		return err
	}
	if r.SetSecret && r.Secret == "-" {
		if r.Secret, err = readSecret(os.Stdin); err != nil {
			return err
		}
	}
	return channelCommand(ctx, cfg, sub, r, os.Stdout)
}

func channelCommand(ctx context.Context, cfg config.Config, sub string, r notify.ChannelRequest, out io.Writer) error {
	s, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	switch sub {
	case "set":
		ch, created, err := notify.SetUnitChannel(ctx, s, r)
		if err != nil {
			return err
		}
		did := "已更新"
		if created {
			did = "已添加"
		}
		_, err = fmt.Fprintf(out, "%s %s\n", did, notify.DescribeChannel(ch))
		return err
	case "disable":
		ch, err := notify.DisableUnitChannel(ctx, s, r)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "%s\n", notify.DescribeChannel(ch))
		return err
	default:
		chans, err := notify.ListUnitChannels(ctx, s, r.Unit)
		if err != nil {
			return err
		}
		return notify.WriteChannels(out, chans)
	}
}

// secretFlag is -secret: it records that it was given (even empty), and
// never shows its value, not even in the flags' help.
type secretFlag struct {
	value *string
	set   *bool
}

func (f secretFlag) String() string { return "" }

func (f secretFlag) Set(v string) error {
	*f.value, *f.set = v, true
	return nil
}

// readSecret reads a secret from the first line of in.
func readSecret(in io.Reader) (string, error) {
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("-secret -: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// robotChannels is the outbox dispatcher's group-robot sender, as configured
// (notify.linkBase, notify.allowPrivate): the dispatcher delivers to the
// units' robots when its Channels is set to it.
func robotChannels(cfg config.Config) notify.ChannelSender {
	return &notify.RobotSender{LinkBase: cfg.Notify.LinkBase, AllowPrivate: cfg.Notify.AllowPrivate}
}
