package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// logFlushEvery is how long a service's log lines may wait in its buffer.
const logFlushEvery = 100 * time.Millisecond

// logBuffer gathers a service's log lines and writes them together: a busy
// API would otherwise make a write system call (and a wake-up of journald) for
// every request it logs. Lines are written every logFlushEvery, when 64 KiB
// wait, at once after a warning or an error, and when the service stops; a
// process killed outright loses at most its last logFlushEvery of info lines.
type logBuffer struct {
	mu   sync.Mutex
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

func newLogBuffer(w io.Writer) *logBuffer {
	b := &logBuffer{w: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		t := time.NewTicker(logFlushEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				b.flush()
			case <-b.stop:
				b.flush()
				return
			}
		}
	}()
	return b
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Write(p)
}

func (b *logBuffer) flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	_ = b.w.Flush()
}

// close writes what is left and stops the flusher.
func (b *logBuffer) close() {
	close(b.stop)
	<-b.done
}

// flushOnWarn writes the buffer at once after a warning or an error.
type flushOnWarn struct {
	slog.Handler
	b *logBuffer
}

func (h flushOnWarn) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		h.b.flush()
	}
	return err
}

func (h flushOnWarn) WithAttrs(attrs []slog.Attr) slog.Handler {
	return flushOnWarn{h.Handler.WithAttrs(attrs), h.b}
}

func (h flushOnWarn) WithGroup(name string) slog.Handler {
	return flushOnWarn{h.Handler.WithGroup(name), h.b}
}

// newServiceLogger is a service's JSON log on w through a logBuffer; close
// writes what is left.
func newServiceLogger(w io.Writer) (log *slog.Logger, close func()) {
	b := newLogBuffer(w)
	return slog.New(flushOnWarn{slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelInfo}), b}), b.close
}
