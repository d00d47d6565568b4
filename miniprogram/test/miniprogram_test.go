// Package miniprogramtest runs the sample mini-program's Node tests (miniprogram/test/*.test.js)
// against the real server binary: built from ./cmd/server, started on a free loopback port in
// sandbox mode with its own data directory, accounts made with `server user add`, on SQLite and
// on a throwaway MariaDB database. The tests render the pages with Tencent's
// miniprogram-simulate; their npm packages (package-lock.json) are installed with `npm ci`
// when node_modules is missing or older than the lock file.
package miniprogramtest

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"wxbind/models"
	"wxbind/models/modelstest"
	"wxbind/web/webtest"
)

// accounts are the ones the Node tests bind; each test file uses its own.
var accounts = []string{"alice", "bob", "carol", "dave", "erin", "frank", "stella", "sofia", "sven", "ursula"}

// roles are the accounts that are not plain users: stella scans to log in to the console;
// sofia and sven scan from phones not bound yet and bind on the way.
var roles = map[string]string{"stella": "staff", "sofia": "staff", "sven": "staff"}

// menus are seeded for alice, as an admin would assign them in the console.
var menus = []string{"orders", "stock"}

func TestMiniProgram(t *testing.T) {
	node := tool(t, "node")
	npmInstall(t, tool(t, "npm"))
	binary := buildServer(t)
	files, _ := filepath.Glob("*.test.js")
	if only := os.Getenv("MINIPROGRAM_TESTS"); only != "" { // e.g. flow.test.js, while working on one file
		files = strings.Fields(only)
	}
	if len(files) == 0 {
		t.Fatal("no miniprogram/test/*.test.js files")
	}
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		srv := startServer(t, binary, driver)
		out, err := runNode(t, node, files, srv)
		t.Logf("node --test output:\n%s", out)
		if err != nil {
			t.Fatalf("node --test failed: %v\nserver log:\n%s", err, srv.log.String())
		}
		pass, fail, skipped := tapCount(out, "pass"), tapCount(out, "fail"), tapCount(out, "skipped")
		if pass == 0 || fail != 0 || skipped != 0 {
			t.Fatalf("node --test: %d passed, %d failed, %d skipped", pass, fail, skipped)
		}
		srv.stop(t)
		logs := srv.log.String()
		for _, secret := range []string{srv.password, srv.admin, "Bearer ", "bindTicket"} {
			if strings.Contains(logs, secret) {
				t.Errorf("the server log holds %q", secret)
			}
		}
	})
}

// tool finds a program the tests need: without it they skip, or fail when CI is set.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but %s is not installed; the sample mini-program's tests need Node.js 18+ and npm (.ci/run installs them)", name)
		}
		t.Skipf("%s not found; install Node.js 18+ and npm to run the sample mini-program's tests", name)
	}
	return p
}

// npmInstall runs `npm ci` unless node_modules already holds what package-lock.json pins.
func npmInstall(t *testing.T, npm string) {
	t.Helper()
	lock, err := os.Stat("package-lock.json")
	if err != nil {
		t.Fatal(err)
	}
	if installed, err := os.Stat(filepath.Join("node_modules", ".package-lock.json")); err == nil && !installed.ModTime().Before(lock.ModTime()) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Env = cleanEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in miniprogram/test: %v\n%s", err, out)
	}
}

// server is a running wxbind binary.
type server struct {
	url      string
	password string
	admin    string         // the console's admin password
	ids      map[string]int // account ids by username, from `server user add`
	cmd      *exec.Cmd
	log      *webtest.SyncBuffer
	done     chan error
}

func buildServer(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "wxbind-server")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/server")
	build.Dir = root
	if msg, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/server: %v\n%s", err, msg)
	}
	return out
}

func startServer(t *testing.T, binary, driver string) *server {
	t.Helper()
	dataDir := t.TempDir()
	password := "pw-" + randomHex(8)
	admin := "admin-" + randomHex(8)
	env := cleanEnv(
		"HTTP_ADDR=127.0.0.1:"+strconv.Itoa(freePort(t)),
		"DATA_DIR="+dataDir,
		"ADMIN_PASSWORD="+admin,
		"LOG_LEVEL=info",
	)
	dsn := filepath.Join(dataDir, "app.db")
	if driver == models.DriverMySQL {
		dsn = modelstest.NewDSN(t, driver)
		env = append(env, "DB_DRIVER=mysql", "DB_DSN="+dsn, "SANDBOX=1", "SECRET_KEY="+randomHex(24))
	}

	ids := map[string]int{}
	created := regexp.MustCompile(`created (?:user|staff|admin) account "[^"]+" \(id (\d+)\)`)
	for _, name := range accounts {
		add := exec.Command(binary, "user", "add", "-username", name, "-password-stdin", "-name", strings.ToUpper(name[:1])+name[1:], "-role", cmp.Or(roles[name], "user"))
		add.Env = env
		add.Stdin = strings.NewReader(password + "\n")
		msg, err := add.CombinedOutput()
		m := created.FindSubmatch(msg)
		if err != nil || m == nil {
			t.Fatalf("server user add %s: %v\n%s", name, err, msg)
		}
		ids[name], _ = strconv.Atoi(string(m[1]))
	}
	seedMenus(t, driver, dsn, "alice")

	s := &server{password: password, admin: admin, ids: ids, log: &webtest.SyncBuffer{}, done: make(chan error, 1)}
	s.cmd = exec.Command(binary)
	s.cmd.Env = env
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			s.cmd.Process.Kill()
			<-s.done
		}
	})
	for _, kv := range env {
		if addr, ok := strings.CutPrefix(kv, "HTTP_ADDR="); ok {
			s.url = "http://" + addr
		}
	}
	s.waitReady(t)
	return s
}

// waitReady polls /readyz until the server answers, or fails with its log.
func (s *server) waitReady(t *testing.T) {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			t.Fatalf("the server exited before it was ready: %v\n%s", err, s.log.String())
		default:
		}
		if res, err := client.Get(s.url + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the server was not ready within 60s:\n%s", s.log.String())
}

// stop sends SIGTERM and wants a clean exit within the server's shutdown grace.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("the server did not stop cleanly on SIGTERM: %v\n%s", err, s.log.String())
		}
	case <-time.After(30 * time.Second):
		t.Errorf("the server did not stop within 30s of SIGTERM")
	}
}

func runNode(t *testing.T, node string, files []string, s *server) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	args := append([]string{"--test", "--test-reporter=tap"}, files...)
	cmd := exec.CommandContext(ctx, node, args...)
	var ids []string
	for name, id := range s.ids {
		ids = append(ids, name+"="+strconv.Itoa(id))
	}
	cmd.Env = cleanEnv("WXBIND_URL="+s.url, "WXBIND_PASSWORD="+s.password, "WXBIND_ADMIN_PASSWORD="+s.admin,
		"WXBIND_ACCOUNT_IDS="+strings.Join(ids, ","), "WXBIND_MENUS="+strings.Join(menus, ","))
	out, err := cmd.CombinedOutput()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return string(out), fmt.Errorf("node --test ran over 4 minutes")
	}
	return string(out), err
}

// seedMenus gives username a parent menu with the test menus under it.
func seedMenus(t *testing.T, driver, dsn, username string) {
	t.Helper()
	db, err := models.Open(driver, dsn, models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if sqlDB, err := db.DB(); err == nil {
			sqlDB.Close()
		}
	}()
	ctx := context.Background()
	store := models.NewStore(db)
	acct, err := store.AccountByUsername(ctx, username)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	parent := models.Menu{Code: "work", Name: "Work", Sort: 1, Visible: true, CreatedAt: now, UpdatedAt: now}
	if err := store.CreateMenu(ctx, &parent); err != nil {
		t.Fatal(err)
	}
	ids := []uint64{parent.ID}
	for i, code := range menus {
		m := models.Menu{ParentID: &parent.ID, Code: code, Name: strings.ToUpper(code[:1]) + code[1:], Path: "/pages/" + code + "/index", Sort: i, Visible: true, CreatedAt: now, UpdatedAt: now}
		if err := store.CreateMenu(ctx, &m); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	modelstest.GiveMenus(t, store, []uint64{acct.ID}, ids)
}

// cleanEnv is this process's environment without the server's settings, plus extra.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "WECHAT_"), strings.HasPrefix(name, "DB_"), strings.HasPrefix(name, "ADMIN_"),
			strings.HasPrefix(name, "WXBIND_"), name == "SANDBOX", name == "SECRET_KEY", name == "HTTP_ADDR",
			name == "DATA_DIR", name == "PUBLIC_URL", name == "TOKEN_TTL", name == "TRUSTED_PROXIES", name == "NODE_OPTIONS":
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// tapCount reads a TAP summary line such as "# pass 12".
func tapCount(out, what string) int {
	m := regexp.MustCompile(`(?m)^# ` + what + ` (\d+)$`).FindStringSubmatch(out)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}
