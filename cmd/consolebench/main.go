// Command consolebench times the admin console's lists at scale: it fills a database with
// generated accounts (set-based INSERT … SELECT, seconds rather than the demo's minutes), serves
// the console in-process on 127.0.0.1, logs in, and requests every list, filter and sort of the
// users, WeChat users and audit pages one at a time (one connection), printing p50 and p95 as a
// Markdown table for docs/benchmarks.md. Each timed page includes its total (exact or estimated).
//
//	go run ./cmd/consolebench -driver sqlite -db /tmp/bench.db -accounts 1000000
//	go run ./cmd/consolebench -driver mysql -dsn 'root@tcp(127.0.0.1:3306)/consolebench' -accounts 1000000
//
// The database is filled only when it has fewer accounts than asked; a MySQL database must
// exist and be empty or a previous run's. The fill ends with ANALYZE; -stats analyze runs it
// again (after a migration added an index), and -stats none deletes SQLite's statistics, as a
// server's database has them: the server never runs ANALYZE, and SQLite chooses its plans
// without them.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"wxbind/account"
	"wxbind/models"
	"wxbind/web"
	"wxbind/wechat"
)

const (
	benchAdmin    = "bench-admin"
	benchPassword = "bench-admin-password"
	secretKey     = "consolebench-secret-key-0123456789abcdef"
)

func main() {
	driver := flag.String("driver", models.DriverSQLite, "sqlite or mysql")
	dbPath := flag.String("db", "consolebench.db", "SQLite file (driver sqlite)")
	dsn := flag.String("dsn", "", "MySQL DSN (driver mysql)")
	n := flag.Int("accounts", 1_000_000, "accounts to have")
	runs := flag.Int("runs", 15, "requests per page")
	stats := flag.String("stats", "keep", "planner statistics before timing: keep, analyze, or none (SQLite)")
	flag.Parse()
	gin.SetMode(gin.ReleaseMode)
	if err := run(*driver, *dbPath, *dsn, *n, *runs, *stats); err != nil {
		fmt.Fprintln(os.Stderr, "consolebench:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().UTC().Format("15:04:05")}, args...)...)
}

// loadAverage is the machine's 1-, 5- and 15-minute load, where Linux tells it.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func run(driver, dbPath, dsn string, n, runs int, stats string) error {
	ctx := context.Background()
	if driver == models.DriverSQLite {
		dsn = dbPath
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := models.Open(driver, dsn, models.Options{Logger: quiet})
	if err != nil {
		return err
	}
	if _, err := models.Migrate(ctx, db, driver); err != nil {
		return err
	}
	store := models.NewStore(db)
	accounts, err := account.New(account.Config{Store: store, WeChat: wechat.Sandbox{}, SecretKey: secretKey, Logger: quiet, PasswordCost: bcrypt.MinCost})
	if err != nil {
		return err
	}
	var have int64
	db.Table("accounts").Count(&have)
	if have < int64(n) {
		start := time.Now()
		if err := seed(db, driver, accounts.AppID(), int(have), n); err != nil {
			return fmt.Errorf("seeding: %w", err)
		}
		logf("seeded %d accounts in %s", n-int(have), time.Since(start).Round(time.Second))
	}
	switch {
	case stats == "analyze" && driver == models.DriverSQLite:
		err = db.Exec("ANALYZE").Error
	case stats == "analyze":
		err = db.Exec("ANALYZE TABLE accounts, wechat_identities, audit_entries").Error
	case stats == "none" && driver == models.DriverSQLite:
		// sqlite_stat4 exists only where the build has STAT4; the pure-Go one has.
		if err = db.Exec("DELETE FROM sqlite_stat1").Error; err == nil {
			err = db.Exec("DELETE FROM sqlite_stat4").Error
		}
	case stats == "none":
		err = fmt.Errorf("-stats none: InnoDB keeps its statistics itself")
	case stats != "keep":
		err = fmt.Errorf("-stats %q: keep, analyze or none", stats)
	}
	if err != nil {
		return fmt.Errorf("statistics: %w", err)
	}
	if _, err := accounts.AccountDetail(ctx, 1, account.Account{Role: account.RoleAdmin}, account.ListPage{}); err != nil {
		return err
	}
	if _, err := store.AccountByUsername(ctx, benchAdmin); err != nil {
		if _, err := accounts.CreateAccount(ctx, account.NewAccount{Username: benchAdmin, Password: benchPassword, Role: account.RoleAdmin}); err != nil {
			return err
		}
	}
	h, err := web.NewHandler(web.Deps{Accounts: accounts, DB: db, Logger: quiet, RateLimits: &web.RateLimits{}})
	if err != nil {
		return err
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 60 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	form := url.Values{"username": {benchAdmin}, "password": {benchPassword}}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/admin/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", srv.URL)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("login: %d", resp.StatusCode)
	}

	// A keyset cursor as the lists hand them out (base64url of the row's key), here of an id in
	// the middle, to time a page deep in the list.
	mid := base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, `{"i":%d}`, n/2))
	// The WeChat users list is in first-seen order: its cursor holds the time too.
	midIdentity, err := store.IdentityByID(ctx, uint64(n/6))
	if err != nil {
		return fmt.Errorf("identity %d: %w", n/6, err)
	}
	midSeen, _ := json.Marshal(map[string]any{"t": midIdentity.CreatedAt.UTC(), "i": midIdentity.ID})
	day := func(i int) string {
		return seedBase.Add(time.Duration(i) * time.Second).In(shanghai()).Format("2006-01-02")
	}
	pages := []struct{ name, path string }{
		{"users: first page", "/admin/users"},
		{"users: next page from the middle", "/admin/users?after=" + mid},
		{"users: previous page from the middle", "/admin/users?before=" + mid},
		{"users: 100 a page", "/admin/users?size=100"},
		{"users: sorted by username", "/admin/users?sort=username"},
		{"users: sorted by username, Z to A", "/admin/users?sort=username&order=desc"},
		{"users: sorted by last login", "/admin/users?sort=last_login"},
		{"users: oldest first", "/admin/users?order=asc"},
		{"users: role staff (1 in 1,000)", "/admin/users?role=staff"},
		{"users: role admin (1 in 100,000)", "/admin/users?role=admin"},
		{"users: disabled (1 in 50)", "/admin/users?status=disabled"},
		{"users: bound (1 in 3)", "/admin/users?bind=bound"},
		{"users: unbound (2 in 3)", "/admin/users?bind=unbound"},
		{"users: created on one day", "/admin/users?created_from=" + day(n/2) + "&created_to=" + day(n/2)},
		{"users: last login on one day", "/admin/users?login_from=" + day(n/3) + "&login_to=" + day(n/3)},
		{"users: last login on one day, by last login", "/admin/users?sort=last_login&login_from=" + day(n/3) + "&login_to=" + day(n/3)},
		{"users: created in one week", "/admin/users?created_from=" + day(n/4) + "&created_to=" + day(n/4+6*86400)},
		{"users: bound, by username", "/admin/users?bind=bound&sort=username"},
		{"users: staff, bound, by username", "/admin/users?role=staff&bind=bound&sort=username"},
		{"users: search username prefix", "/admin/users?q=bench05000"},
		{"users: search whole openid", "/admin/users?q=" + benchOpenID(n/2-n/2%3)},
		{"user page (bound, with history)", fmt.Sprintf("/admin/users/%d", n/2-n/2%3)},
		{"WeChat users: first page", "/admin/wechat-users"},
		{"WeChat users: next page from the middle", "/admin/wechat-users?after=" + base64.RawURLEncoding.EncodeToString(midSeen)},
		{"WeChat users: search whole openid", "/admin/wechat-users?q=" + benchOpenID(n/2-n/2%3)},
		{"WeChat users: first seen on one day", "/admin/wechat-users?seen_from=" + day(n/2) + "&seen_to=" + day(n/2)},
		{"audit: first page", "/admin/audit"},
		{"audit: action bind", "/admin/audit?action=bind"},
		{"audit: one day", "/admin/audit?from=" + day(n/2) + "&to=" + day(n/2)},
		{"users: CSV export of role staff (1,000 rows)", "/admin/users/export.csv?role=staff"},
	}
	logf("timing, load average %s", loadAverage())
	defer func() { logf("done, load average %s", loadAverage()) }()
	fmt.Printf("| page | p50 | p95 | total shown |\n|---|---|---|---|\n")
	for _, p := range pages {
		var took []time.Duration
		total := ""
		for i := 0; i < runs+1; i++ {
			start := time.Now()
			resp, err := c.Get(srv.URL + p.path)
			if err != nil {
				return err
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("%s: %d", p.path, resp.StatusCode)
			}
			if i == 0 {
				total = totalShown(string(body))
				continue // the first request warms caches
			}
			took = append(took, time.Since(start))
		}
		slices.Sort(took)
		fmt.Printf("| %s | %s | %s | %s |\n", p.name, ms(took[len(took)/2]), ms(took[len(took)*95/100]), total)
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// totalShown is the page's total ("共 45 条", "约 1,000,000 条"), or "".
func totalShown(body string) string {
	const mark = `data-testid="list-total">`
	i := strings.Index(body, mark)
	if i < 0 {
		return ""
	}
	rest := body[i+len(mark):]
	return rest[:strings.Index(rest, "<")]
}

var seedBase = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func shanghai() *time.Location {
	z, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.UTC
	}
	return z
}

func benchOpenID(i int) string { return fmt.Sprintf("obench%024d", i) }

// seed adds accounts from+1…to: bench0000001…, created one a second from seedBase; every 1,000th
// staff, every 100,000th admin, every 50th disabled; every 3rd bound to a WeChat identity
// (openid obench<24 digits>) with a last login spread over the same time and a bind entry in
// the audit log.
func seed(db *gorm.DB, driver, appid string, from, to int) error {
	exec := func(q string, args ...any) error {
		if err := db.Exec(q, args...).Error; err != nil {
			return fmt.Errorf("%.80s: %w", q, err)
		}
		return nil
	}
	seq, name, nick, openid, at, login := "", "", "", "", "", ""
	if driver == models.DriverSQLite {
		seq = `WITH RECURSIVE s(n) AS (SELECT ? UNION ALL SELECT n + 1 FROM s WHERE n < ?) `
		name, nick = `'bench' || printf('%07d', n)`, `'Nick ' || id`
		openid = `'obench' || printf('%024d', id)`
		at = `datetime('2026-01-01', '+' || n || ' seconds')`
		login = `datetime('2026-01-01', '+' || ((id * 7919) % ?) || ' seconds')`
	} else {
		// A numbers table of its own (not TEMPORARY, and read in primary-key order): a sorted
		// INSERT … SELECT spills to a temporary file that this busy machine's /tmp may lose.
		if err := exec("CREATE TABLE IF NOT EXISTS consolebench_seq (n INT NOT NULL PRIMARY KEY)"); err != nil {
			return err
		}
		var have int64
		db.Raw("SELECT COUNT(*) FROM consolebench_seq").Scan(&have)
		for lo := int(have) + 1; lo <= to; lo += 1000 {
			vals := make([]string, 0, 1000)
			for i := lo; i < lo+1000 && i <= to; i++ {
				vals = append(vals, fmt.Sprintf("(%d)", i))
			}
			if err := exec("INSERT INTO consolebench_seq (n) VALUES " + strings.Join(vals, ",")); err != nil {
				return err
			}
		}
		seq = ""
		name, nick = `CONCAT('bench', LPAD(n, 7, '0'))`, `CONCAT('Nick ', id)`
		openid = `CONCAT('obench', LPAD(id, 24, '0'))`
		at = `TIMESTAMPADD(SECOND, n, '2026-01-01')`
		login = `TIMESTAMPADD(SECOND, (id * 7919) % ?, '2026-01-01')`
	}
	const chunk = 50_000
	for lo := from + 1; lo <= to; lo += chunk {
		hi := min(lo+chunk-1, to)
		var err error
		if driver == models.DriverSQLite {
			err = exec(seq+`INSERT INTO accounts (username, username_key, name, password_hash, role, status, created_at, updated_at)
				SELECT `+name+`, `+name+`, 'Name ' || n, 'x',
				       CASE WHEN n % 100000 = 0 THEN 'admin' WHEN n % 1000 = 0 THEN 'staff' ELSE 'user' END,
				       CASE WHEN n % 50 = 0 THEN 'disabled' ELSE 'active' END, `+at+`, `+at+` FROM s`, lo, hi)
		} else {
			err = exec(`INSERT INTO accounts (username, username_key, name, password_hash, role, status, created_at, updated_at)
				SELECT `+name+`, `+name+`, CONCAT('Name ', n), 'x',
				       CASE WHEN n % 100000 = 0 THEN 'admin' WHEN n % 1000 = 0 THEN 'staff' ELSE 'user' END,
				       CASE WHEN n % 50 = 0 THEN 'disabled' ELSE 'active' END, `+at+`, `+at+`
				FROM consolebench_seq WHERE n BETWEEN ? AND ? ORDER BY n`, lo, hi)
		}
		if err != nil {
			return err
		}
		if err := exec(`INSERT INTO wechat_identities (appid, openid, nickname, account_id, bound_at, last_login_at, last_seen_at, created_at, updated_at)
			SELECT ?, `+openid+`, `+nick+`, id, created_at, `+login+`, created_at, created_at, created_at
			FROM accounts WHERE id % 3 = 0 AND id >= ? AND id <= ? AND username LIKE 'bench%' ORDER BY id`, appid, to, lo, hi); err != nil {
			return err
		}
		if err := exec(`INSERT INTO audit_entries (actor_account_id, actor, action, target, detail, ip, created_at)
			SELECT a.id, a.username, 'bind', `+concat(driver, "'wechat:'", "w.id")+`, '', '127.0.0.1', w.bound_at
			FROM wechat_identities w JOIN accounts a ON a.id = w.account_id WHERE a.id >= ? AND a.id <= ?`, lo, hi); err != nil {
			return err
		}
		logf("seeded up to %d", hi)
	}
	if driver == models.DriverSQLite {
		return exec("ANALYZE")
	}
	return exec("ANALYZE TABLE accounts, wechat_identities, audit_entries")
}

func concat(driver, a, b string) string {
	if driver == models.DriverSQLite {
		return a + " || " + b
	}
	return "CONCAT(" + a + ", " + b + ")"
}
