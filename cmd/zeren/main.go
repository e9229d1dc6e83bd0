// Command zeren is the one binary: dev, worker, api, migrate, temporal-setup, seed, token,
// account, audit (verify), demo and channel (set, list, disable: a unit's
// DingTalk and WeCom group robots).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/gin-gonic/gin"
)

const usage = `zeren — the county work-safety responsibility engine (安全生产责任制)

usage: zeren <command> [flags]

commands:
  dev       run everything on this machine: embedded Temporal and its UI, a local
            PostgreSQL (unless DATABASE_URL is set), migrations, the demo county,
            the worker, the API and the web pages
  worker    run a worker against the Temporal cluster in temporal.yaml
  api       serve the HTTP API
  migrate   apply database migrations (DATABASE_URL)
  temporal-setup
            register zeren's search attributes (ZerenCampaign, ZerenUnit, …) on
            the Temporal namespace of temporal.yaml; idempotent, run once per
            cluster (zeren dev does it itself)
  seed      load the demo county (DATABASE_URL)
  token     issue a bearer token for a person: zeren token -person KEY
  account   open a person's web account and print the one-time link to set its
            password: zeren account -person KEY -username NAME
  channel   a unit's DingTalk / WeCom group robots: zeren channel set|list|disable
  audit     verify the audit log's hash chain: zeren audit verify
  demo      play the demo county against a running zeren dev: create a fast
            campaign (2020-04 to 2022-12) and act as the units' heads through
            the API, most on time, a few late (zeren dev -demo does both)

every command takes -config FILE (default temporal.yaml); environment variables
override the file (see temporal.yaml).
`

func main() {
	gin.SetMode(gin.ReleaseMode)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "zeren:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return errors.New("no command given")
	}
	cmds := map[string]func(context.Context, []string) error{
		"dev":            runDev,
		"worker":         runWorker,
		"api":            runAPI,
		"migrate":        runMigrate,
		"temporal-setup": runTemporalSetup,
		"seed":           runSeed,
		"token":          runToken,
		"audit":          runAudit,
		"demo":           runDemo,
		"channel":        runChannel,
		"account":        runAccount,
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
			fmt.Fprint(os.Stdout, usage)
			return nil
		}
		fmt.Fprint(os.Stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
	return cmd(ctx, args[1:])
}
