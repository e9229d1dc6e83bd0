package demo

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/zeren-county/zeren/internal/seed"
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
	// Poll is how often (wall time) a round of inbox reads starts; default 250 ms.
	Poll time.Duration
	// Workers is how many inboxes are read at once, and how many completions
	// are in flight at once; default 8.
	Workers int
	// IdleReads is how many actors whose inbox was empty at their last read
	// are read in a round, in turn; default 50. Actors with open tasks are
	// read every round. In the demo county (about 50 actors) that is everyone
	// every round; in a province of 2,500 units an idle unit head is read once
	// every 50 rounds, so the rounds' reads stay within what the server serves.
	IdleReads int
	HTTP      *http.Client
	Log       *slog.Logger

	mu      sync.Mutex
	planned map[string]Action
	acted   map[string]bool
	idle    map[string]bool // actor key → their inbox was empty at the last read
	next    int             // the actor index the next round's idle reads start at
	slots   chan struct{}   // completions in flight
	// Acted counts completions by task kind.
	Acted map[string]int
	// Documents are the policy documents the bot issues when their campaign time comes (IssueDue).
	Documents []Document
	// Meetings are the campaign's meetings the bot records when their campaign time comes (RecordMeetingsDue).
	Meetings []Meeting
	issued   map[string]int64 // document, meeting, loan and drill key → its id
	// Materials are the mines' rescue materials the bot records, and Loans the
	// loans it asks for when their campaign time comes (ShareDue).
	Materials []Stock
	Loans     []LoanPlay
	stocked   map[string]int64 // stock key → its item id
	// Drills are the joint drills the bot plans when their campaign time comes (PlanDue).
	Drills []Drill
}

// CampaignSpec is the campaign the demo creates.
type CampaignSpec struct {
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	StartsOn   string  `json:"starts_on"`
	EndsOn     string  `json:"ends_on,omitempty"`
	ClockSpeed float64 `json:"clock_speed"`
	// Policy, when set, is the campaign's policy (unset fields take the defaults).
	Policy map[string]any `json:"policy,omitempty"`
}

// DemoCampaign is the demo county's three-year campaign, 2020-04 to 2022-12,
// at speed, with the seed's periodic meetings (the 麟北矿区 technical
// exchange meeting each quarter).
func DemoCampaign(id string, speed float64) CampaignSpec {
	spec := CampaignSpec{ID: id, Name: "麟游县安全生产专项整治三年行动（演示）", StartsOn: "2020-04-01", EndsOn: "2022-12-31", ClockSpeed: speed}
	if c, err := seed.Demo(); err == nil && len(c.Campaign.Meetings) > 0 { // the embedded seed parses (seed's tests)
		spec.Policy = map[string]any{"meetings": c.Campaign.Meetings}
	}
	return spec
}

// actors are the people whose inboxes the bot reads: everyone but staff and
// the administrator. Inspectors are read too: they verify the rectification
// of the hazards a joint drill found (hazard.verify).
func (b *Bot) actors() []Person {
	var out []Person
	seen := map[string]bool{}
	for _, p := range b.People {
		if p.Role == "staff" || p.Role == "admin" || seen[p.Key] {
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

// Run reads the actors' inboxes each Poll (those with open tasks every round,
// the idle ones IdleReads a round, in turn) and acts on what is due, until ctx
// ends or until(status) says to stop (checked once per round as the observer).
func (b *Bot) Run(ctx context.Context, campaignID, observer string, until func(CampaignStatus) bool) error {
	if b.Poll <= 0 {
		b.Poll = 250 * time.Millisecond
	}
	if b.Workers <= 0 {
		b.Workers = 8
	}
	if b.IdleReads <= 0 {
		b.IdleReads = 50
	}
	if b.HTTP == nil {
		b.HTTP = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 2 * b.Workers}}
	}
	b.mu.Lock()
	if b.planned == nil {
		b.planned, b.acted, b.Acted, b.idle = map[string]Action{}, map[string]bool{}, map[string]int{}, map[string]bool{}
	}
	if b.slots == nil {
		b.slots = make(chan struct{}, b.Workers)
	}
	b.mu.Unlock()
	tick := time.NewTicker(b.Poll)
	defer tick.Stop()
	for {
		b.readAll(ctx, b.toRead(b.actors()))
		if ctx.Err() != nil {
			return nil
		}
		if len(b.Documents) > 0 || len(b.Meetings) > 0 || len(b.Materials) > 0 || len(b.Loans) > 0 || len(b.Drills) > 0 {
			if st, err := b.Status(ctx, campaignID, observer); err == nil {
				if _, err := b.IssueDue(ctx, campaignID, st.Now); err != nil && ctx.Err() == nil {
					b.logf("issuing a policy document failed", "error", err)
				}
				if _, err := b.RecordMeetingsDue(ctx, campaignID, st.Now); err != nil && ctx.Err() == nil {
					b.logf("recording a meeting failed", "error", err)
				}
				if _, err := b.ShareDue(ctx, st.Now); err != nil && ctx.Err() == nil {
					b.logf("recording rescue materials or asking for a loan failed", "error", err)
				}
				if _, err := b.PlanDue(ctx, campaignID, st.Now); err != nil && ctx.Err() == nil {
					b.logf("planning a joint drill failed", "error", err)
				}
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

// toRead answers the actors to read this round: every one with open tasks at
// their last read (or never read), and up to IdleReads idle ones, from where
// the last round's idle reads stopped.
func (b *Bot) toRead(actors []Person) []Person {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []Person
	idle := 0
	for _, p := range actors {
		if b.idle[p.Key] {
			idle++
		} else {
			out = append(out, p)
		}
	}
	if idle <= b.IdleReads {
		for _, p := range actors {
			if b.idle[p.Key] {
				out = append(out, p)
			}
		}
		return out
	}
	for i, taken := 0, 0; i < len(actors) && taken < b.IdleReads; i++ {
		j := (b.next + i) % len(actors)
		if b.idle[actors[j].Key] {
			out = append(out, actors[j])
			taken++
			b.next = j + 1
		}
	}
	return out
}

// readAll reads the people's inboxes, Workers at a time, and acts on them.
func (b *Bot) readAll(ctx context.Context, people []Person) {
	work := make(chan Person)
	var wg sync.WaitGroup
	for range min(b.Workers, len(people)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				open, err := b.round(ctx, p)
				if err != nil {
					if ctx.Err() == nil {
						b.logf("inbox round failed", "person", p.Key, "error", err)
					}
					continue
				}
				b.mu.Lock()
				b.idle[p.Key] = open == 0
				b.mu.Unlock()
			}
		}()
	}
	for _, p := range people {
		select {
		case work <- p:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(work)
	wg.Wait()
}

type inboxPage struct {
	Tasks        []store.Task         `json:"tasks"`
	NextCursor   string               `json:"next_cursor"`
	CampaignTime map[string]time.Time `json:"campaign_time"`
}

// round reads one person's open tasks and completes those whose time has
// come, Workers at a time; it answers how many tasks were open.
func (b *Bot) round(ctx context.Context, p Person) (int, error) {
	type due struct {
		t store.Task
		a Action
	}
	var todo []due
	open, cursor := 0, ""
	for {
		q := url.Values{"limit": {"200"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		status, body, err := b.call(ctx, p, http.MethodGet, "/api/v1/inbox?"+q.Encode(), "", nil)
		if err != nil {
			return open, err
		}
		if status != http.StatusOK {
			return open, fmt.Errorf("inbox: %d %s", status, body)
		}
		var page inboxPage
		if err := json.Unmarshal(body, &page); err != nil {
			return open, err
		}
		wall := time.Now()
		for _, t := range page.Tasks {
			open++
			now := wall
			if t.CampaignID != nil {
				if ct, ok := page.CampaignTime[*t.CampaignID]; ok {
					now = ct
				}
			}
			if a, ok := b.ready(t, now); ok {
				todo = append(todo, due{t, a})
			}
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for _, d := range todo {
		select {
		case b.slots <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return open, ctx.Err()
		}
		wg.Add(1)
		go func() {
			defer func() { <-b.slots; wg.Done() }()
			if err := b.complete(ctx, p, d.t, d.a); err != nil {
				mu.Lock()
				first = cmp.Or(first, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return open, first
}

// ready answers the action the model chose for the task (chosen once) and
// whether its time has come at now; a task already acted on is never ready.
func (b *Bot) ready(t store.Task, now time.Time) (Action, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.acted[t.ID] {
		return Action{}, false
	}
	a, ok := b.planned[t.ID]
	if !ok {
		a = b.Model.Decide(t)
		b.planned[t.ID] = a
	}
	return a, !now.Before(a.At)
}

// complete completes the task as p with the action's payload.
func (b *Bot) complete(ctx context.Context, p Person, t store.Task, a Action) error {
	if a.Meeting != nil {
		id, err := b.recordMeeting(ctx, p, a.Meeting)
		if err != nil {
			return err
		}
		if id == 0 { // refused and logged: not tried again
			b.mu.Lock()
			b.acted[t.ID] = true
			b.mu.Unlock()
			return nil
		}
		a.Payload = map[string]any{"meeting_id": id}
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

// recordMeeting records a periodic meeting for its minutes task, chaired by
// p, and answers its id (0 when the API refused it: logged, the task left).
func (b *Bot) recordMeeting(ctx context.Context, p Person, meeting map[string]any) (int64, error) {
	m := maps.Clone(meeting)
	m["chair"] = p.Key
	status, body, err := b.call(ctx, p, http.MethodPost, "/api/v1/meetings", fmt.Sprint("minutes:", m["minutes_task"]), m)
	if err != nil {
		return 0, err
	}
	if status != http.StatusOK && status != http.StatusCreated {
		if status >= 500 {
			return 0, fmt.Errorf("record meeting: %d %s", status, body)
		}
		b.logf("meeting refused", "task", m["minutes_task"], "status", status, "problem", strings.TrimSpace(string(body)))
		return 0, nil
	}
	return decodeID(body)
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
