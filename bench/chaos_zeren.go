package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/zeren-county/zeren/internal/pgdev"
)

// chaosRun is one chaos run: its folder, ports, the zeren process it drives,
// and what happened.
type chaosRun struct {
	opts chaosOptions
	dir  string // temporary folder: the binary, the data folder, the log
	bin  string // the zeren binary built for the run
	data string // zeren dev's data folder
	log  string // zeren's output, every start appended
	// ports of zeren dev: the API, the Temporal frontend and UI, PostgreSQL.
	apiPort, temporalPort, uiPort, pgPort int
	// devFlags are zeren dev's flags before the folder and ports (chaos: -demo -speed …).
	devFlags []string

	zeren      *zerenProcess
	tokens     map[string]string // person key → bearer token
	http       *http.Client
	began      time.Time // when the run began
	buildTime  time.Duration
	firstStart time.Time // when zeren first started
	faults     []faultRecord
	continuity []string  // problems found with the campaign after a restart
	pausedAt   time.Time // campaign time when the pause was asked for
}

// zerenProcess is a running `zeren dev`, in a process group of its own.
type zerenProcess struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once it has exited
	err  error         // its exit, once done is closed
}

// newChaosRun makes the temporary folder and picks free ports.
func newChaosRun(opts chaosOptions) (*chaosRun, error) {
	dir, err := os.MkdirTemp("", "zeren-chaos-")
	if err != nil {
		return nil, fmt.Errorf("temporary folder: %w", err)
	}
	r := &chaosRun{opts: opts, dir: dir, bin: filepath.Join(dir, "zeren"), data: filepath.Join(dir, "data"),
		log: filepath.Join(dir, "zeren.log"), http: &http.Client{Timeout: 30 * time.Second}, began: time.Now(),
		devFlags: []string{"-demo", "-speed", strconv.FormatFloat(opts.speed, 'f', -1, 64)}}
	if err := r.pickPorts(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return r, nil
}

// pickPorts asks the kernel for four distinct free ports.
func (r *chaosRun) pickPorts() error {
	seen := map[int]bool{}
	for _, p := range []*int{&r.apiPort, &r.temporalPort, &r.uiPort, &r.pgPort} {
		for *p == 0 || seen[*p] {
			port, err := pgdev.FreePort()
			if err != nil {
				return fmt.Errorf("free port: %w", err)
			}
			*p = port
		}
		seen[*p] = true
	}
	return nil
}

// databaseURL is the URL of zeren dev's own PostgreSQL.
func (r *chaosRun) databaseURL() string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/zeren?sslmode=disable", pgdev.User, r.pgPort)
}

// build builds the zeren binary into the run's folder.
func (r *chaosRun) build(ctx context.Context) error {
	start := time.Now()
	fmt.Println("building zeren (the first build links the Temporal server: minutes on two cores)…")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", r.bin, "./cmd/zeren")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/zeren: %w\n%s", err, out)
	}
	r.buildTime = time.Since(start)
	return nil
}

// childEnv is this process's environment without what would steer zeren dev
// away from its own PostgreSQL and folders.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "DATABASE_URL=") || strings.HasPrefix(kv, "ZEREN_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// startZeren starts `zeren dev` with devFlags on the run's folder and ports, its
// output appended to the log, and waits until /readyz answers 200; then it
// reads the demo tokens.
func (r *chaosRun) startZeren(ctx context.Context) error {
	logFile, err := os.OpenFile(r.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("zeren log: %w", err)
	}
	defer logFile.Close()
	fmt.Fprintf(logFile, "\n===== chaos: zeren dev starts at %s =====\n", time.Now().Format(time.RFC3339Nano))
	args := append(append([]string{"dev"}, r.devFlags...), "--data", r.data, "--port", strconv.Itoa(r.apiPort), "--temporal-port", strconv.Itoa(r.temporalPort),
		"--ui-port", strconv.Itoa(r.uiPort), "--pg-port", strconv.Itoa(r.pgPort))
	cmd := exec.Command(r.bin, args...)
	cmd.Env = childEnv()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// A group of its own: a SIGKILL of the group is a crash of the whole process,
	// and the terminal's Ctrl-C reaches this run, which stops zeren itself.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start zeren dev: %w", err)
	}
	p := &zerenProcess{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	r.zeren = p
	if r.firstStart.IsZero() {
		r.firstStart = time.Now()
	}
	if err := r.awaitReady(ctx, 3*time.Minute); err != nil {
		return err
	}
	return r.loadTokens()
}

// exited says whether the current zeren has exited.
func (r *chaosRun) exited() bool {
	if r.zeren == nil {
		return true
	}
	select {
	case <-r.zeren.done:
		return true
	default:
		return false
	}
}

// awaitReady polls /readyz until it answers 200; it fails if zeren exits.
func (r *chaosRun) awaitReady(ctx context.Context, timeout time.Duration) error {
	return poll(ctx, 250*time.Millisecond, timeout, "/readyz to answer 200", func() (bool, error) {
		if r.exited() {
			return false, fmt.Errorf("zeren exited (%v): see %s", r.zeren.err, r.log)
		}
		return r.readyStatus(ctx) == http.StatusOK, nil
	})
}

// readyStatus is the status /readyz answers now (0 when it does not answer).
func (r *chaosRun) readyStatus(ctx context.Context) int {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/readyz", r.apiPort), nil)
	if err != nil {
		return 0
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// loadTokens reads the demo people's tokens zeren dev wrote.
func (r *chaosRun) loadTokens() error {
	path := filepath.Join(r.data, "demo-tokens.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("demo tokens: %w", err)
	}
	var list []struct {
		Person string `json:"person"`
		Token  string `json:"token"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	r.tokens = map[string]string{}
	for _, t := range list {
		r.tokens[t.Person] = t.Token
	}
	return nil
}

// killAndRestart kills zeren's whole process group with SIGKILL, notes
// whether its PostgreSQL outlived it, starts zeren again on the same folder
// and ports and waits until it is ready.
func (r *chaosRun) killAndRestart(ctx context.Context, rec *faultRecord) error {
	pid := r.zeren.cmd.Process.Pid
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill process group %d: %w", pid, err)
	}
	<-r.zeren.done
	killed := time.Now()
	if pm, err := r.postmasterPID(); err == nil && alive(pm) {
		rec.note = fmt.Sprintf("(postmaster %d survived; the restart stops it)", pm)
	} else {
		rec.note = "(postmaster died with zeren)"
	}
	if rec.down > 0 {
		rec.note += fmt.Sprintf(" (kept down %s)", rec.down)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(rec.down):
		}
	}
	if err := r.startZeren(ctx); err != nil {
		return fmt.Errorf("restart: %w", err)
	}
	rec.outage = time.Since(killed)
	return nil
}

// killPostgres kills the postmaster alone with SIGKILL while zeren runs, and
// waits for zeren's watchdog to bring it back: /readyz answers 503 meanwhile
// and 200 again after.
func (r *chaosRun) killPostgres(ctx context.Context, rec *faultRecord) error {
	pm, err := r.postmasterPID()
	if err != nil {
		return err
	}
	if err := syscall.Kill(pm, syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill postmaster %d: %w", pm, err)
	}
	killed := time.Now()
	unready := 0
	err = poll(ctx, 100*time.Millisecond, 15*time.Second, "/readyz to notice PostgreSQL is gone", func() (bool, error) {
		unready = r.readyStatus(ctx)
		return unready != http.StatusOK, nil
	})
	if err != nil {
		return err
	}
	if err := r.awaitReady(ctx, 2*time.Minute); err != nil {
		return fmt.Errorf("PostgreSQL back: %w", err)
	}
	rec.outage = time.Since(killed)
	rec.note = fmt.Sprintf("(postmaster %d; /readyz answered %d meanwhile)", pm, unready)
	if pm2, err := r.postmasterPID(); err == nil && pm2 == pm {
		return fmt.Errorf("the postmaster %d still runs after SIGKILL", pm)
	}
	return nil
}

// postmasterPID reads the postmaster's pid from the first line of postmaster.pid.
func (r *chaosRun) postmasterPID() (int, error) {
	path := filepath.Join(r.data, "postgres", "postmaster.pid")
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("postmaster pid: %w", err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		return 0, fmt.Errorf("%s: first line %q is not a pid: %w", path, first, err)
	}
	return pid, nil
}

// alive says whether a process with the pid exists.
func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// stopZeren stops zeren as Ctrl-C does (SIGINT) and waits for it to exit; after
// a minute it kills the group. Stopping twice does nothing.
func (r *chaosRun) stopZeren() error {
	if r.exited() {
		return nil
	}
	pid := r.zeren.cmd.Process.Pid
	if err := syscall.Kill(pid, syscall.SIGINT); err != nil {
		return fmt.Errorf("interrupt zeren %d: %w", pid, err)
	}
	select {
	case <-r.zeren.done:
		return nil
	case <-time.After(time.Minute):
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-r.zeren.done
		return fmt.Errorf("zeren %d did not exit within a minute of SIGINT: killed", pid)
	}
}

// stopPostmaster stops a PostgreSQL that zeren left running (it stops its own
// on a clean exit): a fast shutdown (SIGINT) of the pid in postmaster.pid.
func (r *chaosRun) stopPostmaster() {
	pm, err := r.postmasterPID()
	if err != nil || !alive(pm) {
		return
	}
	fmt.Printf("stopping PostgreSQL %d left running\n", pm)
	_ = syscall.Kill(pm, syscall.SIGINT)
	_ = poll(context.Background(), 200*time.Millisecond, 30*time.Second, "PostgreSQL to stop", func() (bool, error) { return !alive(pm), nil })
}

// cleanup stops whatever still runs and removes the folder unless -keep.
func (r *chaosRun) cleanup() {
	if err := r.stopZeren(); err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
	}
	r.stopPostmaster()
	if r.opts.keep {
		fmt.Printf("kept %s (zeren log: %s)\n", r.dir, r.log)
		return
	}
	if err := os.RemoveAll(r.dir); err != nil {
		fmt.Fprintln(os.Stderr, "chaos: remove", r.dir+":", err)
	}
}

// showLogTail prints the end of zeren's log after a failed step.
func (r *chaosRun) showLogTail() {
	b, err := os.ReadFile(r.log)
	if err != nil {
		return
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	lines = lines[max(0, len(lines)-30):]
	fmt.Fprintf(os.Stderr, "last lines of %s:\n%s\n", r.log, strings.Join(lines, "\n"))
}

// poll calls check every interval until it answers true or fails, or timeout passes.
func poll(ctx context.Context, every, timeout time.Duration, what string, check func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := check()
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("waited %s for %s", timeout, what)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-time.After(every):
		}
	}
}

// The campaign, seen through the public API.

// statusReader and pauser are the demo people the run acts as.
const (
	statusReader = "linyou-secretary" // a county leader: reads every campaign
	pauser       = "yjj-office"       // the safety office: pauses the campaign
)

// campaignStatus is the part of GET /api/v1/campaigns/{id} the run reads.
type campaignStatus struct {
	Campaign struct {
		ClockAnchor *time.Time `json:"clock_anchor"`
	} `json:"campaign"`
	Now           time.Time `json:"now"`
	CurrentPeriod string    `json:"current_period"`
	Running       bool      `json:"running"`
	Progress      *struct {
		Paused bool `json:"paused"`
	} `json:"progress"`
	Counts struct {
		Open    int `json:"open"`
		Done    int `json:"done"`
		Overdue int `json:"overdue"`
	} `json:"counts"`
}

// anchor is the campaign clock's anchor as text ("" before the first run).
func (s campaignStatus) anchor() string {
	if s.Campaign.ClockAnchor == nil {
		return ""
	}
	return s.Campaign.ClockAnchor.UTC().Format(time.RFC3339Nano)
}

// paused says whether the campaign's calendar reports a pause.
func (s campaignStatus) paused() bool { return s.Progress != nil && s.Progress.Paused }

// call sends one API request as a demo person and answers the status and body.
func (r *chaosRun) call(ctx context.Context, person, method, path string, body any) (int, []byte, error) {
	tok, ok := r.tokens[person]
	if !ok {
		return 0, nil, fmt.Errorf("no demo token for %s", person)
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, fmt.Errorf("%s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, fmt.Sprintf("http://127.0.0.1:%d%s", r.apiPort, path), rd)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("%s %s: read the answer: %w", method, path, err)
	}
	return resp.StatusCode, b, nil
}

// status reads the campaign.
func (r *chaosRun) status(ctx context.Context) (campaignStatus, error) {
	var st campaignStatus
	code, body, err := r.call(ctx, statusReader, http.MethodGet, "/api/v1/campaigns/"+chaosCampaign, nil)
	if err != nil {
		return st, err
	}
	if code != http.StatusOK {
		return st, fmt.Errorf("GET campaign %s: %d %s", chaosCampaign, code, bytes.TrimSpace(body))
	}
	if err := json.Unmarshal(body, &st); err != nil {
		return st, fmt.Errorf("campaign %s: %w", chaosCampaign, err)
	}
	return st, nil
}

// awaitStatus polls the campaign until ok says so, for up to two minutes, and
// answers the status it accepted. Answers other than 200 count as not yet.
func (r *chaosRun) awaitStatus(ctx context.Context, ok func(campaignStatus) bool) (campaignStatus, error) {
	return r.awaitStatusFor(ctx, 2*time.Minute, "the campaign", ok)
}

// awaitStatusFor is awaitStatus with its timeout and description.
func (r *chaosRun) awaitStatusFor(ctx context.Context, limit time.Duration, what string, ok func(campaignStatus) bool) (campaignStatus, error) {
	var last campaignStatus
	var lastErr error
	err := poll(ctx, 500*time.Millisecond, limit, what, func() (bool, error) {
		if r.exited() {
			return false, fmt.Errorf("zeren exited (%v): see %s", r.zeren.err, r.log)
		}
		st, err := r.status(ctx)
		if err != nil {
			lastErr = err
			return false, nil
		}
		last = st
		return ok(st), nil
	})
	if err != nil && lastErr != nil {
		err = fmt.Errorf("%w (last answer: %w)", err, lastErr)
	}
	return last, err
}

// awaitCampaign waits until the demo bot has created the campaign and its
// calendar runs.
func (r *chaosRun) awaitCampaign(ctx context.Context) error {
	_, err := r.awaitStatusFor(ctx, 2*time.Minute, "the demo campaign to run", func(st campaignStatus) bool {
		return st.Running && st.anchor() != ""
	})
	return err
}

// wallFor is a generous wall-time bound for d of campaign time to pass.
func (r *chaosRun) wallFor(d time.Duration) time.Duration {
	return 3*time.Duration(float64(max(d, 0))/r.opts.speed) + 2*time.Minute
}

// awaitCampaignTime waits until the campaign's time reaches at.
func (r *chaosRun) awaitCampaignTime(ctx context.Context, at time.Time) (campaignStatus, error) {
	st, err := r.awaitStatus(ctx, func(campaignStatus) bool { return true })
	if err != nil {
		return st, err
	}
	return r.awaitStatusFor(ctx, r.wallFor(at.Sub(st.Now)), "campaign time "+at.Format(time.DateTime), func(st campaignStatus) bool {
		return !st.Now.Before(at)
	})
}

// awaitMonth waits until the campaign's current period reaches the chosen month.
func (r *chaosRun) awaitMonth(ctx context.Context) error {
	month := r.opts.month.Format("2006-01")
	_, err := r.awaitCampaignTime(ctx, r.opts.month)
	if err != nil {
		return err
	}
	_, err = r.awaitStatusFor(ctx, time.Minute, "current period "+month, func(st campaignStatus) bool {
		return st.CurrentPeriod >= month
	})
	return err
}

// pauseCampaign pauses the campaign as the safety office (which holds every
// ladder), remembers the campaign time it was asked at, and waits settleWait
// for in-flight activities to finish.
func (r *chaosRun) pauseCampaign(ctx context.Context) error {
	st, err := r.awaitStatus(ctx, func(campaignStatus) bool { return true })
	if err != nil {
		return err
	}
	r.pausedAt = st.Now
	code, body, err := r.call(ctx, pauser, http.MethodPost, "/api/v1/campaigns/"+chaosCampaign+"/pause", map[string]any{})
	if err != nil || code != http.StatusOK {
		// The Update may outlast the request: the calendar says when it is paused.
		fmt.Printf("  pause answered %d %s (%v); waiting for the calendar to say paused\n", code, bytes.TrimSpace(body), err)
		if _, err := r.awaitStatusFor(ctx, 2*time.Minute, "the campaign to pause", campaignStatus.paused); err != nil {
			return err
		}
	}
	fmt.Printf("  paused at campaign %s (wall +%s); settling %s\n", st.Now.In(chaosZone).Format("2006-01-02 15:04"),
		time.Since(r.firstStart).Round(100*time.Millisecond), settleWait)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(settleWait):
	}
	return nil
}
