package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/zeren-county/zeren/internal/store"
)

// Person is someone the bot acts as: the demo people and their bearer tokens.
type Person struct {
	Key      string `json:"person"`
	Role     string `json:"role"`
	UnitCode string `json:"unit_code"`
	Token    string `json:"token"`
}

// Bot plays the model through the public API, as the county's people would:
// each person reads their own inbox and completes their tasks when the model
// says, in campaign time.
type Bot struct {
	BaseURL string // e.g. http://127.0.0.1:8080
	People  []Person
	Model   Model
	// Poll is how often (wall time) every inbox is read; default 250 ms.
	Poll time.Duration
	HTTP *http.Client
	Log  *slog.Logger

	mu      sync.Mutex
	planned map[string]Action
	acted   map[string]bool
	// Acted counts completions by task kind.
	Acted map[string]int
}

// CampaignSpec is the campaign the demo creates.
type CampaignSpec struct {
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	StartsOn   string  `json:"starts_on"`
	EndsOn     string  `json:"ends_on,omitempty"`
	ClockSpeed float64 `json:"clock_speed"`
}

// DemoCampaign is the demo county's three-year campaign, 2020-04 to 2022-12, at speed.
func DemoCampaign(id string, speed float64) CampaignSpec {
	return CampaignSpec{ID: id, Name: "麟游县安全生产专项整治三年行动（演示）", StartsOn: "2020-04-01", EndsOn: "2022-12-31", ClockSpeed: speed}
}

// actors are the people whose inboxes the bot reads: everyone but staff and the administrator.
func (b *Bot) actors() []Person {
	var out []Person
	seen := map[string]bool{}
	for _, p := range b.People {
		if p.Role == "staff" || p.Role == "admin" || p.Role == "inspector" || seen[p.Key] {
			continue
		}
		seen[p.Key] = true
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// person finds a person by key.
func (b *Bot) person(key string) (Person, bool) {
	for _, p := range b.People {
		if p.Key == key {
			return p, true
		}
	}
	return Person{}, false
}

// Start creates the campaign as the safety office (an existing one is kept)
// and runs its calendar as a leader.
func (b *Bot) Start(ctx context.Context, spec CampaignSpec, office, leader string) error {
	op, ok := b.person(office)
	if !ok {
		return fmt.Errorf("no token for %s", office)
	}
	lp, ok := b.person(leader)
	if !ok {
		return fmt.Errorf("no token for %s", leader)
	}
	status, body, err := b.call(ctx, op, http.MethodPost, "/api/v1/campaigns", "", spec)
	if err != nil {
		return err
	}
	if status != http.StatusCreated && status != http.StatusConflict {
		return fmt.Errorf("create campaign: %d %s", status, body)
	}
	status, body, err = b.call(ctx, lp, http.MethodPost, "/api/v1/campaigns/"+spec.ID+"/run", "", map[string]any{})
	if err != nil {
		return err
	}
	if status != http.StatusAccepted && status != http.StatusOK {
		return fmt.Errorf("run campaign: %d %s", status, body)
	}
	return nil
}

// CampaignStatus is the part of GET /campaigns/{id} the bot watches.
type CampaignStatus struct {
	Running       bool      `json:"running"`
	Now           time.Time `json:"now"`
	Phase         string    `json:"phase"`
	CurrentPeriod string    `json:"current_period"`
	Counts        struct {
		Open, Done, Overdue int
	} `json:"counts"`
}

// Status reads the campaign as the given person sees it.
func (b *Bot) Status(ctx context.Context, id, as string) (CampaignStatus, error) {
	var st CampaignStatus
	p, ok := b.person(as)
	if !ok {
		return st, fmt.Errorf("no token for %s", as)
	}
	status, body, err := b.call(ctx, p, http.MethodGet, "/api/v1/campaigns/"+id, "", nil)
	if err != nil {
		return st, err
	}
	if status != http.StatusOK {
		return st, fmt.Errorf("campaign %s: %d %s", id, status, body)
	}
	return st, json.Unmarshal(body, &st)
}

// Run reads every actor's inbox each Poll and acts on what is due, until ctx
// ends or until(status) says to stop (checked once per round as the observer).
func (b *Bot) Run(ctx context.Context, campaignID, observer string, until func(CampaignStatus) bool) error {
	if b.Poll <= 0 {
		b.Poll = 250 * time.Millisecond
	}
	if b.HTTP == nil {
		b.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	b.mu.Lock()
	if b.planned == nil {
		b.planned, b.acted, b.Acted = map[string]Action{}, map[string]bool{}, map[string]int{}
	}
	b.mu.Unlock()
	tick := time.NewTicker(b.Poll)
	defer tick.Stop()
	for {
		for _, p := range b.actors() {
			if err := b.round(ctx, p); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				b.logf("inbox round failed", "person", p.Key, "error", err)
			}
		}
		if until != nil {
			st, err := b.Status(ctx, campaignID, observer)
			if err == nil && until(st) {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

type inboxPage struct {
	Tasks        []store.Task         `json:"tasks"`
	NextCursor   string               `json:"next_cursor"`
	CampaignTime map[string]time.Time `json:"campaign_time"`
}

// round reads one person's open tasks and completes those whose time has come.
func (b *Bot) round(ctx context.Context, p Person) error {
	cursor := ""
	for {
		q := url.Values{"limit": {"200"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		status, body, err := b.call(ctx, p, http.MethodGet, "/api/v1/inbox?"+q.Encode(), "", nil)
		if err != nil {
			return err
		}
		if status != http.StatusOK {
			return fmt.Errorf("inbox: %d %s", status, body)
		}
		var page inboxPage
		if err := json.Unmarshal(body, &page); err != nil {
			return err
		}
		wall := time.Now()
		for _, t := range page.Tasks {
			now := wall
			if t.CampaignID != nil {
				if ct, ok := page.CampaignTime[*t.CampaignID]; ok {
					now = ct
				}
			}
			if err := b.consider(ctx, p, t, now); err != nil {
				return err
			}
		}
		if page.NextCursor == "" {
			return nil
		}
		cursor = page.NextCursor
	}
}

func (b *Bot) consider(ctx context.Context, p Person, t store.Task, now time.Time) error {
	b.mu.Lock()
	if b.acted[t.ID] {
		b.mu.Unlock()
		return nil
	}
	a, ok := b.planned[t.ID]
	if !ok {
		a = b.Model.Decide(t)
		b.planned[t.ID] = a
	}
	b.mu.Unlock()
	if now.Before(a.At) {
		return nil
	}
	status, body, err := b.call(ctx, p, http.MethodPost, "/api/v1/tasks/"+url.PathEscape(t.ID)+"/complete", t.ID, a.Payload)
	if err != nil {
		return err
	}
	switch {
	case status == http.StatusOK:
		b.mu.Lock()
		b.acted[t.ID] = true
		b.Acted[t.Kind]++
		b.mu.Unlock()
	case status == http.StatusConflict || status == http.StatusNotFound:
		b.mu.Lock()
		b.acted[t.ID] = true // another holder acted, or the process closed it
		b.mu.Unlock()
	case status >= 500:
		return fmt.Errorf("complete %s: %d %s", t.ID, status, body)
	default:
		b.mu.Lock()
		b.acted[t.ID] = true
		b.mu.Unlock()
		b.logf("completion refused", "task", t.ID, "status", status, "problem", strings.TrimSpace(string(body)))
	}
	return nil
}

// call sends one request as p; idem, when set, is the Idempotency-Key.
func (b *Bot) call(ctx context.Context, p Person, method, path, idem string, in any) (int, []byte, error) {
	var rd io.Reader
	if in != nil {
		buf, err := json.Marshal(in)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(b.BaseURL, "/")+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+p.Token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if idem != "" {
		req.Header.Set("Idempotency-Key", idem)
	}
	client := b.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	return resp.StatusCode, body, err
}

func (b *Bot) logf(msg string, args ...any) {
	if b.Log != nil {
		b.Log.Warn(msg, args...)
	}
}
