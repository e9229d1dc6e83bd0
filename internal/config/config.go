// Package config loads zeren's configuration once: temporal.yaml, then the
// environment over it, then checks every key. A bad or missing key is a one-line
// error that names the file and the key.
package config

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"

	"go.temporal.io/sdk/client"
	"gopkg.in/yaml.v3"
)

// Config is everything a zeren process reads at start.
type Config struct {
	// File is the path the config came from ("" when none was found and the defaults apply).
	File        string   `yaml:"-"`
	DatabaseURL string   `yaml:"-"`
	Temporal    Temporal `yaml:"temporal"`
	API         API      `yaml:"api"`
	Worker      Worker   `yaml:"worker"`
	Notify      Notify   `yaml:"notify"`
	Dev         Dev      `yaml:"dev"`
}

// Temporal says how to reach the Temporal frontend.
type Temporal struct {
	HostPort  string `yaml:"hostPort"`
	Namespace string `yaml:"namespace"`
	TaskQueue string `yaml:"taskQueue"`
	TLS       TLS    `yaml:"tls"`
	// Compression of the requests to the frontend: "gzip", "none", or ""
	// (auto: none to a frontend on this machine, gzip over the network). The
	// SDK gzips by default, which on one machine costs CPU and saves nothing.
	Compression string `yaml:"compression"`
}

// GrpcCompression is the SDK's setting for Compression and HostPort.
func (t Temporal) GrpcCompression() client.GrpcCompression {
	switch t.Compression {
	case "gzip":
		return &client.GrpcCompressionGzip{}
	case "none":
		return &client.GrpcCompressionNone{}
	}
	host, _, err := net.SplitHostPort(t.HostPort)
	if err != nil {
		host = t.HostPort
	}
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return &client.GrpcCompressionNone{}
	}
	return &client.GrpcCompressionGzip{}
}

// TLS files for a Temporal cluster that needs them (mTLS when cert and key are set).
type TLS struct {
	CertFile   string `yaml:"certFile"`
	KeyFile    string `yaml:"keyFile"`
	CAFile     string `yaml:"caFile"`
	ServerName string `yaml:"serverName"`
}

// API is the HTTP server's settings.
type API struct {
	// Listen is the address the API serves on; by default loopback only.
	Listen string `yaml:"listen"`
}

// DefaultStickyCacheSize is a worker's sticky cache unless temporal.yaml says otherwise.
const DefaultStickyCacheSize = 2000

// Worker is the worker process's settings.
type Worker struct {
	// MetricsListen is the address /metrics and /healthz are served on; by
	// default loopback only.
	MetricsListen string `yaml:"metricsListen"`
	// StickyCacheSize is how many workflows a worker keeps in memory between
	// their workflow tasks (the SDK's sticky cache; 0: the SDK's 10,000). A
	// workflow out of the cache is replayed from its history when it next runs.
	// By default 2,000: with 10,000 open monthly reports a worker's RSS was
	// 316 MiB with it and 790 MiB with the SDK's default, and completions of
	// reports out of the cache were no slower (README, Benchmarks).
	StickyCacheSize int `yaml:"stickyCacheSize"`
}

// Notify says where notifications go: an HTTP webhook, or the log when empty.
type Notify struct {
	WebhookURL string `yaml:"webhookURL"`
	// AllowPrivate lets the webhook be on a loopback, link-local, private,
	// unspecified or multicast address; by default such addresses are refused.
	AllowPrivate bool `yaml:"allowPrivate"`
	// LinkBase is the address people open zeren at (env ZEREN_PUBLIC_URL): a
	// group-robot message about a task links to LinkBase/tasks/<id>.
	LinkBase string `yaml:"linkBase"`
}

// Dev is what `zeren dev` runs on one machine.
type Dev struct {
	DataDir      string `yaml:"dataDir"`
	APIPort      int    `yaml:"apiPort"`
	TemporalPort int    `yaml:"temporalPort"`
	UIPort       int    `yaml:"uiPort"`
	PostgresPort int    `yaml:"postgresPort"`
}

// Defaults is the configuration with no file and no environment.
func Defaults() Config {
	return Config{
		Temporal: Temporal{HostPort: "127.0.0.1:7233", Namespace: "default", TaskQueue: "zeren"},
		API:      API{Listen: "127.0.0.1:8080"},
		Worker:   Worker{MetricsListen: "127.0.0.1:9464", StickyCacheSize: DefaultStickyCacheSize},
		Notify:   Notify{LinkBase: "http://127.0.0.1:8080"},
		Dev:      Dev{DataDir: ".zeren", APIPort: 8080, TemporalPort: 7233, UIPort: 8233, PostgresPort: 5433},
	}
}

// Error is a configuration error: a file, a key and what is wrong with it.
type Error struct {
	File, Key, Problem string
}

func (e *Error) Error() string {
	where := e.File
	if where == "" {
		where = "environment"
	}
	return fmt.Sprintf("%s: %s: %s", where, e.Key, e.Problem)
}

// Load reads path (when it exists, or must: required), applies the environment
// over it, and validates the result.
func Load(path string, required bool, getenv func(string) string) (Config, error) {
	cfg := Defaults()
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		cfg.File = path
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
			return cfg, &Error{File: path, Key: yamlKey(err), Problem: yamlProblem(err)}
		}
	case errors.Is(err, os.ErrNotExist) && !required:
	default:
		return cfg, &Error{File: path, Key: "(file)", Problem: strings.TrimPrefix(err.Error(), "open "+path+": ")}
	}
	if err := cfg.applyEnv(getenv); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

var yamlLine = regexp.MustCompile(`line (\d+): (.*)`)
var yamlField = regexp.MustCompile(`field (\S+) not found in type`)

func yamlKey(err error) string {
	if m := yamlField.FindStringSubmatch(err.Error()); m != nil {
		return m[1]
	}
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		return "line " + m[1]
	}
	return "(file)"
}

func yamlProblem(err error) string {
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	if m := yamlField.FindStringSubmatch(msg); m != nil {
		line := ""
		if l := yamlLine.FindStringSubmatch(msg); l != nil {
			line = " (line " + l[1] + ")"
		}
		return "unknown key" + line
	}
	msg = strings.TrimPrefix(msg, "yaml: unmarshal errors:")
	return strings.TrimSpace(strings.TrimPrefix(msg, "yaml: "))
}

func (c *Config) applyEnv(getenv func(string) string) error {
	strs := []struct {
		env string
		dst *string
	}{
		{"DATABASE_URL", &c.DatabaseURL},
		{"ZEREN_TEMPORAL_HOSTPORT", &c.Temporal.HostPort},
		{"ZEREN_TEMPORAL_NAMESPACE", &c.Temporal.Namespace},
		{"ZEREN_TASK_QUEUE", &c.Temporal.TaskQueue},
		{"ZEREN_TEMPORAL_TLS_CERT", &c.Temporal.TLS.CertFile},
		{"ZEREN_TEMPORAL_TLS_KEY", &c.Temporal.TLS.KeyFile},
		{"ZEREN_TEMPORAL_TLS_CA", &c.Temporal.TLS.CAFile},
		{"ZEREN_TEMPORAL_TLS_SERVER_NAME", &c.Temporal.TLS.ServerName},
		{"ZEREN_TEMPORAL_COMPRESSION", &c.Temporal.Compression},
		{"ZEREN_API_LISTEN", &c.API.Listen},
		{"ZEREN_WORKER_METRICS_LISTEN", &c.Worker.MetricsListen},
		{"ZEREN_DATA_DIR", &c.Dev.DataDir},
		{"ZEREN_NOTIFY_WEBHOOK", &c.Notify.WebhookURL},
		{"ZEREN_PUBLIC_URL", &c.Notify.LinkBase},
	}
	for _, s := range strs {
		if v := getenv(s.env); v != "" {
			*s.dst = v
		}
	}
	bools := []struct {
		env, key string
		dst      *bool
	}{
		{"ZEREN_NOTIFY_ALLOW_PRIVATE", "notify.allowPrivate", &c.Notify.AllowPrivate},
	}
	for _, b := range bools {
		v := getenv(b.env)
		if v == "" {
			continue
		}
		on, err := strconv.ParseBool(v)
		if err != nil {
			return &Error{Key: b.key, Problem: fmt.Sprintf("%s=%q is not true or false", b.env, v)}
		}
		*b.dst = on
	}
	return nil
}

// Validate checks every key, naming the first bad one.
func (c Config) Validate() error {
	bad := func(key, problem string) error { return &Error{File: c.File, Key: key, Problem: problem} }
	if err := checkHostPort(c.Temporal.HostPort, true); err != nil {
		return bad("temporal.hostPort", err.Error())
	}
	if strings.TrimSpace(c.Temporal.Namespace) == "" {
		return bad("temporal.namespace", "must not be empty")
	}
	if strings.TrimSpace(c.Temporal.TaskQueue) == "" {
		return bad("temporal.taskQueue", "must not be empty")
	}
	if m := c.Temporal.Compression; m != "" && m != "gzip" && m != "none" {
		return bad("temporal.compression", fmt.Sprintf("%q is not gzip or none (or empty: none on this machine, gzip over the network)", m))
	}
	t := c.Temporal.TLS
	if (t.CertFile == "") != (t.KeyFile == "") {
		return bad("temporal.tls", "certFile and keyFile must be set together")
	}
	for key, f := range map[string]string{"temporal.tls.certFile": t.CertFile, "temporal.tls.keyFile": t.KeyFile, "temporal.tls.caFile": t.CAFile} {
		if f == "" {
			continue
		}
		if _, err := os.Stat(f); err != nil {
			return bad(key, fmt.Sprintf("cannot read %s", f))
		}
	}
	if err := checkHostPort(c.API.Listen, false); err != nil {
		return bad("api.listen", err.Error())
	}
	if n := c.Worker.StickyCacheSize; n < 0 || n > 1000000 {
		return bad("worker.stickyCacheSize", "must be from 0 (the SDK's default) to 1000000")
	}
	if err := checkHostPort(c.Worker.MetricsListen, false); err != nil {
		return bad("worker.metricsListen", err.Error())
	}
	if w := c.Notify.WebhookURL; w != "" {
		if u, err := url.Parse(w); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return bad("notify.webhookURL", fmt.Sprintf("%q is not an http(s) URL", w))
		}
	}
	if err := checkLinkBase(c.Notify.LinkBase); err != nil {
		return bad("notify.linkBase", err.Error())
	}
	if strings.TrimSpace(c.Dev.DataDir) == "" {
		return bad("dev.dataDir", "must not be empty")
	}
	for key, p := range map[string]int{"dev.apiPort": c.Dev.APIPort, "dev.temporalPort": c.Dev.TemporalPort, "dev.uiPort": c.Dev.UIPort, "dev.postgresPort": c.Dev.PostgresPort} {
		if p < 1 || p > 65535 {
			return bad(key, fmt.Sprintf("port %d is out of range 1-65535", p))
		}
	}
	return nil
}

// checkLinkBase accepts an http(s) URL with a host and no query or fragment:
// links are made by appending a path to it.
func checkLinkBase(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "":
		return fmt.Errorf("%q is not an http(s) URL", s)
	case u.User != nil:
		return fmt.Errorf("%q must not hold a user or password", s)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(s, "#"):
		return fmt.Errorf("%q must have no query or fragment (task links are appended to it)", s)
	}
	return nil
}

func checkHostPort(s string, hostRequired bool) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("%q is not host:port", s)
	}
	if hostRequired && host == "" {
		return fmt.Errorf("%q has no host", s)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%q has no valid port", s)
	}
	return nil
}

// RequireDatabase checks that DATABASE_URL is set, for commands that need it.
func (c Config) RequireDatabase() error {
	if c.DatabaseURL == "" {
		return &Error{Key: "DATABASE_URL", Problem: "must be set (a postgres:// URL)"}
	}
	return nil
}

// ClientTLS builds the TLS config for the Temporal client, or nil for plain TCP.
func (t TLS) ClientTLS() (*tls.Config, error) {
	if t.CertFile == "" && t.CAFile == "" && t.ServerName == "" {
		return nil, nil
	}
	cfg := &tls.Config{ServerName: t.ServerName, MinVersion: tls.VersionTLS12}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, &Error{Key: "temporal.tls.certFile", Problem: err.Error()}
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, &Error{Key: "temporal.tls.caFile", Problem: err.Error()}
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, &Error{Key: "temporal.tls.caFile", Problem: "no PEM certificate in " + t.CAFile}
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}
