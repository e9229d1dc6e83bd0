package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to read while the flusher writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A service's log: info lines come out with the next flush, a warning at
// once with the lines before it, and closing writes what is left.
func TestServiceLogBuffers(t *testing.T) {
	var out syncBuffer
	log, closeLog := newServiceLogger(&out)
	log.Info("http request", "path", "/api/v1/inbox")
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), "/api/v1/inbox"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("an info line was never written: %q", out.String())
		}
	}

	log.With("request_id", "r1").Info("before the warning")
	log.With("request_id", "r2").Warn("temporal unavailable")
	if s := out.String(); !strings.Contains(s, "before the warning") || !strings.Contains(s, "temporal unavailable") || !strings.Contains(s, `"request_id":"r2"`) {
		t.Fatalf("a warning was not written at once with what came before it: %q", s)
	}

	log.Info("the last line")
	closeLog()
	if s := out.String(); !strings.HasSuffix(strings.TrimSpace(s), `"msg":"the last line"}`) || strings.Count(s, "\n") != 4 {
		t.Fatalf("closing did not write the rest, each line once: %q", s)
	}
}
