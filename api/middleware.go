package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/zeren-county/zeren/internal/domain"
	"github.com/zeren-county/zeren/internal/store"
)

// MaxBody is the largest request body accepted.
const MaxBody = 1 << 20

const (
	keyRequestID = "zeren.request_id"
	keyPerson    = "zeren.person"
)

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

func requestID(c *gin.Context) string { return c.GetString(keyRequestID) }

// RequestID is the id of the request c serves, as its logs and problems name it.
func RequestID(c *gin.Context) string { return requestID(c) }

// withRequestID takes the caller's X-Request-Id when it is sane, or makes one.
func withRequestID(c *gin.Context) {
	id := c.GetHeader("X-Request-Id")
	if !validRequestID.MatchString(id) {
		var b [8]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	c.Set(keyRequestID, id)
	c.Header("X-Request-Id", id)
	c.Next()
}

// logRequests logs every request with slog; never headers, so never a token.
func logRequests(log *slog.Logger, m *httpMetrics) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		latency := time.Since(start)
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		status := c.Writer.Status()
		attrs := []any{
			"method", c.Request.Method,
			"path", c.Request.URL.Path,
			"status", status,
			"latency_ms", float64(latency.Microseconds()) / 1000,
			"request_id", requestID(c),
		}
		if p, ok := c.Get(keyPerson); ok {
			attrs = append(attrs, "person", p.(domain.Person).Key)
		}
		level := slog.LevelInfo
		switch {
		case c.Request.Context().Err() != nil:
			// The client went away, or the server is shutting down: not an error of ours.
			attrs = append(attrs, "cancelled", true)
		case status == http.StatusServiceUnavailable:
			level = slog.LevelWarn
		case status >= 500:
			level = slog.LevelError
		}
		log.Log(c.Request.Context(), level, "http request", attrs...)
		m.requests.WithLabelValues(c.Request.Method, route, strconv.Itoa(status)).Inc()
		m.latency.WithLabelValues(c.Request.Method, route).Observe(latency.Seconds())
	}
}

// limitBody refuses bodies over MaxBody: at once when Content-Length says so,
// else when reading passes the limit.
func limitBody(c *gin.Context) {
	if c.Request.ContentLength > MaxBody {
		problem(c, http.StatusRequestEntityTooLarge, TypeTooLarge, "请求内容超过 1 MiB 上限")
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, MaxBody)
	c.Next()
}

// checkInput refuses a path or query that cannot be text before any handler
// reads it: an id with NUL, control characters or invalid UTF-8 names nothing
// (404); such a query value is a 422 naming the parameter.
func checkInput(c *gin.Context) {
	for _, p := range c.Params {
		if domain.TextProblem(p.Value) != "" || len(p.Value) > 200 {
			problem(c, http.StatusNotFound, TypeNotFound, "没有这项记录")
			return
		}
	}
	q, err := url.ParseQuery(c.Request.URL.RawQuery)
	if err != nil {
		problem(c, http.StatusUnprocessableEntity, TypeValidation, "查询参数格式不对", domain.FieldError{Field: "query", Detail: "查询参数格式不对"})
		return
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	v := &domain.ValidationError{}
	for _, k := range keys {
		if domain.TextProblem(k) != "" || len(k) > 100 {
			v.Add("query", "查询参数名"+domain.TextProblem(k))
			continue
		}
		for _, val := range q[k] {
			if msg := domain.TextProblem(val); msg != "" {
				v.Add(k, msg)
			} else if len(val) > 1000 {
				v.Add(k, domain.MsgAtMost(1000))
			}
		}
	}
	if err := v.Err(); err != nil {
		fail(c, err)
		return
	}
	c.Next()
}

// recoverProblem turns a panic into a logged 500 problem.
func recoverProblem(log *slog.Logger) gin.HandlerFunc {
	return gin.CustomRecoveryWithWriter(io.Discard, func(c *gin.Context, err any) {
		log.ErrorContext(c.Request.Context(), "panic", "request_id", requestID(c), "path", c.Request.URL.Path, "panic", err)
		problem(c, http.StatusInternalServerError, TypeInternal, "服务器未能完成请求，已记录")
	})
}

// onBehalf marks a request the web interface makes in-process for a person it
// has signed in: the request carries the person, not a token. No client can set
// a context value, so only zeren's own pages can call this way.
type onBehalf struct{}

// OnBehalfOf is ctx for a request made in-process on behalf of p, who is
// then authorised by exactly the rules a bearer of p's token meets.
func OnBehalfOf(ctx context.Context, p domain.Person) context.Context {
	return context.WithValue(ctx, onBehalf{}, p)
}

// authenticate resolves the bearer token to a person, or answers 401.
func authenticate(s *store.Store) gin.HandlerFunc {
	return func(c *gin.Context) {
		if p, ok := c.Request.Context().Value(onBehalf{}).(domain.Person); ok {
			c.Set(keyPerson, p)
			c.Next()
			return
		}
		h := c.GetHeader("Authorization")
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			problem(c, http.StatusUnauthorized, TypeUnauthorized, "请在 Authorization 头中发送 Bearer 令牌")
			return
		}
		p, err := s.Authenticate(c.Request.Context(), strings.TrimSpace(token))
		if err != nil {
			fail(c, err)
			return
		}
		c.Set(keyPerson, p)
		c.Next()
	}
}

func caller(c *gin.Context) domain.Person {
	return c.MustGet(keyPerson).(domain.Person)
}

type httpMetrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "zeren_http_requests_total", Help: "HTTP requests by method, route and status."}, []string{"method", "route", "status"}),
		latency:  prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "zeren_http_request_duration_seconds", Help: "HTTP request latency by method and route.", Buckets: prometheus.DefBuckets}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

func jsonRender(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
