// Package metrics exposes Prometheus metrics: the HTTP server's own and the
// Temporal SDK's, through a client.MetricsHandler backed by a registry.
package metrics

import (
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
)

// TemporalHandler is a Temporal SDK metrics handler that records into a
// Prometheus registry. Prometheus needs one label set per metric name: the first
// use of a name fixes its labels; later uses fill missing labels with "" and drop
// extra ones.
type TemporalHandler struct {
	reg  *vecs
	tags map[string]string
}

var _ client.MetricsHandler = TemporalHandler{}

type vecs struct {
	reg      prometheus.Registerer
	mu       sync.Mutex
	counters map[string]*prometheus.CounterVec
	gauges   map[string]*prometheus.GaugeVec
	timers   map[string]*prometheus.HistogramVec
	labels   map[string][]string
}

// NewTemporalHandler records the SDK's metrics into reg.
func NewTemporalHandler(reg prometheus.Registerer) TemporalHandler {
	return TemporalHandler{reg: &vecs{
		reg:      reg,
		counters: map[string]*prometheus.CounterVec{},
		gauges:   map[string]*prometheus.GaugeVec{},
		timers:   map[string]*prometheus.HistogramVec{},
		labels:   map[string][]string{},
	}}
}

// WithTags returns a handler whose metrics carry these tags too.
func (h TemporalHandler) WithTags(tags map[string]string) client.MetricsHandler {
	merged := maps.Clone(h.tags)
	if merged == nil {
		merged = map[string]string{}
	}
	maps.Copy(merged, tags)
	return TemporalHandler{reg: h.reg, tags: merged}
}

// Counter obtains a counter.
func (h TemporalHandler) Counter(name string) client.MetricsCounter {
	name = promName(name)
	h.reg.mu.Lock()
	defer h.reg.mu.Unlock()
	v, ok := h.reg.counters[name]
	if !ok {
		v = prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: "Temporal SDK counter " + name}, h.reg.labelsFor(name, h.tags))
		v = registerOr(h.reg.reg, v)
		h.reg.counters[name] = v
	}
	c := v.With(h.reg.values(name, h.tags))
	return counterFunc(func(d int64) { c.Add(float64(d)) })
}

// Gauge obtains a gauge.
func (h TemporalHandler) Gauge(name string) client.MetricsGauge {
	name = promName(name)
	h.reg.mu.Lock()
	defer h.reg.mu.Unlock()
	v, ok := h.reg.gauges[name]
	if !ok {
		v = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: "Temporal SDK gauge " + name}, h.reg.labelsFor(name, h.tags))
		v = registerOr(h.reg.reg, v)
		h.reg.gauges[name] = v
	}
	g := v.With(h.reg.values(name, h.tags))
	return gaugeFunc(g.Set)
}

// Timer obtains a timer, recorded as a histogram in seconds.
func (h TemporalHandler) Timer(name string) client.MetricsTimer {
	name = promName(name) + "_seconds"
	h.reg.mu.Lock()
	defer h.reg.mu.Unlock()
	v, ok := h.reg.timers[name]
	if !ok {
		v = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: "Temporal SDK timer " + name, Buckets: prometheus.DefBuckets}, h.reg.labelsFor(name, h.tags))
		v = registerOr(h.reg.reg, v)
		h.reg.timers[name] = v
	}
	o := v.With(h.reg.values(name, h.tags))
	return timerFunc(func(d time.Duration) { o.Observe(d.Seconds()) })
}

func (r *vecs) labelsFor(name string, tags map[string]string) []string {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, promName(k))
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	r.labels[name] = keys
	return keys
}

func (r *vecs) values(name string, tags map[string]string) prometheus.Labels {
	l := prometheus.Labels{}
	for _, k := range r.labels[name] {
		l[k] = ""
	}
	for k, v := range tags {
		if _, ok := l[promName(k)]; ok {
			l[promName(k)] = v
		}
	}
	return l
}

// registerOr registers c, or returns the collector already registered under its name.
func registerOr[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		if are, ok := err.(prometheus.AlreadyRegisteredError); ok {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
	}
	return c
}

func promName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, s)
}

type counterFunc func(int64)

func (f counterFunc) Inc(d int64) { f(d) }

type gaugeFunc func(float64)

func (f gaugeFunc) Update(v float64) { f(v) }

type timerFunc func(time.Duration)

func (f timerFunc) Record(d time.Duration) { f(d) }
