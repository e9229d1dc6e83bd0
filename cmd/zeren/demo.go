package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/zeren-county/zeren/internal/demo"
)

// demoOptions are the demo bot's flags, shared by `zeren demo` and `zeren dev -demo`.
type demoOptions struct {
	campaign string
	speed    float64
	late     string
	lateRate float64
	maxLate  int
	seed     int64
}

func (o *demoOptions) define(fs *flag.FlagSet) {
	d := demo.DefaultModel()
	fs.StringVar(&o.campaign, "campaign", "linyou-demo", "id of the demo campaign to create and play")
	fs.Float64Var(&o.speed, "speed", 40000, "campaign clock speed (40000: three years in about 40 minutes)")
	fs.StringVar(&o.late, "late", "gaj=2,cm=12", "units always late, as code=days,…")
	fs.Float64Var(&o.lateRate, "late-rate", d.LateRate, "share of other units' submissions that are late")
	fs.IntVar(&o.maxLate, "max-late-days", d.MaxLateDays, "how late those are, at most, in days")
	fs.Int64Var(&o.seed, "seed", d.Seed, "seed of the behaviour model")
}

func (o *demoOptions) model() (demo.Model, error) {
	m := demo.DefaultModel()
	m.LateRate, m.MaxLateDays, m.Seed = o.lateRate, o.maxLate, o.seed
	m.LateUnits = map[string]int{}
	for _, part := range strings.Split(o.late, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		code, days, ok := strings.Cut(part, "=")
		n, err := strconv.Atoi(days)
		if !ok || err != nil || n < 0 {
			return m, fmt.Errorf("-late: %q is not code=days", part)
		}
		m.LateUnits[code] = n
	}
	return m, nil
}

// runDemo plays the demo county against a running zeren (`zeren dev`).
func runDemo(ctx context.Context, args []string) error {
	var o demoOptions
	var apiURL, tokensPath string
	if _, err := flags("demo", args, func(fs *flag.FlagSet) {
		o.define(fs)
		fs.StringVar(&apiURL, "api", "http://127.0.0.1:8080", "the API's base URL")
		fs.StringVar(&tokensPath, "tokens", filepath.Join(".zeren", "demo-tokens.json"), "the demo people's tokens, as zeren dev writes them")
	}); err != nil {
		return err
	}
	b, err := os.ReadFile(tokensPath)
	if err != nil {
		return fmt.Errorf("read tokens (run zeren dev first): %w", err)
	}
	var people []demo.Person
	if err := json.Unmarshal(b, &people); err != nil {
		return fmt.Errorf("%s: %w", tokensPath, err)
	}
	return playDemo(ctx, apiURL, people, o, newLogger())
}

// playDemo creates the demo campaign, runs it, and plays the county until the
// campaign's calendar has run out and no task is open, reporting each month.
func playDemo(ctx context.Context, apiURL string, people []demo.Person, o demoOptions, log *slog.Logger) error {
	model, err := o.model()
	if err != nil {
		return err
	}
	bot := &demo.Bot{BaseURL: apiURL, People: people, Model: model, Log: log, Documents: demo.Documents(), Meetings: demo.CampaignMeetings(),
		Materials: demo.Stocks(), Loans: demo.Loans(), Drills: demo.Drills()}
	spec := demo.DemoCampaign(o.campaign, o.speed)
	for i := 0; ; i++ {
		if err = bot.Start(ctx, spec, "yjj-office", "linyou-deputy"); err == nil || i == 30 || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Second) // the API may still be starting
	}
	if err != nil {
		return err
	}
	// 2020's inspections, hazards, stop orders and cases as the ledger's
	// history, so the statistics show the county report's figures (their
	// idempotency keys make a second start record nothing twice). Recorded
	// while the bot plays: the campaign's clock runs meanwhile, and a minute
	// of recording at a fast clock would be weeks of tasks left unanswered.
	recorded := make(chan error, 1)
	go func() {
		err := record2020(ctx, bot, log)
		if err != nil {
			log.Error("demo: recording 2020's inspections failed", "error", err)
		}
		recorded <- err
	}()
	log.Info("demo campaign running", "campaign", spec.ID, "speed", spec.ClockSpeed, "late", o.late, "late_rate", model.LateRate)
	month := ""
	start := time.Now()
	err = bot.Run(ctx, spec.ID, "yjj-office", func(st demo.CampaignStatus) bool {
		if m := st.Now.Format("2006-01"); m != month {
			month = m
			log.Info("demo", "campaign_time", st.Now.Format("2006-01-02"), "phase", st.Phase, "open", st.Counts.Open, "done", st.Counts.Done, "overdue", st.Counts.Overdue)
		}
		return !st.Running && st.Counts.Open == 0 && st.Now.After(time.Date(2023, 1, 31, 0, 0, 0, 0, time.UTC))
	})
	log.Info("demo finished", "wall", time.Since(start).Round(time.Second), "completions", bot.Acted)
	return errors.Join(err, <-recorded)
}

// record2020 records the inspections, hazards, stop orders, cases, training
// sessions, publicity items and meetings of 2020 through the API, as the inspectors and
// the units would (demo.Records2020).
func record2020(ctx context.Context, bot *demo.Bot, log *slog.Logger) error {
	rec := demo.Recorder{Bot: bot}
	producers, err := rec.Producers(ctx, "yjj-office")
	if err != nil {
		return err
	}
	records, err := demo.Records2020(demo.ReportOf2020(), producers, 1)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := rec.RecordAll(ctx, records); err != nil {
		return err
	}
	log.Info("demo recorded 2020's inspections, hazards, stop orders, cases, training sessions, publicity and meetings", "records", len(records), "wall", time.Since(start).Round(time.Millisecond))
	return nil
}

// quietReads drops the log lines of successful GET requests: the demo bot reads
// every inbox several times a second, which would bury everything else.
type quietReads struct{ slog.Handler }

func (q quietReads) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "http request" && r.Level == slog.LevelInfo {
		get, ok := false, true
		r.Attrs(func(a slog.Attr) bool {
			switch a.Key {
			case "method":
				get = a.Value.String() == "GET"
			case "status":
				ok = a.Value.Int64() < 400
			}
			return true
		})
		if get && ok {
			return nil
		}
	}
	return q.Handler.Handle(ctx, r)
}

func (q quietReads) WithAttrs(attrs []slog.Attr) slog.Handler {
	return quietReads{q.Handler.WithAttrs(attrs)}
}

func (q quietReads) WithGroup(name string) slog.Handler { return quietReads{q.Handler.WithGroup(name)} }
