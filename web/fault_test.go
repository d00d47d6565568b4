package web_test

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"wxbind/models"
	"wxbind/models/modelstest"
	"wxbind/web/webtest"
	"wxbind/wechat/wechattest"
)

// privateMariaDB is a mariadbd of the test's own, on its own port and data directory, so the
// test can stop and kill it without touching anyone else's database.
type privateMariaDB struct {
	t       *testing.T
	dir     string
	port    int
	cmd     *exec.Cmd
	exited  chan struct{}
	rootDSN string
}

func startPrivateMariaDB(t *testing.T) *privateMariaDB {
	t.Helper()
	daemon, err1 := exec.LookPath("mariadbd")
	if err1 != nil {
		daemon = "/usr/sbin/mariadbd"
	}
	install, err2 := exec.LookPath("mariadb-install-db")
	if _, err := os.Stat(daemon); err != nil || err2 != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but mariadbd or mariadb-install-db is missing")
		}
		t.Skip("skipping: mariadbd / mariadb-install-db not installed")
	}
	dir := t.TempDir()
	out, err := exec.Command(install, "--no-defaults", "--datadir="+filepath.Join(dir, "data"), "--user="+currentUser(),
		"--auth-root-authentication-method=normal", "--skip-test-db").CombinedOutput()
	if err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	m := &privateMariaDB{t: t, dir: dir, port: port, rootDSN: fmt.Sprintf("root@tcp(127.0.0.1:%d)/", port)}
	m.start()
	t.Cleanup(func() { m.stop(syscall.SIGTERM) })
	return m
}

func currentUser() string {
	if os.Geteuid() == 0 {
		return "root"
	}
	return strconv.Itoa(os.Geteuid())
}

func (m *privateMariaDB) start() {
	m.t.Helper()
	m.cmd = exec.Command("/usr/sbin/mariadbd", "--no-defaults", "--datadir="+filepath.Join(m.dir, "data"), "--user="+currentUser(),
		"--port="+strconv.Itoa(m.port), "--bind-address=127.0.0.1", "--socket="+filepath.Join(m.dir, "sock"),
		"--skip-log-bin", "--innodb-buffer-pool-size=32M", "--log-error="+filepath.Join(m.dir, "error.log"))
	if err := m.cmd.Start(); err != nil {
		m.t.Fatal(err)
	}
	m.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) { cmd.Wait(); close(exited) }(m.cmd, m.exited)
	deadline := time.Now().Add(60 * time.Second)
	for {
		db, _ := sql.Open("mysql", m.rootDSN)
		err := db.Ping()
		db.Close()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(m.dir, "error.log"))
			m.t.Fatalf("private mariadbd did not start: %v\n%s", err, log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (m *privateMariaDB) stop(sig syscall.Signal) {
	if m.cmd == nil || m.cmd.Process == nil {
		return
	}
	select {
	case <-m.exited:
		return
	default:
	}
	m.cmd.Process.Signal(sig)
	select {
	case <-m.exited:
	case <-time.After(60 * time.Second):
		m.cmd.Process.Kill()
		<-m.exited
	}
}

// TestDatabaseGoesAway stops the database under a running server: readiness turns 503 and
// requests fail fast with clear errors; after a restart the server recovers by itself; binds cut
// off by a crash are all or nothing.
func TestDatabaseGoesAway(t *testing.T) {
	if testing.Short() {
		t.Skip("starts its own mariadbd")
	}
	mdb := startPrivateMariaDB(t)
	admin, err := sql.Open("mysql", mdb.rootDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE wxbind CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatal(err)
	}
	dsn := mdb.rootDSN + "wxbind?timeout=2s&readTimeout=5s&writeTimeout=5s"
	gdb, err := models.Open(models.DriverMySQL, dsn, models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.Migrate(context.Background(), gdb, models.DriverMySQL); err != nil {
		t.Fatal(err)
	}
	app := webtest.Start(t, webtest.Options{Driver: models.DriverMySQL, DB: &modelstest.DB{Driver: models.DriverMySQL, DSN: dsn, Gorm: gdb}})
	const n = 24
	for i := range n {
		app.CreateAccount(t, fmt.Sprintf("worker%02d", i), "worker-password", "user")
	}
	token := app.BindNew(t, "steady-phone", "worker00", "worker-password")

	// 1. the database stops cleanly
	mdb.stop(syscall.SIGTERM)
	if r := app.Do(t, http.MethodGet, "/readyz", nil); r.Status != http.StatusServiceUnavailable {
		t.Fatalf("readyz without a database: %d", r.Status)
	}
	start := time.Now()
	for _, r := range []webtest.Response{
		app.CheckBind(t, wechattest.Code("steady-phone")),
		app.Authed(t, http.MethodGet, "/mobileApi/user/info", token, nil),
	} {
		if r.Status != http.StatusServiceUnavailable || r.Code() == 1 || r.String("msg") == "" {
			t.Fatalf("request without a database: want 503 with a msg, got %d %s", r.Status, r.Raw)
		}
	}
	if waited := time.Since(start); waited > 15*time.Second {
		t.Fatalf("requests without a database took %v", waited)
	}

	// 2. it comes back: the server recovers without a restart
	mdb.start()
	waitReady(t, app)
	if r := app.Authed(t, http.MethodGet, "/mobileApi/user/info", token, nil); r.Code() != 1 {
		t.Fatalf("after the database restarted, info: %d %s", r.Status, r.Raw)
	}

	// 3. a crash in the middle of binds leaves each bind whole or absent
	tickets := make([]string, n)
	for i := 1; i < n; i++ {
		tickets[i] = app.CheckBind(t, wechattest.Code(fmt.Sprintf("crash-phone-%02d", i))).String("bindTicket")
	}
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := 1; i < n; i++ {
		wg.Go(func() {
			time.Sleep(time.Duration(i) * 15 * time.Millisecond)
			statuses[i] = app.Do(t, http.MethodPost, "/mobileApi/user/bind", map[string]any{"bindTicket": tickets[i], "username": fmt.Sprintf("worker%02d", i), "password": "worker-password"}).Status
		})
	}
	time.Sleep(180 * time.Millisecond)
	mdb.stop(syscall.SIGKILL)
	wg.Wait()
	mdb.start()
	waitReady(t, app)

	var bound, withToken, audited, spent int64
	gdb.Raw("SELECT COUNT(*) FROM wechat_identities WHERE account_id IS NOT NULL").Scan(&bound)
	gdb.Raw("SELECT COUNT(DISTINCT identity_id) FROM login_tokens").Scan(&withToken)
	gdb.Raw("SELECT COUNT(*) FROM audit_entries WHERE action = 'bind'").Scan(&audited)
	gdb.Raw("SELECT COUNT(*) FROM spent_bind_tickets").Scan(&spent)
	t.Logf("bind statuses around the crash: %v", statuses[1:])
	if os.Getenv("FAULT_DEBUG") != "" {
		t.Log(app.Logs.String())
	}
	t.Logf("after the crash: %d bound, %d with tokens, %d audited, %d tickets spent", bound, withToken, audited, spent)
	if bound != withToken || bound != audited || spent != bound {
		t.Fatalf("half-written binds: %d bound, %d with tokens, %d bind audit entries, %d spent tickets", bound, withToken, audited, spent)
	}
	// binds the crash refused can be retried with the same tickets
	for i := 1; i < n; i++ {
		r := app.Do(t, http.MethodPost, "/mobileApi/user/bind", map[string]any{"bindTicket": tickets[i], "username": fmt.Sprintf("worker%02d", i), "password": "worker-password"})
		if r.Code() != 1 && r.String("reason") != "ticket_used" {
			t.Fatalf("retrying bind %d after the crash: %d %s", i, r.Status, r.Raw)
		}
	}
	gdb.Raw("SELECT COUNT(*) FROM wechat_identities WHERE account_id IS NOT NULL").Scan(&bound)
	if bound != n {
		t.Fatalf("after retries want %d bindings, got %d", n, bound)
	}

	// 4. a crash in the middle of checkBinds, whose writes commit in shared batches, loses no
	// login that was answered: every token handed out works after the restart.
	var (
		mu       sync.Mutex
		answered []string
		failed   int
	)
	stop := make(chan struct{})
	for i := 1; i < n; i++ {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				r := app.CheckBind(t, wechattest.Code(fmt.Sprintf("crash-phone-%02d", i)))
				mu.Lock()
				if r.Code() == 1 {
					answered = append(answered, r.String("token"))
				} else {
					failed++
				}
				mu.Unlock()
			}
		})
	}
	time.Sleep(300 * time.Millisecond)
	mdb.stop(syscall.SIGKILL)
	time.Sleep(100 * time.Millisecond)
	close(stop)
	wg.Wait()
	mdb.start()
	waitReady(t, app)
	t.Logf("checkBinds around the crash: %d answered with a token, %d refused", len(answered), failed)
	if len(answered) == 0 || failed == 0 {
		t.Fatalf("the crash must fall among the checkBinds: %d answered, %d refused", len(answered), failed)
	}
	for _, token := range answered {
		if r := app.Authed(t, http.MethodGet, "/mobileApi/user/info", token, nil); r.Code() != 1 {
			t.Fatalf("a token answered before the crash is gone after it: %d %s", r.Status, r.Raw)
		}
	}
}

func waitReady(t *testing.T, app *webtest.App) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for app.Do(t, http.MethodGet, "/readyz", nil).Status != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("the server did not become ready after the database came back")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
