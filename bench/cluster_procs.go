package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The processes of `bench cluster`: each started as an operator's systemd unit
// would start it (deploy/systemd), its output appended to a log of its own.

// proc is one process of the cluster, started again after a kill under the same name.
type proc struct {
	name string
	path string
	args []string
	env  []string
	dir  string // working directory
	log  string
	// ready answers nil once the process serves (nil: no check).
	ready func(context.Context) error

	cmd    *exec.Cmd
	done   chan struct{} // closed once the current run has exited
	err    error         // its exit, once done is closed
	starts int
}

// start starts the process and waits until ready says it serves.
func (p *proc) start(ctx context.Context, timeout time.Duration) error {
	logFile, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("%s log: %w", p.name, err)
	}
	defer logFile.Close()
	fmt.Fprintf(logFile, "\n===== bench cluster: %s starts at %s =====\n", p.name, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(p.path, p.args...)
	cmd.Env, cmd.Dir = p.env, p.dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// A group of its own: the terminal's Ctrl-C reaches the bench, which stops it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	p.cmd, p.done, p.err = cmd, make(chan struct{}), nil
	p.starts++
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	if p.ready == nil {
		return nil
	}
	return poll(ctx, 200*time.Millisecond, timeout, p.name+" to be ready", func() (bool, error) {
		if p.exited() {
			return false, fmt.Errorf("%s exited (%v): see %s", p.name, p.err, p.log)
		}
		return p.ready(ctx) == nil, nil
	})
}

// exited says whether the current run has exited (true before the first start).
func (p *proc) exited() bool {
	if p.cmd == nil {
		return true
	}
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill kills the process outright (SIGKILL) and waits until it is gone.
func (p *proc) kill() error {
	if p.exited() {
		return fmt.Errorf("%s is not running", p.name)
	}
	if err := syscall.Kill(p.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill %s: %w", p.name, err)
	}
	<-p.done
	return nil
}

// stop asks the process to stop (SIGTERM, as systemd does) and waits up to
// grace before killing it. Stopping a stopped process does nothing.
func (p *proc) stop(grace time.Duration) error {
	if p.exited() {
		return nil
	}
	_ = syscall.Kill(p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(grace):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
		return fmt.Errorf("%s did not stop within %s of SIGTERM: killed", p.name, grace)
	}
}

// usage reads the current run's CPU time (user + system) and peak RSS.
func (p *proc) usage() (time.Duration, int) {
	if p.exited() {
		return 0, 0
	}
	return cpuTime(p.cmd.Process.Pid, false), peakRSS(p.cmd.Process.Pid)
}

// cpuTime reads a process's CPU time from /proc, with that of its waited-for
// children when children is set (PostgreSQL's backends are the postmaster's).
func cpuTime(pid int, children bool) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command name, which is in parentheses.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 15 {
		return 0
	}
	ticks := 0
	fields := []int{11, 12} // utime, stime
	if children {
		fields = append(fields, 13, 14) // cutime, cstime
	}
	for _, i := range fields {
		n, _ := strconv.Atoi(f[i])
		ticks += n
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ is 100 on Linux
}

// childrenCPU sums the CPU time of the live children of pid.
func childrenCPU(pid int) time.Duration {
	entries, _ := os.ReadDir("/proc")
	var sum time.Duration
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", child))
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			sum += cpuTime(child, true)
		}
	}
	return sum
}

// peakRSS reads a process's peak resident set size in MiB (VmHWM).
func peakRSS(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.Atoi(f[1])
			return kb >> 10
		}
	}
	return 0
}

// httpReady answers nil once GET url answers 200.
func httpReady(client *http.Client, url string) func(context.Context) error {
	return func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %d", url, resp.StatusCode)
		}
		return nil
	}
}

// envWithout is this process's environment without the variables whose names
// start with one of the prefixes, followed by extra.
func envWithout(prefixes []string, extra ...string) []string {
	var env []string
outer:
	for _, kv := range os.Environ() {
		for _, p := range prefixes {
			if strings.HasPrefix(kv, p) {
				continue outer
			}
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// lowPorts picks n distinct free TCP ports on loopback from 20000 to 32000:
// the Temporal server stores its membership ports in a SMALLINT column, so
// none may be 32768 or more (TEMPORAL-ON-POSTGRES.md).
func lowPorts(n int) ([]int, error) {
	seen := map[int]bool{}
	var out []int
	for tries := 0; len(out) < n; tries++ {
		if tries > 1000 {
			return nil, errors.New("no free ports from 20000 to 32000")
		}
		p := 20000 + mrand.IntN(12000)
		if seen[p] {
			continue
		}
		seen[p] = true
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue
		}
		l.Close()
		out = append(out, p)
	}
	return out, nil
}

// clusterTLS is where the run's certificates are: one CA; the Temporal
// server's certificate (for the frontend and between its services, named
// tlsServerName and 127.0.0.1); zeren's client certificate.
type clusterTLS struct {
	ca, serverCert, serverKey, clientCert, clientKey string
}

// tlsServerName is the name in the run's server certificate, as the deploy files name it.
const tlsServerName = "temporal.internal"

// writeTLS makes a CA and the two certificates (ECDSA P-256, valid a day) in dir.
func writeTLS(dir string) (clusterTLS, error) {
	t := clusterTLS{ca: filepath.Join(dir, "ca.pem"), serverCert: filepath.Join(dir, "server.pem"), serverKey: filepath.Join(dir, "server-key.pem"),
		clientCert: filepath.Join(dir, "client.pem"), clientKey: filepath.Join(dir, "client-key.pem")}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return t, err
	}
	now := time.Now().Add(-time.Hour)
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return t, err
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bench cluster CA"},
		NotBefore: now, NotAfter: now.Add(25 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return t, err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return t, err
	}
	if err := writePEM(t.ca, "CERTIFICATE", caDER); err != nil {
		return t, err
	}
	issue := func(serial int64, cn string, usage []x509.ExtKeyUsage, dns []string, ips []net.IP, certPath, keyPath string) error {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: now, NotAfter: now.Add(25 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
			ExtKeyUsage: usage, DNSNames: dns, IPAddresses: ips}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			return err
		}
		keyDER, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return err
		}
		if err := writePEM(certPath, "CERTIFICATE", der); err != nil {
			return err
		}
		return writePEM(keyPath, "PRIVATE KEY", keyDER)
	}
	// The server's certificate also authenticates it as a client: its services
	// call each other, and its system worker calls its frontend, with it.
	if err := issue(2, tlsServerName, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		[]string{tlsServerName, "localhost"}, []net.IP{net.IPv4(127, 0, 0, 1)}, t.serverCert, t.serverKey); err != nil {
		return t, err
	}
	if err := issue(3, "zeren", []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, nil, nil, t.clientCert, t.clientKey); err != nil {
		return t, err
	}
	return t, nil
}

func writePEM(path, kind string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600)
}
