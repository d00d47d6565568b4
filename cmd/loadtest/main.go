// Command loadtest measures the server under load on MariaDB, against a bare Gin handler on the
// same database, and prints the results as a Markdown table for docs/benchmarks.md.
//
// It builds cmd/server, makes a throwaway database, fills it with `server demo -accounts N`,
// starts the server (with WECHAT_API_BASE pointing at a fake WeChat it runs itself) and a
// baseline process (`loadtest baseline`), then loads each endpoint with a fixed number of
// connections for a fixed time. Everything listens on 127.0.0.1 only.
//
//	go run ./cmd/loadtest                            # 1,000,000 accounts, 15 s per phase
//	go run ./cmd/loadtest -quick                     # 10,000 accounts, 2 rounds, about a minute
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"golang.org/x/crypto/bcrypt"
)

// The fake mini-program the server is configured for.
const (
	loadAppID  = "wxloadtest000001"
	loadSecret = "loadtest-secret-0123456789abcdef"
	loadAdmin  = "loadtest-admin"
)

type options struct {
	dsn      string
	database string
	accounts int
	duration time.Duration
	warmup   time.Duration
	conns    int
	rounds   int
	phases   map[string]bool
	profile  string
	// privateMariaDB, when set, is the buffer pool size of a mariadbd the run starts for itself.
	privateMariaDB string
	serverEnv      []string
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "baseline" {
		if err := runBaseline(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "baseline:", err)
			os.Exit(1)
		}
		return
	}
	var o options
	flag.StringVar(&o.dsn, "dsn", "root@unix(/run/mysqld/mysqld.sock)/", "MariaDB/MySQL server DSN (its database part is ignored); the user must be able to create and drop databases")
	flag.StringVar(&o.privateMariaDB, "private-mariadb", "", "run a mariadbd of its own (temporary data directory, loopback port) with this innodb_buffer_pool_size, e.g. 1G, instead of using -dsn")
	flag.StringVar(&o.database, "db", "", "use this database and keep it afterwards (a rerun then skips most of the fill); default: a throwaway one, dropped at the end")
	flag.IntVar(&o.accounts, "accounts", 1_000_000, "demo accounts in the database")
	flag.DurationVar(&o.duration, "duration", 15*time.Second, "measured time per phase, over all rounds")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured load before each phase of each round")
	flag.IntVar(&o.conns, "conns", 64, "concurrent connections")
	flag.IntVar(&o.rounds, "rounds", 3, "the phases run this many times in turn, each for -duration/-rounds, and are summed")
	flag.StringVar(&o.profile, "profile", "", "directory for the server's CPU profile per phase and a heap profile (serves pprof on loopback via PPROF_ADDR)")
	quick := flag.Bool("quick", false, "the inner loop's run: -accounts 10000 -duration 6s -rounds 2 -warmup 1s (flags given explicitly win); about a minute")
	phaseList := flag.String("phases", "read,insert,checkbind,info,console", "which phases to run: read and insert are the baselines")
	flag.Func("server-env", "KEY=VALUE added to the server's environment (repeatable)", func(s string) error {
		if !strings.Contains(s, "=") {
			return errors.New("want KEY=VALUE")
		}
		o.serverEnv = append(o.serverEnv, s)
		return nil
	})
	flag.Parse()
	if *quick {
		applyQuick(&o)
	}
	o.phases = map[string]bool{}
	for _, p := range strings.Split(*phaseList, ",") {
		switch p = strings.TrimSpace(p); p {
		case "read", "insert", "checkbind", "info", "console":
			o.phases[p] = true
		default:
			fmt.Fprintf(os.Stderr, "loadtest: -phases: unknown phase %q (read, insert, checkbind, info, console)\n", p)
			os.Exit(2)
		}
	}
	if o.accounts < 1 || o.conns < 1 || o.rounds < 1 || o.duration < time.Duration(o.rounds)*time.Second {
		fmt.Fprintln(os.Stderr, "loadtest: -accounts, -conns and -rounds must be positive, and -duration at least a second per round")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

// applyQuick sets the -quick defaults on every option the command line did not set itself.
func applyQuick(o *options) {
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !set["accounts"] {
		o.accounts = 10_000
	}
	if !set["duration"] {
		o.duration = 6 * time.Second
	}
	if !set["rounds"] {
		o.rounds = 2
	}
	if !set["warmup"] {
		o.warmup = time.Second
	}
}

// run measures and prints the report to out; the report is also returned, for tests.
func run(ctx context.Context, o options, out io.Writer) (report, error) {
	started := time.Now()
	tmp, err := os.MkdirTemp("", "wxbind-loadtest-")
	if err != nil {
		return report{}, err
	}
	defer os.RemoveAll(tmp)

	serverBin := filepath.Join(tmp, "server")
	logf("building cmd/server")
	if err := buildServer(ctx, serverBin); err != nil {
		return report{}, err
	}

	mariadbPID := pidOf("mariadbd", "mysqld") // the machine's, when -dsn points at it
	if o.privateMariaDB != "" {
		m, err := startPrivateMariaDB(ctx, o.privateMariaDB, tmp)
		if err != nil {
			return report{}, err
		}
		defer m.stop()
		o.dsn, o.database, mariadbPID = m.dsn, "", m.proc.pid()
	}
	dbDSN, dropDB, err := prepareDatabase(ctx, o)
	dbName := databaseName(dbDSN)
	if err != nil {
		return report{}, err
	}
	defer dropDB()

	wx, err := startFakeWeChat(loadAppID, loadSecret)
	if err != nil {
		return report{}, err
	}
	defer wx.close()

	adminPassword := randomHex(12)
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + os.TempDir(),
		"DB_DRIVER=mysql", "DB_DSN=" + dbDSN, "DATA_DIR=" + filepath.Join(tmp, "data"),
		"WECHAT_APPID=" + loadAppID, "WECHAT_SECRET=" + loadSecret, "WECHAT_API_BASE=" + wx.url,
		"SECRET_KEY=" + randomHex(32),
		"ADMIN_USERNAME=" + loadAdmin, "ADMIN_PASSWORD=" + adminPassword,
		// As behind a reverse proxy: the load generator names each demo user's own address in
		// X-Forwarded-For, so per-address rate limits see many users, as in production, and
		// not one address sending thousands of logins a second.
		"TRUSTED_PROXIES=127.0.0.1",
	}

	logf("filling the database: server demo -accounts %d", o.accounts)
	fillStart := time.Now()
	demo := exec.CommandContext(ctx, serverBin, "demo", "-accounts", strconv.Itoa(o.accounts))
	demo.Env = append(env, "LOG_LEVEL=warn")
	demo.Stdout, demo.Stderr = os.Stderr, os.Stderr
	if err := demo.Run(); err != nil {
		return report{}, fmt.Errorf("server demo: %w", err)
	}
	fill := time.Since(fillStart)
	if err := resetAdminPassword(ctx, dbDSN, adminPassword); err != nil {
		return report{}, err
	}

	serverAddr, err := freeLoopbackAddr()
	if err != nil {
		return report{}, err
	}
	serverEnv := append(append([]string{}, env...), "HTTP_ADDR="+serverAddr, "PUBLIC_URL=http://"+serverAddr) // required with WECHAT_APPID
	var pprofAddr string
	if o.profile != "" {
		if err := os.MkdirAll(o.profile, 0o755); err != nil {
			return report{}, err
		}
		if pprofAddr, err = freeLoopbackAddr(); err != nil {
			return report{}, err
		}
		serverEnv = append(serverEnv, "PPROF_ADDR="+pprofAddr)
	}
	serverEnv = append(serverEnv, o.serverEnv...)
	serverLog := filepath.Join(tmp, "server.log")
	server, err := startProcess(ctx, serverBin, nil, serverEnv, serverLog)
	if err != nil {
		return report{}, err
	}
	defer server.stop()
	serverURL := "http://" + serverAddr
	if err := waitFor(ctx, serverURL+"/readyz", server); err != nil {
		return report{}, fmt.Errorf("server did not get ready: %w\n%s", err, tail(serverLog))
	}

	self, err := os.Executable()
	if err != nil {
		return report{}, err
	}
	baseAddr, err := freeLoopbackAddr()
	if err != nil {
		return report{}, err
	}
	baseLog := filepath.Join(tmp, "baseline.log")
	base, err := startProcess(ctx, self, []string{"baseline", "-dsn", dbDSN, "-addr", baseAddr}, env, baseLog)
	if err != nil {
		return report{}, err
	}
	defer base.stop()
	baseURL := "http://" + baseAddr
	if err := waitFor(ctx, baseURL+"/read?id=1", base); err != nil {
		return report{}, fmt.Errorf("baseline did not get ready: %w\n%s", err, tail(baseLog))
	}

	transport := &http.Transport{
		MaxIdleConns: o.conns * 2, MaxIdleConnsPerHost: o.conns, MaxConnsPerHost: o.conns,
		IdleConnTimeout: time.Minute, DisableCompression: true,
	}
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	tokens := &tokenPool{}
	phases := []phase{
		{name: "baseline: one indexed read", key: "read", target: base.pid(),
			request: func(_ int, rng *mrand.Rand) (*http.Request, error) {
				return http.NewRequest(http.MethodGet, baseURL+"/read?id="+strconv.Itoa(1+rng.IntN(o.accounts)), nil)
			}, check: wantCode1},
		{name: "baseline: one insert", key: "insert", target: base.pid(),
			request: func(int, *mrand.Rand) (*http.Request, error) {
				return http.NewRequest(http.MethodPost, baseURL+"/insert", nil)
			}, check: wantCode1},
		{name: "checkBind (bound user)", key: "checkbind", target: server.pid(),
			request: func(_ int, rng *mrand.Rand) (*http.Request, error) {
				n := 1 + rng.IntN(o.accounts)
				req, err := http.NewRequest(http.MethodGet, serverURL+"/mobileApi/user/checkBind?code=demo:"+strconv.Itoa(n), nil)
				if err == nil {
					req.Header.Set("X-Forwarded-For", userAddr(n))
				}
				return req, err
			}, check: func(status int, body []byte) error {
				if err := wantCode1(status, body); err != nil {
					return err
				}
				tokens.offer(body)
				return nil
			}},
		{name: "info (with a token)", key: "info", target: server.pid(),
			request: func(_ int, rng *mrand.Rand) (*http.Request, error) {
				req, err := http.NewRequest(http.MethodGet, serverURL+"/mobileApi/user/info", nil)
				if err == nil {
					req.Header.Set("Authorization", "Bearer "+tokens.pick(rng))
				}
				return req, err
			}, check: wantCode1},
	}
	for i := range phases {
		phases[i].client = client
	}
	consoleNote := ""
	consoleClient, cursorParam, err := consoleLogin(ctx, transport, serverURL, adminPassword)
	switch {
	case errors.Is(err, errNoConsole):
		consoleNote = "the console users page was not measured: " + err.Error()
		logf("%s", consoleNote)
	case err != nil:
		return report{}, fmt.Errorf("console login: %w\n%s", err, tail(serverLog))
	default:
		usersPage := func(int, *mrand.Rand) (*http.Request, error) {
			return http.NewRequest(http.MethodGet, serverURL+"/admin/users", nil)
		}
		phases = append(phases,
			phase{name: "console users page (first page)", key: "console", target: server.pid(), client: consoleClient, request: usersPage, check: wantPage},
			phase{name: "console users page (first page, 1 connection)", key: "console", conns: 1, target: server.pid(), client: consoleClient, request: usersPage, check: wantPage},
			phase{name: "console users page (random keyset page)", key: "console", target: server.pid(), client: consoleClient,
				request: func(_ int, rng *mrand.Rand) (*http.Request, error) {
					return http.NewRequest(http.MethodGet, serverURL+"/admin/users?"+cursorParam+"="+usersCursor(100+rng.IntN(o.accounts)), nil)
				}, check: wantPage},
		)
	}

	// CPU time per request, per process: the machine's cost of each request, which other
	// load on the machine disturbs less than throughput. MariaDB's includes whatever else uses it.
	watch := []watched{{"server", server.pid()}, {"baseline", base.pid()}, {"loadtest", os.Getpid()}}
	if mariadbPID != 0 {
		watch = append(watch, watched{"MariaDB", mariadbPID})
	}
	var chosen []phase
	for _, p := range phases {
		if o.phases[p.key] {
			p.cpu = watch
			chosen = append(chosen, p)
		}
	}
	phases = chosen
	if o.phases["info"] && !o.phases["checkbind"] {
		logf("logging %d demo users in for the info phase", o.conns)
		for n := 1; n <= o.conns; n++ {
			resp, err := client.Get(serverURL + "/mobileApi/user/checkBind?code=demo:" + strconv.Itoa(1+(n*7919)%o.accounts))
			if err != nil {
				return report{}, err
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			tokens.offer(body)
		}
	}

	// Rounds interleave the server's phases with the baseline's, so that whatever else the
	// machine is doing weighs on both alike.
	results := map[string]result{}
	var order []string
	for round := 1; round <= o.rounds; round++ {
		for _, p := range phases {
			if ctx.Err() != nil {
				return report{}, ctx.Err()
			}
			if p.name == "info (with a token)" && tokens.size() == 0 {
				logf("skipping %s: checkBind gave no token", p.name)
				continue
			}
			prev, seen := results[p.name]
			if !seen {
				order = append(order, p.name)
			}
			results[p.name] = prev.merge(measure(ctx, p, o, round, pprofAddr))
		}
	}
	if pprofAddr != "" {
		saveProfile(ctx, pprofAddr, "/debug/pprof/heap", filepath.Join(o.profile, "heap.pprof"))
	}
	hwm, rss := procStatusKB(server.pid(), "VmHWM"), procStatusKB(server.pid(), "VmRSS")
	baseHWM := procStatusKB(base.pid(), "VmHWM")
	if n := countErrors(results); n > 0 {
		logf("%d requests failed; the server's warnings and errors:\n%s", n, problems(serverLog))
	}

	r := report{
		opts: o, database: dbName, results: results, order: order, fill: fill, total: time.Since(started),
		serverHWM: hwm, serverRSS: rss, baselineHWM: baseHWM, consoleNote: consoleNote,
		wechatCalls: wx.calls.Load(), wechatConns: wx.conns.Load(),
	}
	r.machine, r.mysql = machineFacts(ctx, dbDSN)
	r.print(out)
	return r, nil
}

// measure runs one round of a phase, with the server's CPU profile alongside when asked for.
func measure(ctx context.Context, p phase, o options, round int, pprofAddr string) result {
	conns := o.conns
	if p.conns > 0 {
		conns = p.conns
	}
	duration := o.duration / time.Duration(o.rounds)
	logf("round %d/%d, %q: %d connections, %s warm-up, %s measured", round, o.rounds, p.name, conns, o.warmup, duration)
	var wg sync.WaitGroup
	if pprofAddr != "" && !strings.HasPrefix(p.name, "baseline") {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-time.After(o.warmup):
			case <-ctx.Done():
				return
			}
			secs := max(1, int(duration.Seconds())-1)
			name := strings.NewReplacer(" ", "-", "(", "", ")", "", ":", "", ",", "").Replace(p.name)
			saveProfile(ctx, pprofAddr, fmt.Sprintf("/debug/pprof/profile?seconds=%d", secs), filepath.Join(o.profile, fmt.Sprintf("%s.round%d.cpu.pprof", name, round)))
		}()
		wg.Add(1)
		go func() { // where the requests wait, halfway through
			defer wg.Done()
			select {
			case <-time.After(o.warmup + duration/2):
			case <-ctx.Done():
				return
			}
			name := strings.NewReplacer(" ", "-", "(", "", ")", "", ":", "", ",", "").Replace(p.name)
			saveProfile(ctx, pprofAddr, "/debug/pprof/goroutine?debug=1", filepath.Join(o.profile, fmt.Sprintf("%s.round%d.goroutines.txt", name, round)))
		}()
	}
	r := p.run(ctx, p.client, conns, o.warmup, duration)
	wg.Wait()
	r.conns = conns
	logf("  %.0f requests/s, p50 %s, p99 %s, %d errors", r.rps(), ms(r.p50), ms(r.p99), r.errors)
	for _, e := range r.firstErrs {
		logf("  error: %s", e)
	}
	return r
}

func saveProfile(ctx context.Context, addr, path, file string) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		logf("profile %s: %v", path, err)
		return
	}
	defer resp.Body.Close()
	f, err := os.Create(file)
	if err != nil {
		logf("profile: %v", err)
		return
	}
	defer f.Close()
	io.Copy(f, resp.Body)
}

func countErrors(results map[string]result) int {
	n := 0
	for _, r := range results {
		n += r.errors
	}
	return n
}

var codeOK = []byte(`"code":1`)

func wantCode1(status int, body []byte) error {
	if status != http.StatusOK || !bytes.Contains(body, codeOK) {
		return fmt.Errorf("HTTP %d: %.200s", status, body)
	}
	return nil
}

func wantPage(status int, body []byte) error {
	if status != http.StatusOK || !bytes.Contains(body, []byte("demo0")) {
		return fmt.Errorf("HTTP %d: %.200s", status, body)
	}
	return nil
}

// userAddr is demo user n's own client address, in 10.0.0.0/8.
func userAddr(n int) string {
	return fmt.Sprintf("10.%d.%d.%d", (n>>16)&255, (n>>8)&255, n&255)
}

// tokenPool keeps some of the login tokens checkBind handed out, for the info phase.
type tokenPool struct {
	mu     sync.Mutex
	tokens []string
}

const maxTokens = 20000

func (t *tokenPool) offer(body []byte) {
	t.mu.Lock()
	full := len(t.tokens) >= maxTokens
	t.mu.Unlock()
	if full {
		return
	}
	var b struct {
		Token string `json:"token"`
	}
	if json.Unmarshal(body, &b) != nil || b.Token == "" {
		return
	}
	t.mu.Lock()
	t.tokens = append(t.tokens, b.Token)
	t.mu.Unlock()
}

func (t *tokenPool) size() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.tokens)
}

func (t *tokenPool) pick(rng *mrand.Rand) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.tokens[rng.IntN(len(t.tokens))]
}

var errNoConsole = errors.New("the server has no console login at POST /admin/login")

// nextPageLink finds the users list's link to its next page, to learn the keyset parameter.
var nextPageLink = regexp.MustCompile(`/admin/users\?([A-Za-z_]+)=[A-Za-z0-9_-]+`)

// usersCursor is the users list's keyset cursor of account id, as its Next link carries one:
// base64url of the row's key (see account.ListPage).
func usersCursor(id int) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, `{"i":%d}`, id))
}

// consoleLogin logs the admin in through the console's form and returns a client that carries
// the session cookie, and the query parameter that names a page of the users list.
func consoleLogin(ctx context.Context, transport http.RoundTripper, serverURL, password string) (*http.Client, string, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Transport: transport, Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	form := url.Values{"username": {loadAdmin}, "password": {password}, "next": {"/admin/users"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, serverURL+"/admin/login", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		return nil, "", err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, "", errNoConsole
	case resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusFound:
		return nil, "", fmt.Errorf("POST /admin/login answered %d: %.300s", resp.StatusCode, body)
	}
	resp, err = c.Get(serverURL + "/admin/users")
	if err != nil {
		return nil, "", err
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, "", fmt.Errorf("%w (GET /admin/users is 404)", errNoConsole)
	}
	if err := wantPage(resp.StatusCode, body); err != nil {
		return nil, "", fmt.Errorf("GET /admin/users after login: %w", err)
	}
	m := nextPageLink.FindSubmatch(body)
	if m == nil {
		return nil, "", errors.New("the users list has no link to a next page (/admin/users?PARAM=CURSOR)")
	}
	return c, string(m[1]), nil
}

// ---- processes and the database

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().UTC().Format("15:04:05")}, args...)...)
}

func buildServer(ctx context.Context, out string) error {
	gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/server")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building cmd/server in %s: %w", root, err)
	}
	return nil
}

// prepareDatabase creates the database (throwaway unless -db names one) and returns its DSN and
// what removes it.
func prepareDatabase(ctx context.Context, o options) (string, func(), error) {
	cfg, err := gomysql.ParseDSN(o.dsn)
	if err != nil {
		return "", nil, fmt.Errorf("-dsn: %w", err)
	}
	cfg.DBName = ""
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return "", nil, err
	}
	name, keep := o.database, o.database != ""
	if !keep {
		name = "wxbind_loadtest_" + randomHex(4)
	}
	if strings.ContainsAny(name, "`\\/. ") {
		admin.Close()
		return "", nil, fmt.Errorf("-db %q: use letters, digits and _", name)
	}
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("creating database %s: %w", name, err)
	}
	logf("database %s (%s)", name, map[bool]string{true: "kept afterwards", false: "dropped at the end"}[keep])
	drop := func() {
		defer admin.Close()
		if keep {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
			logf("dropping %s: %v", name, err)
		}
	}
	cfg.DBName = name
	return cfg.FormatDSN(), drop, nil
}

// resetAdminPassword gives the load test's admin this run's password when a kept database
// already has that admin from an earlier run; on a new database the server creates it.
func resetAdminPassword(ctx context.Context, dsn, password string) error {
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "UPDATE accounts SET password_hash = ? WHERE username = ?", string(hash), loadAdmin); err != nil {
		return fmt.Errorf("setting the admin password: %w", err)
	}
	return nil
}

func databaseName(dsn string) string {
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return ""
	}
	return cfg.DBName
}

type process struct {
	cmd  *exec.Cmd
	done chan struct{}
	log  *os.File
}

func startProcess(ctx context.Context, bin string, args, env []string, logFile string) (*process, error) {
	f, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, err
	}
	p := &process{cmd: cmd, done: make(chan struct{}), log: f}
	go func() { cmd.Wait(); close(p.done) }()
	return p, nil
}

func (p *process) pid() int { return p.cmd.Process.Pid }

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop asks the process to finish with SIGTERM and kills it if it has not after 15 s.
func (p *process) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
	p.log.Close()
}

func waitFor(ctx context.Context, u string, p *process) error {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if p.exited() {
			return errors.New("the process exited")
		}
		resp, err := http.Get(u)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s did not answer 200 within 2 minutes", u)
}

func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// problems is the log's WARN and ERROR lines, at most 20.
func problems(file string) string {
	b, _ := os.ReadFile(file)
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			out = append(out, line)
			if len(out) == 20 {
				break
			}
		}
	}
	return strings.Join(out, "\n")
}

func tail(file string) string {
	b, _ := os.ReadFile(file)
	if len(b) > 1500 {
		b = b[len(b)-1500:]
	}
	return string(b)
}

// ---- the report

type machine struct {
	cpus     int
	cpuModel string
	memTotal string
	load     string
	kernel   string
}

type mysqlFacts struct {
	version    string
	bufferPool string
	accounts   int64
}

func machineFacts(ctx context.Context, dsn string) (machine, mysqlFacts) {
	m := machine{cpus: runtime.NumCPU()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				m.cpuModel = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	if kb := procMemTotal(); kb > 0 {
		m.memTotal = fmt.Sprintf("%.1f GiB", float64(kb)/1024/1024)
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		m.load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = strings.TrimSpace(string(b))
	}
	var f mysqlFacts
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return m, f
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&f.version)
	var bp int64
	if db.QueryRowContext(ctx, "SELECT @@innodb_buffer_pool_size").Scan(&bp) == nil {
		f.bufferPool = fmt.Sprintf("%d MiB", bp>>20)
	}
	db.QueryRowContext(ctx, "SELECT COUNT(*) FROM accounts").Scan(&f.accounts)
	return m, f
}

func procMemTotal() int64 { return procFileKB("/proc/meminfo", "MemTotal") }

type report struct {
	opts                              options
	database                          string
	results                           map[string]result
	order                             []string
	fill, total                       time.Duration
	serverHWM, serverRSS, baselineHWM int64
	consoleNote                       string
	wechatCalls, wechatConns          int64
	machine                           machine
	mysql                             mysqlFacts
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func (r report) print(w io.Writer) {
	m := r.machine
	fmt.Fprintf(w, "\n## Load test %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(w, "- machine: %d CPUs (%s), %s RAM, Linux %s; load average before the report %s\n", m.cpus, m.cpuModel, m.memTotal, m.kernel, m.load)
	where := "the machine's server"
	if r.opts.privateMariaDB != "" {
		where = "a private mariadbd started for this run"
	}
	fmt.Fprintf(w, "- database: MariaDB/MySQL %s (%s), innodb_buffer_pool_size %s, %d accounts (filled in %s)\n",
		r.mysql.version, where, r.mysql.bufferPool, r.mysql.accounts, r.fill.Round(time.Second))
	fmt.Fprintf(w, "- load: %d connections from 127.0.0.1 unless noted; per phase %d rounds of %s warm-up + %s measured, interleaved; whole run %s; the fake WeChat answered %d jscode2session calls over %d connections\n\n",
		r.opts.conns, r.opts.rounds, r.opts.warmup, r.opts.duration/time.Duration(r.opts.rounds), r.total.Round(time.Second), r.wechatCalls, r.wechatConns)
	fmt.Fprintln(w, "| phase | connections | requests/s | p50 | p99 | errors | body | ratio to baseline | target | met |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---|---|")
	read, insert := r.results["baseline: one indexed read"], r.results["baseline: one insert"]
	for _, name := range r.order {
		res := r.results[name]
		ratio, target, met := "—", "", ""
		switch name {
		case "checkBind (bound user)":
			if insert.elapsed == 0 {
				break
			}
			q := res.rps() / insert.rps()
			ratio = fmt.Sprintf("%.2f× insert", q)
			target, met = "≥ 0.5× insert", yes(q >= 0.5)
		case "info (with a token)":
			if read.elapsed == 0 {
				break
			}
			q := res.rps() / read.rps()
			ratio = fmt.Sprintf("%.2f× read", q)
			target, met = "≥ 0.8× read", yes(q >= 0.8) // issue 16's target; p99 is reported, not judged
		case "console users page (first page)", "console users page (random keyset page)", "console users page (first page, 1 connection)":
			if read.elapsed > 0 {
				ratio = fmt.Sprintf("%.2f× read", res.rps()/read.rps())
			}
			target, met = "p50 < 50 ms", yes(res.p50 < 50*time.Millisecond)
		}
		body := "—"
		if res.requests > 0 {
			body = fmt.Sprintf("%.1f KB", float64(res.bytes)/float64(res.requests)/1000)
		}
		fmt.Fprintf(w, "| %s | %d | %.0f | %s | %s | %d | %s | %s | %s | %s |\n", name, res.conns, res.rps(), ms(res.p50), ms(res.p99), res.errors, body, ratio, target, met)
	}
	fmt.Fprintln(w, "\nCPU time per request, in ms, by process while each phase was measured (MariaDB's includes any other use of it; loadtest is the load generator and the fake WeChat):")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| phase | server | baseline | MariaDB | loadtest | total |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|")
	for _, name := range r.order {
		res := r.results[name]
		if res.requests == 0 {
			continue
		}
		per := func(p string) float64 { return float64(res.cpu[p].Microseconds()) / 1000 / float64(res.requests) }
		total := per("server") + per("baseline") + per("MariaDB") + per("loadtest")
		fmt.Fprintf(w, "| %s | %.2f | %.2f | %.2f | %.2f | %.2f |\n", name, per("server"), per("baseline"), per("MariaDB"), per("loadtest"), total)
	}
	fmt.Fprintf(w, "\n- server resident memory: VmHWM %.1f MiB (peak), VmRSS %.1f MiB at the end, highest VmRSS sampled under load %.1f MiB; target < 100 MB: %s\n",
		float64(r.serverHWM)/1024, float64(r.serverRSS)/1024, float64(maxServerRSS(r))/1024, yes(r.serverHWM*1024 < 100_000_000))
	fmt.Fprintf(w, "- baseline process VmHWM %.1f MiB\n", float64(r.baselineHWM)/1024)
	if r.consoleNote != "" {
		fmt.Fprintf(w, "- %s\n", r.consoleNote)
	}
}

func maxServerRSS(r report) int64 {
	var most int64
	for _, name := range r.order {
		if !strings.HasPrefix(name, "baseline") && r.results[name].maxRSS > most {
			most = r.results[name].maxRSS
		}
	}
	return most
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}
