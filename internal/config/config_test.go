package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/client"
)

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "temporal.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoad(t *testing.T) {
	good := "temporal:\n  hostPort: temporal.example:7233\n  namespace: county\n  taskQueue: zeren\n"
	tests := []struct {
		name     string
		body     string
		env      map[string]string
		missing  bool
		required bool
		wantErr  string // substring; "" = no error
		check    func(t *testing.T, c Config)
	}{
		{name: "file values", body: good, check: func(t *testing.T, c Config) {
			if c.Temporal.HostPort != "temporal.example:7233" || c.Temporal.Namespace != "county" {
				t.Errorf("got %+v", c.Temporal)
			}
		}},
		{name: "environment overrides the file", body: good, env: map[string]string{"ZEREN_TEMPORAL_HOSTPORT": "other:7000", "DATABASE_URL": "postgres://x"}, check: func(t *testing.T, c Config) {
			if c.Temporal.HostPort != "other:7000" || c.DatabaseURL != "postgres://x" {
				t.Errorf("got %+v %q", c.Temporal, c.DatabaseURL)
			}
		}},
		{name: "missing optional file uses defaults", missing: true, check: func(t *testing.T, c Config) {
			if c.Temporal.TaskQueue != "zeren" || c.File != "" {
				t.Errorf("got %+v", c)
			}
		}},
		{name: "missing required file", missing: true, required: true, wantErr: "temporal.yaml: (file): no such file"},
		{name: "unknown key", body: "temporal:\n  hostport: x:1\n", wantErr: "temporal.yaml: hostport: unknown key (line 2)"},
		{name: "bad host port", body: "temporal:\n  hostPort: nohost\n", wantErr: "temporal.yaml: temporal.hostPort: \"nohost\" is not host:port"},
		{name: "empty namespace", body: "temporal:\n  namespace: \"\"\n", wantErr: "temporal.yaml: temporal.namespace: must not be empty"},
		{name: "bad port number", body: "dev:\n  apiPort: 70000\n", wantErr: "temporal.yaml: dev.apiPort: port 70000 is out of range"},
		{name: "wrong type", body: "dev:\n  apiPort: eighty\n", wantErr: "temporal.yaml: line 2:"},
		{name: "cert without key", body: "temporal:\n  tls:\n    certFile: /etc/hosts\n", wantErr: "temporal.yaml: temporal.tls: certFile and keyFile must be set together"},
		{name: "unreadable ca file", body: "temporal:\n  tls:\n    caFile: /nonexistent/ca.pem\n", wantErr: "temporal.yaml: temporal.tls.caFile: cannot read /nonexistent/ca.pem"},
		{name: "negative sticky cache", body: "worker:\n  stickyCacheSize: -1\n", wantErr: "temporal.yaml: worker.stickyCacheSize: must be from 0"},
		{name: "unknown compression", body: "temporal:\n  compression: zstd\n", wantErr: "temporal.yaml: temporal.compression: \"zstd\" is not gzip or none"},
		{name: "compression from the environment", body: good, env: map[string]string{"ZEREN_TEMPORAL_COMPRESSION": "none"}, check: func(t *testing.T, c Config) {
			if _, ok := c.Temporal.GrpcCompression().(*client.GrpcCompressionNone); !ok || c.Temporal.Compression != "none" {
				t.Errorf("got %+v", c.Temporal)
			}
		}},
		{name: "sticky cache", body: "worker:\n  stickyCacheSize: 500\n", check: func(t *testing.T, c Config) {
			if c.Worker.StickyCacheSize != 500 {
				t.Errorf("got %+v", c.Worker)
			}
		}},
		{name: "sticky cache by default", missing: true, check: func(t *testing.T, c Config) {
			if c.Worker.StickyCacheSize != DefaultStickyCacheSize {
				t.Errorf("got %+v, want the sticky cache %d", c.Worker, DefaultStickyCacheSize)
			}
		}},
		{name: "the SDK's sticky cache", body: "worker:\n  stickyCacheSize: 0\n", check: func(t *testing.T, c Config) {
			if c.Worker.StickyCacheSize != 0 {
				t.Errorf("got %+v", c.Worker)
			}
		}},
		{name: "bad webhook", body: "notify:\n  webhookURL: ftp://x\n", wantErr: "temporal.yaml: notify.webhookURL: \"ftp://x\" is not an http(s) URL"},
		{name: "bad environment value", body: good, env: map[string]string{"ZEREN_API_LISTEN": "nope"}, wantErr: "temporal.yaml: api.listen:"},
		{name: "listen addresses from the environment", body: good, env: map[string]string{"ZEREN_API_LISTEN": ":8080", "ZEREN_WORKER_METRICS_LISTEN": "0.0.0.0:9464"}, check: func(t *testing.T, c Config) {
			if c.API.Listen != ":8080" || c.Worker.MetricsListen != "0.0.0.0:9464" {
				t.Errorf("got %+v %+v", c.API, c.Worker)
			}
		}},
		{name: "allowPrivate from the file", body: "notify:\n  webhookURL: http://10.0.0.5/hook\n  allowPrivate: true\n", check: func(t *testing.T, c Config) {
			if !c.Notify.AllowPrivate || c.Notify.WebhookURL != "http://10.0.0.5/hook" {
				t.Errorf("got %+v", c.Notify)
			}
		}},
		{name: "allowPrivate from the environment", body: good, env: map[string]string{"ZEREN_NOTIFY_ALLOW_PRIVATE": "true"}, check: func(t *testing.T, c Config) {
			if !c.Notify.AllowPrivate {
				t.Errorf("got %+v", c.Notify)
			}
		}},
		{name: "environment turns allowPrivate off", body: "notify:\n  allowPrivate: true\n", env: map[string]string{"ZEREN_NOTIFY_ALLOW_PRIVATE": "0"}, check: func(t *testing.T, c Config) {
			if c.Notify.AllowPrivate {
				t.Errorf("got %+v", c.Notify)
			}
		}},
		{name: "allowPrivate not a boolean", body: "notify:\n  allowPrivate: maybe\n", wantErr: "temporal.yaml: line 2:"},
		{name: "linkBase from the file", body: "notify:\n  linkBase: https://zeren.linyou.gov.cn/\n", check: func(t *testing.T, c Config) {
			if c.Notify.LinkBase != "https://zeren.linyou.gov.cn/" {
				t.Errorf("got %+v", c.Notify)
			}
		}},
		{name: "linkBase from the environment", body: "notify:\n  linkBase: https://file.example\n", env: map[string]string{"ZEREN_PUBLIC_URL": "http://10.1.2.3:8080/zeren"}, check: func(t *testing.T, c Config) {
			if c.Notify.LinkBase != "http://10.1.2.3:8080/zeren" {
				t.Errorf("got %+v", c.Notify)
			}
		}},
		{name: "linkBase not http", body: "notify:\n  linkBase: ftp://x\n", wantErr: `temporal.yaml: notify.linkBase: "ftp://x" is not an http(s) URL`},
		{name: "linkBase without a host", body: "notify:\n  linkBase: \"https://\"\n", wantErr: `temporal.yaml: notify.linkBase: "https://" is not an http(s) URL`},
		{name: "linkBase relative", body: "notify:\n  linkBase: /zeren\n", wantErr: `temporal.yaml: notify.linkBase: "/zeren" is not an http(s) URL`},
		{name: "linkBase empty", body: "notify:\n  linkBase: \"\"\n", wantErr: `temporal.yaml: notify.linkBase: "" is not an http(s) URL`},
		{name: "linkBase with a query", body: "notify:\n  linkBase: https://x.example/?a=1\n", wantErr: `notify.linkBase: "https://x.example/?a=1" must have no query or fragment`},
		{name: "linkBase with a fragment", body: "notify:\n  linkBase: https://x.example/#top\n", wantErr: `notify.linkBase: "https://x.example/#top" must have no query or fragment`},
		{name: "linkBase with a password", body: "notify:\n  linkBase: https://u:p@x.example/\n", wantErr: `notify.linkBase: "https://u:p@x.example/" must not hold a user or password`},
		{name: "linkBase bad in the environment", body: good, env: map[string]string{"ZEREN_PUBLIC_URL": "zeren.example"}, wantErr: `temporal.yaml: notify.linkBase: "zeren.example" is not an http(s) URL`},
		{name: "allowPrivate not a boolean in the environment", body: good, env: map[string]string{"ZEREN_NOTIFY_ALLOW_PRIVATE": "maybe"}, wantErr: `environment: notify.allowPrivate: ZEREN_NOTIFY_ALLOW_PRIVATE="maybe" is not true or false`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "temporal.yaml")
			if !tt.missing {
				path = write(t, tt.body)
			}
			c, err := Load(path, tt.required, env(tt.env))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				tt.check(t, c)
				return
			}
			if err == nil {
				t.Fatalf("no error; want %q", tt.wantErr)
			}
			msg := strings.ReplaceAll(err.Error(), path, "temporal.yaml")
			if !strings.Contains(msg, tt.wantErr) {
				t.Fatalf("error %q; want it to contain %q", msg, tt.wantErr)
			}
			if strings.Contains(msg, "\n") {
				t.Fatalf("error spans lines: %q", msg)
			}
		})
	}
}

func TestShippedFileIsValid(t *testing.T) {
	if _, err := Load("../../temporal.yaml", true, env(nil)); err != nil {
		t.Fatal(err)
	}
}

// With no file and no environment, the servers listen on loopback only and
// webhooks on private addresses are refused; the shipped temporal.yaml keeps
// those values.
func TestDefaults(t *testing.T) {
	if err := Defaults().Validate(); err != nil {
		t.Fatalf("the defaults do not validate: %v", err)
	}
	none, err := Load(filepath.Join(t.TempDir(), "temporal.yaml"), false, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	shipped, err := Load("../../temporal.yaml", true, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		cfg  Config
	}{{"no file", none}, {"shipped temporal.yaml", shipped}} {
		tests := []struct {
			key       string
			got, want any
		}{
			{"api.listen", c.cfg.API.Listen, "127.0.0.1:8080"},
			{"worker.metricsListen", c.cfg.Worker.MetricsListen, "127.0.0.1:9464"},
			{"notify.allowPrivate", c.cfg.Notify.AllowPrivate, false},
			{"notify.linkBase", c.cfg.Notify.LinkBase, "http://127.0.0.1:8080"},
		}
		for _, tt := range tests {
			t.Run(c.name+"/"+tt.key, func(t *testing.T) {
				if tt.got != tt.want {
					t.Fatalf("%s = %v; want %v", tt.key, tt.got, tt.want)
				}
			})
		}
	}
}

// TestCompressionByDistance: requests to a frontend on this machine are not
// gzipped unless the file says so; over the network they are unless it says not.
func TestCompressionByDistance(t *testing.T) {
	for _, tt := range []struct {
		hostPort, mode string
		gzip           bool
	}{
		{"127.0.0.1:7233", "", false},
		{"localhost:7233", "", false},
		{"[::1]:7233", "", false},
		{"temporal.example:7233", "", true},
		{"10.0.0.5:7233", "", true},
		{"127.0.0.1:7233", "gzip", true},
		{"temporal.example:7233", "none", false},
	} {
		_, gz := Temporal{HostPort: tt.hostPort, Compression: tt.mode}.GrpcCompression().(*client.GrpcCompressionGzip)
		if gz != tt.gzip {
			t.Errorf("%s with %q: gzip %v, want %v", tt.hostPort, tt.mode, gz, tt.gzip)
		}
	}
}
