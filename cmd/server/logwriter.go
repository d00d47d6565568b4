package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// logFlushEvery is how long an info line may wait in the buffer.
const logFlushEvery = 100 * time.Millisecond

// bufferedLog gathers log lines and writes them in batches, at most logFlushEvery apart, so a
// busy server makes one write to its log per batch rather than one per request (the access log
// writes a line for each). Close writes what is left; lines at Warn and above go out at once
// through flushingHandler, so what precedes a failure is never held back.
type bufferedLog struct {
	mu   sync.Mutex
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

// newBufferedLog batches writes to w, flushing them every flushEvery.
func newBufferedLog(w io.Writer, flushEvery time.Duration) *bufferedLog {
	b := &bufferedLog{w: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go b.flushLoop(flushEvery)
	return b
}

func (b *bufferedLog) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Write(p)
}

// Flush writes the buffered lines now.
func (b *bufferedLog) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Flush()
}

func (b *bufferedLog) flushLoop(every time.Duration) {
	defer close(b.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			_ = b.Flush()
		case <-b.stop:
			return
		}
	}
}

// Close stops the periodic flush and writes what is left.
func (b *bufferedLog) Close() error {
	close(b.stop)
	<-b.done
	return b.Flush()
}

// flushingHandler writes a record at Warn or above, and everything before it, at once.
type flushingHandler struct {
	slog.Handler
	out *bufferedLog
}

func (h flushingHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		if ferr := h.out.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func (h flushingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return flushingHandler{h.Handler.WithAttrs(attrs), h.out}
}

func (h flushingHandler) WithGroup(name string) slog.Handler {
	return flushingHandler{h.Handler.WithGroup(name), h.out}
}

// afterLog writes to w at once, after the log lines buffered before it: for what is shown only
// once, such as the first admin's password.
type afterLog struct {
	log *bufferedLog
	w   io.Writer
}

func (a afterLog) Write(p []byte) (int, error) {
	_ = a.log.Flush()
	return a.w.Write(p)
}
