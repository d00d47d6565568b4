package main

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"wxbind/web/webtest"
)

// TestBufferedLog: info lines reach the log within logFlushEvery, not one write each; a warning
// goes out at once with what came before it; Close leaves nothing behind.
func TestBufferedLog(t *testing.T) {
	// Batched: with a flush an hour away, an info line waits in the buffer.
	var held webtest.SyncBuffer
	hb := newBufferedLog(&held, time.Hour)
	slog.New(flushingHandler{slog.NewTextHandler(hb, nil), hb}).Info("held")
	if strings.Contains(held.String(), "held") {
		t.Fatal("an info line was written at once; it should wait for the batch")
	}
	if err := hb.Close(); err != nil || !strings.Contains(held.String(), "held") {
		t.Fatalf("Close left a line in the buffer (%v)", err)
	}

	var out webtest.SyncBuffer
	b := newBufferedLog(&out, logFlushEvery)
	log := slog.New(flushingHandler{slog.NewTextHandler(b, nil), b})
	log.Info("first")
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "first") {
		if time.Now().After(deadline) {
			t.Fatal("an info line never reached the log")
		}
		time.Sleep(10 * time.Millisecond)
	}

	log.Info("second")
	log.Warn("trouble")
	if s := out.String(); !strings.Contains(s, "second") || !strings.Contains(s, "trouble") {
		t.Fatalf("a warning must go out at once with the lines before it:\n%s", s)
	}
	log.Info("last")
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "last") {
		t.Fatal("Close left a line in the buffer")
	}
}
