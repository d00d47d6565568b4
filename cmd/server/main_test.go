package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"wxbind/models"
	"wxbind/models/modelstest"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestLoadConfigDefaults(t *testing.T) {
	c, err := loadConfig(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != ":8080" || c.DBDriver != "sqlite" || c.DBDSN != filepath.Join("data", "app.db") || c.TokenTTL != 168*time.Hour || !c.sandboxMode() {
		t.Fatalf("defaults: %+v", c)
	}
	if err := c.checkServe(); err != nil {
		t.Fatalf("zero config must serve: %v", err)
	}
	if got := c.consoleURL(); got != "http://localhost:8080/admin/" {
		t.Fatalf("console URL %q", got)
	}
}

func TestLoadConfigRefusals(t *testing.T) {
	for name, tc := range map[string]struct {
		env  map[string]string
		want string
	}{
		"bad driver":        {map[string]string{"DB_DRIVER": "postgres"}, "DB_DRIVER"},
		"mysql without DSN": {map[string]string{"DB_DRIVER": "mysql"}, "DB_DSN is required"},
		"bad TTL":           {map[string]string{"TOKEN_TTL": "a week"}, "TOKEN_TTL"},
		"bad addr":          {map[string]string{"HTTP_ADDR": "8080"}, "HTTP_ADDR"},
		"bad pool":          {map[string]string{"DB_MAX_OPEN_CONNS": "-1"}, "DB_MAX_OPEN_CONNS"},
		"bad sandbox":       {map[string]string{"SANDBOX": "yes please"}, "SANDBOX"},
		"bad language":      {map[string]string{"DEFAULT_LANG": "tlh"}, "DEFAULT_LANG"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := loadConfig(env(tc.env))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error naming %s, got %v", tc.want, err)
			}
		})
	}
}

func TestServeChecks(t *testing.T) {
	mysql := map[string]string{"DB_DRIVER": "mysql", "DB_DSN": "u:p@tcp(db:3306)/wxbind"}
	for name, tc := range map[string]struct {
		extra map[string]string
		want  string // "" = accepted
	}{
		"mysql needs SANDBOX=1 for sandbox": {nil, "SANDBOX=1"},
		"mysql needs SECRET_KEY":            {map[string]string{"WECHAT_APPID": "wx1", "WECHAT_SECRET": "s"}, "SECRET_KEY is required"},
		"short SECRET_KEY":                  {map[string]string{"WECHAT_APPID": "wx1", "WECHAT_SECRET": "s", "SECRET_KEY": "short"}, "at least 32"},
		"appid without secret":              {map[string]string{"WECHAT_APPID": "wx1", "SECRET_KEY": strings.Repeat("k", 32)}, "WECHAT_SECRET"},
		"explicit sandbox on mysql":         {map[string]string{"SANDBOX": "1", "SECRET_KEY": strings.Repeat("k", 32)}, ""},
		"production needs PUBLIC_URL":       {map[string]string{"WECHAT_APPID": "wx1", "WECHAT_SECRET": "s", "SECRET_KEY": strings.Repeat("k", 32)}, "PUBLIC_URL is required with WECHAT_APPID"},
		"production":                        {map[string]string{"WECHAT_APPID": "wx1", "WECHAT_SECRET": "s", "SECRET_KEY": strings.Repeat("k", 32), "PUBLIC_URL": "https://api.example.com"}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			kv := map[string]string{}
			for k, v := range mysql {
				kv[k] = v
			}
			for k, v := range tc.extra {
				kv[k] = v
			}
			c, err := loadConfig(env(kv))
			if err != nil {
				t.Fatal(err)
			}
			err = c.checkServe()
			if tc.want == "" && err != nil {
				t.Fatalf("want accepted, got %v", err)
			}
			if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("want an error naming %q, got %v", tc.want, err)
			}
		})
	}
}

func TestSecretKeyGeneratedOnce(t *testing.T) {
	dir := t.TempDir()
	c, _ := loadConfig(env(map[string]string{"DATA_DIR": dir}))
	k1, err := c.secretKey()
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := c.secretKey()
	if k1 != k2 || len(k1) < 32 {
		t.Fatalf("the generated key must be kept: %q %q", k1, k2)
	}
	st, err := os.Stat(filepath.Join(dir, "secret_key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("secret_key must be 0600: %v %v", st.Mode(), err)
	}
}

func TestUserAddAndMigrate(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		dsn := modelstest.NewDSN(t, driver)
		getenv := env(map[string]string{"DB_DRIVER": driver, "DB_DSN": dsn, "DATA_DIR": t.TempDir(), "LOG_LEVEL": "warn"})
		var out, errs bytes.Buffer
		ctx := context.Background()
		if err := run(ctx, []string{"migrate"}, getenv, nil, &out, &errs); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		if err := run(ctx, []string{"user", "add", "-username", "sam", "-password", "sam-password", "-name", "Sam 🚀", "-role", "staff"}, getenv, nil, &out, &errs); err != nil {
			t.Fatalf("user add: %v", err)
		}
		if err := run(ctx, []string{"user", "add", "-username", "tia", "-password-stdin"}, getenv, strings.NewReader("tia-password\n"), &out, &errs); err != nil {
			t.Fatalf("user add -password-stdin: %v", err)
		}
		if !strings.Contains(out.String(), `created staff account "sam"`) || !strings.Contains(out.String(), `created user account "tia"`) {
			t.Fatalf("output: %s", out.String())
		}
		for args, want := range map[string]string{
			"user add -username sam -password sam-password":              "is taken",
			"user add -username uma -password short":                     "at least 8",
			"user add -username uma -password pw-long-enough -role root": "role",
			"user add -username x":                                       "required",
			"user remove":                                                "usage",
			"frobnicate":                                                 "unknown command",
		} {
			err := run(ctx, strings.Fields(args), getenv, nil, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: want an error naming %q, got %v", args, want, err)
			}
		}
		db, err := models.Open(driver, dsn, models.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer func() { s, _ := db.DB(); s.Close() }()
		var a models.Account
		if err := db.Where("username = ?", "sam").Take(&a).Error; err != nil || a.Name != "Sam 🚀" || a.Role != "staff" {
			t.Fatalf("sam stored as %+v, %v", a, err)
		}
	})
}

// TestUserAddTakenUsername: adding a username that exists fails with one sentence a person
// can act on, and the output holds no log line about the failed INSERT.
func TestUserAddTakenUsername(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		getenv := env(map[string]string{"DB_DRIVER": driver, "DB_DSN": modelstest.NewDSN(t, driver), "DATA_DIR": t.TempDir(), "LOG_LEVEL": "debug"})
		ctx := context.Background()
		add := []string{"user", "add", "-username", "alice", "-password", "correct-horse"}
		if err := run(ctx, add, getenv, nil, io.Discard, io.Discard); err != nil {
			t.Fatalf("user add: %v", err)
		}
		var out, errs bytes.Buffer
		add[len(add)-1] = "another-horse"
		err := run(ctx, add, getenv, nil, &out, &errs)
		want := `username "alice" is taken: choose another, or reset that account's password in the console (/admin/)`
		if err == nil || err.Error() != want {
			t.Fatalf("user add with a taken username: want the error %q, got %v", want, err)
		}
		for _, noise := range []string{"INSERT", "SQL", "level=ERROR", "duplicate"} {
			if strings.Contains(out.String()+errs.String(), noise) {
				t.Errorf("the output holds %q:\n%s%s", noise, out.String(), errs.String())
			}
		}
	})
}

// syncWriter lets the server log while the test reads.
type syncWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// TestServeZeroConfig runs the real command as `go run ./cmd/server` would, with nothing
// configured: it prints the first admin's password once, serves the sandbox, and stops cleanly.
func TestServeZeroConfig(t *testing.T) {
	dir := t.TempDir()
	getenv := env(map[string]string{"DATA_DIR": dir, "HTTP_ADDR": "127.0.0.1:0", "METRICS_ADDR": "127.0.0.1:0"})
	var stderr syncWriter
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, getenv, nil, io.Discard, &stderr) }()

	addrRe := regexp.MustCompile(`msg=listening addr=(\S+)`)
	var addr string
	for deadline := time.Now().Add(20 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if m := addrRe.FindStringSubmatch(stderr.String()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		stop()
		t.Fatalf("server did not start:\n%s", stderr.String())
	}
	log := stderr.String()
	if !strings.Contains(log, "SANDBOX mode") || !regexp.MustCompile(`password: \S{16,}`).MatchString(log) {
		t.Fatalf("start must announce sandbox mode and the first admin password:\n%s", log)
	}
	resp, err := http.Get("http://" + addr + "/mobileApi/user/checkBind?code=sandbox:zoe")
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if body["code"] != float64(301) || body["bindTicket"] == "" {
		t.Fatalf("sandbox checkBind: %v", body)
	}
	m := regexp.MustCompile(`msg="metrics listening" addr=(\S+)`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("metrics listener not announced:\n%s", stderr.String())
	}
	resp, err = http.Get("http://" + m[1] + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), `wxbind_mobile_outcomes_total{outcome="not_bound",route="/mobileApi/user/checkBind"} 1`) {
		t.Fatalf("/metrics lacks the checkBind just made:\n%.2000s", metrics)
	}
	if r, err := http.Get("http://" + addr + "/metrics"); err == nil && r.StatusCode != 404 {
		t.Fatalf("the public port must not serve /metrics: %d", r.StatusCode)
	}
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	for _, f := range []string{"app.db", "secret_key"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("DATA_DIR lacks %s: %v", f, err)
		}
	}
	// a second start keeps the admin and does not print a password again
	stderr = syncWriter{}
	ctx2, stop2 := context.WithCancel(context.Background())
	go func() { done <- run(ctx2, nil, getenv, nil, io.Discard, &stderr) }()
	for deadline := time.Now().Add(20 * time.Second); !addrRe.MatchString(stderr.String()) && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
	}
	stop2()
	<-done
	if strings.Contains(stderr.String(), "password:") {
		t.Fatal("the admin password must be shown only once")
	}
}

// TestServeMemoryLimit: a serving process gets a soft memory limit unless GOMEMLIMIT sets one;
// the one-shot commands get none.
func TestServeMemoryLimit(t *testing.T) {
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }
	for _, c := range []struct {
		args  []string
		env   map[string]string
		limit int64
		ok    bool
	}{
		{nil, nil, defaultServeMemoryLimit, true},
		{[]string{"serve"}, nil, defaultServeMemoryLimit, true},
		{[]string{"serve"}, map[string]string{"GOMEMLIMIT": "512MiB"}, 0, false},
		{[]string{"demo", "-accounts", "1000"}, nil, 0, false},
		{[]string{"migrate"}, nil, 0, false},
	} {
		if limit, ok := serveMemoryLimit(c.args, env(c.env)); limit != c.limit || ok != c.ok {
			t.Errorf("%v with %v: got %d %v, want %d %v", c.args, c.env, limit, ok, c.limit, c.ok)
		}
	}
}
