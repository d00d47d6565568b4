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
	var out webtest.SyncBuffer
	b := newBufferedLog(&out)
	log := slog.New(flushingHandler{slog.NewTextHandler(b, nil), b})

	log.Info("first")
	if strings.Contains(out.String(), "first") {
		t.Fatal("an info line was written at once; it should wait for the batch")
	}
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
