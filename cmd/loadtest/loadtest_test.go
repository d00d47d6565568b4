package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"wxbind/models/modelstest"
)

// TestMain lets the test binary stand in for `loadtest baseline`, which run starts as
// os.Executable().
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "baseline" {
		if err := runBaseline(os.Args[2:]); err != nil {
			os.Stderr.WriteString("baseline: " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestFakeWeChatAnswersDemoCodes(t *testing.T) {
	f, err := startFakeWeChat("wxapp", "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	defer f.close()
	ask := func(appid, secret, code string) map[string]any {
		t.Helper()
		q := url.Values{"appid": {appid}, "secret": {secret}, "js_code": {code}, "grant_type": {"authorization_code"}}
		resp, err := http.Get(f.url + "/sns/jscode2session?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	if m := ask("wxapp", "s3cret", "demo:42"); m["openid"] != "demo-openid-42" || m["session_key"] == "" {
		t.Fatalf("demo:42: %v", m)
	}
	if m := ask("wxapp", "s3cret", "demo:42"); m["openid"] != "demo-openid-42" {
		t.Fatalf("a demo code must be replayable: %v", m)
	}
	for code, want := range map[string]float64{"other": 40029, "demo:": 40029} {
		if m := ask("wxapp", "s3cret", code); m["errcode"] != want {
			t.Errorf("%s: %v", code, m)
		}
	}
	if m := ask("wxapp", "wrong", "demo:1"); m["errcode"] != float64(40125) {
		t.Errorf("wrong secret: %v", m)
	}
	if m := ask("wxother", "s3cret", "demo:1"); m["errcode"] != float64(40013) {
		t.Errorf("wrong appid: %v", m)
	}
	if f.calls.Load() != 6 || f.conns.Load() < 1 {
		t.Errorf("calls %d over %d connections", f.calls.Load(), f.conns.Load())
	}
}

func TestResultsMergeAcrossRounds(t *testing.T) {
	ms := func(ds ...int) []time.Duration {
		var out []time.Duration
		for _, d := range ds {
			out = append(out, time.Duration(d)*time.Millisecond)
		}
		return out
	}
	a := result{name: "x", requests: 3, elapsed: time.Second, latencies: ms(1, 2, 3), maxRSS: 10}
	b := result{name: "x", requests: 2, errors: 1, elapsed: time.Second, latencies: ms(100, 200), maxRSS: 20}
	m := result{}.merge(a).merge(b)
	if m.requests != 5 || m.errors != 1 || m.rps() != 2.5 || m.maxRSS != 20 {
		t.Fatalf("merged %+v", m)
	}
	if m.p50 != 3*time.Millisecond || m.p99 != 200*time.Millisecond {
		t.Fatalf("p50 %v p99 %v", m.p50, m.p99)
	}
	if len(a.latencies) != 3 {
		t.Fatal("merging must not change the rounds merged")
	}
	if percentile(nil, 0.5) != 0 {
		t.Fatal("no latencies: 0")
	}
}

func TestProcStatusOfThisProcess(t *testing.T) {
	if kb := procStatusKB(os.Getpid(), "VmRSS"); kb < 1000 {
		t.Fatalf("VmRSS of this test: %d kB", kb)
	}
	if kb := procStatusKB(os.Getpid(), "NoSuchField"); kb != 0 {
		t.Fatalf("unknown field: %d", kb)
	}
	if kb := procMemTotal(); kb < 1000 {
		t.Fatalf("MemTotal of this machine: %d kB", kb)
	}
	if userAddr(70000) != "10.1.17.112" {
		t.Fatalf("userAddr(70000) = %s", userAddr(70000))
	}
}

// TestLoadTestEndToEnd runs the whole benchmark small: it builds and starts the server on a
// throwaway MariaDB database, fills it, measures every phase and drops the database.
func TestLoadTestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the server; skipped with -short")
	}
	cfg := modelstest.RequireMySQL(t)
	o := options{
		dsn: cfg.FormatDSN(), accounts: 2000, duration: 2 * time.Second, warmup: 200 * time.Millisecond,
		rounds: 2, conns: 8, phases: map[string]bool{"read": true, "insert": true, "checkbind": true, "info": true, "console": true},
	}
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	r, err := run(ctx, o, &out)
	if err != nil {
		t.Fatal(err)
	}
	if r.consoleNote != "" {
		t.Fatalf("the console is routed, so it must be measured: %s", r.consoleNote)
	}
	want := []string{"baseline: one indexed read", "baseline: one insert", "checkBind (bound user)", "info (with a token)",
		"console users page (first page)", "console users page (first page, 1 connection)", "console users page (random keyset page)"}
	for _, name := range want {
		res, ok := r.results[name]
		if !ok || res.requests == 0 || res.errors != 0 || res.p50 <= 0 || res.p99 < res.p50 {
			t.Errorf("%s: %+v", name, res)
		}
		if !strings.Contains(out.String(), "| "+name+" |") {
			t.Errorf("the report lacks %s:\n%s", name, out.String())
		}
	}
	if r.serverHWM <= 0 || r.mysql.accounts < 2000 || r.wechatCalls == 0 {
		t.Errorf("report: HWM %d, %d accounts, %d WeChat calls", r.serverHWM, r.mysql.accounts, r.wechatCalls)
	}
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var n int
	if err := admin.QueryRow("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ?", r.database).Scan(&n); err != nil || n != 0 || r.database == "" {
		t.Fatalf("the throwaway database %q must be dropped: %d left (%v)", r.database, n, err)
	}
}
