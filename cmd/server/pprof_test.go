package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func TestPprofAddrLoopbackOnly(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1:6060": true, "localhost:6060": true, "[::1]:6060": true,
		":6060": false, "0.0.0.0:6060": false, "192.168.1.2:6060": false, "6060": false,
	} {
		_, err := loadConfig(env(map[string]string{"PPROF_ADDR": addr}))
		if ok != (err == nil) {
			t.Errorf("PPROF_ADDR=%s: accepted=%v, want %v (%v)", addr, err == nil, ok, err)
		}
		if !ok && (err == nil || !strings.Contains(err.Error(), "PPROF_ADDR")) {
			t.Errorf("PPROF_ADDR=%s: the error must name the variable: %v", addr, err)
		}
	}
}

func TestPprofServesProfilesUntilStopped(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	if err := startPprof(ctx, addr, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + addr + "/debug/pprof/heap?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "heap profile") {
		t.Fatalf("heap profile: %d %.100s", resp.StatusCode, body)
	}
	cancel()
	for i := 0; i < 100; i++ {
		if _, err = http.Get("http://" + addr + "/debug/pprof/"); err != nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("pprof still answers after its context ended")
}
