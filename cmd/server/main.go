// Command server is wxbind: the server behind a WeChat mini-program's login and account
// binding. Run it with no arguments to serve; see usage for the other commands.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"wxbind/account"
	"wxbind/i18n"
	"wxbind/models"
	"wxbind/web"
	"wxbind/wechat"
)

const usage = `wxbind — WeChat mini-program login and account binding server

Usage:
  server [serve]         run the HTTP server (migrates the database first)
  server migrate         apply pending database migrations and exit
  server user add -username U (-password P | -password-stdin) [-name N] [-role user|staff|admin]
                         create an account on the configured database
  server demo -accounts N [-password P]
                         fill the configured database with N demo accounts bound to WeChat
                         identities, with menus (for demos and load tests; resumable)

Configuration comes from the environment; see README.md.
`

func main() {
	if limit, ok := serveMemoryLimit(os.Args[1:], os.Getenv); ok {
		debug.SetMemoryLimit(limit)
	}
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// defaultServeMemoryLimit is the Go runtime's soft memory limit for a serving process when
// GOMEMLIMIT is unset. Under load the heap grows to twice what is live before each collection;
// with the info cache full at a million users that took the server to 115 MiB resident, and
// this limit to 84 MiB for about 0.02 ms more CPU per request (docs/benchmarks.md). Past it the
// collector works harder, never fails: a deployment that needs more sets GOMEMLIMIT.
const defaultServeMemoryLimit = 64 << 20

// serveMemoryLimit gives the soft memory limit to set for these arguments: the default when
// they serve and GOMEMLIMIT is unset (the runtime reads GOMEMLIMIT itself), none for the other
// commands, which fill or migrate a database in one go.
func serveMemoryLimit(args []string, getenv func(string) string) (int64, bool) {
	if len(args) > 0 && args[0] != "serve" || getenv("GOMEMLIMIT") != "" {
		return 0, false
	}
	return defaultServeMemoryLimit, true
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	log := newLogger(cfg, stderr)
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		// A serving process logs a line per request: batched, not a write each.
		out := newBufferedLog(stderr, logFlushEvery)
		defer out.Close()
		return serve(ctx, cfg, slog.New(flushingHandler{newLogger(cfg, out).Handler(), out}), afterLog{out, stderr})
	case "migrate":
		db, err := openDatabase(ctx, cfg, log, log)
		if err != nil {
			return err
		}
		defer closeDB(db)
		fmt.Fprintln(stdout, "database is up to date")
		return nil
	case "user":
		if len(args) == 0 || args[0] != "add" {
			return errors.New("usage: server user add -username U -password P [-name N] [-role user|staff|admin]")
		}
		return userAdd(ctx, cfg, log, args[1:], stdin, stdout)
	case "demo":
		return demo(ctx, cfg, args, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n\n%s", cmd, usage)
}

func newLogger(cfg config, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openDatabase connects and migrates, creating DATA_DIR for SQLite. statements logs slow and
// failed SQL.
func openDatabase(ctx context.Context, cfg config, log, statements *slog.Logger) (*gorm.DB, error) {
	if cfg.DBDriver == models.DriverSQLite && !strings.Contains(cfg.DBDSN, "?") {
		if err := os.MkdirAll(filepath.Dir(cfg.DBDSN), 0o700); err != nil {
			return nil, err
		}
	}
	db, err := models.Open(cfg.DBDriver, cfg.DBDSN, models.Options{MaxOpenConns: cfg.DBMaxOpen, Logger: statements})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	applied, err := models.Migrate(ctx, db, cfg.DBDriver)
	if err != nil {
		closeDB(db)
		return nil, err
	}
	for _, m := range applied {
		log.Info("applied migration", "file", m)
	}
	log.Info("database ready", "driver", cfg.DBDriver, "dsn", models.RedactDSN(cfg.DBDriver, cfg.DBDSN))
	return db, nil
}

func closeDB(db *gorm.DB) {
	if sqlDB, err := db.DB(); err == nil {
		sqlDB.Close()
	}
}

func newWeChat(cfg config, log *slog.Logger, tokens wechat.TokenCache, metrics *web.Metrics) (wechat.API, error) {
	if cfg.sandboxMode() {
		log.Warn("!!! WeChat runs in SANDBOX mode: no WeChat call is made and any code logs in. " +
			"Set WECHAT_APPID and WECHAT_SECRET for a real mini-program. !!!")
		return wechat.Sandbox{}, nil
	}
	return wechat.NewClient(wechat.ClientConfig{BaseURL: cfg.WeChatAPIBase, AppID: cfg.WeChatAppID, Secret: cfg.WeChatSecret, TokenCache: tokens,
		Observe: metrics.ObserveWeChat})
}

func serve(ctx context.Context, cfg config, log *slog.Logger, console io.Writer) error {
	if err := cfg.checkServe(); err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.PprofAddr != "" {
		if err := startPprof(ctx, cfg.PprofAddr, log); err != nil {
			return err
		}
	}

	secret, err := cfg.secretKey()
	if err != nil {
		return err
	}
	db, err := openDatabase(ctx, cfg, log, log)
	if err != nil {
		return err
	}
	defer closeDB(db)
	store := models.NewStore(db)
	metrics := web.NewMetrics()
	if sqlDB, err := db.DB(); err == nil {
		metrics.WatchDB(sqlDB)
	}
	// Every instance on this database shares one WeChat access_token through it.
	tokens, err := account.NewAccessTokenCache(store, secret)
	if err != nil {
		return err
	}
	wx, err := newWeChat(cfg, log, tokens, metrics)
	if err != nil {
		return err
	}
	accounts, err := account.New(account.Config{Store: store, WeChat: wx, SecretKey: secret, TokenTTL: cfg.TokenTTL, Logger: log,
		DataDir: cfg.DataDir, WatermarkWindow: cfg.WatermarkWindow, PublicURL: cfg.publicURL(), AvatarHosts: cfg.AvatarHosts,
		BreakGlassAdmin: cfg.BreakGlassAdmin, ScanLoginEnvVersion: cfg.ScanLoginEnv})
	if err != nil {
		return err
	}
	created, password, err := accounts.EnsureAdmin(ctx, cfg.AdminUsername, cfg.AdminPassword)
	if err != nil {
		return fmt.Errorf("creating the first admin: %w", err)
	}
	if created && cfg.AdminPassword == "" {
		// Printed once, to the terminal and not through the logger, so it is not kept in logs.
		fmt.Fprintf(console, "\n  First admin created. Console: %s\n  username: %s\n  password: %s\n  (shown only this once; change it after logging in)\n\n",
			cfg.consoleURL(), cfg.AdminUsername, password)
	} else if created {
		log.Info("first admin created from ADMIN_USERNAME/ADMIN_PASSWORD", "username", cfg.AdminUsername, "console", cfg.consoleURL())
	}

	catalog, err := i18n.New(cfg.DefaultLang)
	if err != nil {
		return err
	}
	var shared *web.SharedLimits
	if cfg.RedisURL != "" {
		if shared, err = web.NewSharedLimits(web.SharedLimitsConfig{URL: cfg.RedisURL, Logger: log}); err != nil {
			return err
		}
		defer shared.Close()
	}
	gin.SetMode(gin.ReleaseMode)
	handler, err := web.NewHandler(web.Deps{SharedLimits: shared, Accounts: accounts, DB: db, Logger: log, TrustedProxies: cfg.TrustedProxies, Sandbox: cfg.sandboxMode(),
		SecureCookies: cfg.ConsoleSecureCookies, TrustedOrigins: cfg.ConsoleTrustedOrigins, Metrics: metrics, Catalog: catalog,
		ConsoleZone: cfg.ConsoleZone})
	if err != nil {
		return err
	}
	go pruneLoop(ctx, accounts, log)
	if cfg.MetricsAddr != "" {
		// A second instance on one host finds the default port taken: it serves without metrics
		// rather than not at all.
		if err := serveMetrics(ctx, cfg.MetricsAddr, metrics, log); err != nil {
			log.Warn("metrics not served", "error", err)
		}
	}
	srv := web.NewServer(cfg.HTTPAddr, handler, log)
	err = web.Serve(ctx, srv, func(addr net.Addr) {
		attrs := []any{"addr", addr.String(), "console", cfg.consoleURL(), "sandbox", cfg.sandboxMode()}
		if cfg.sandboxMode() { // a newcomer's next step: play the login flow in the browser
			attrs = append(attrs, "simulator", strings.TrimSuffix(cfg.consoleURL(), "/admin/")+"/dev/simulator")
		}
		log.Info("listening", attrs...)
	})
	log.Info("stopped")
	return err
}

// pruneLoop forgets expired tokens and spent tickets once an hour.
func pruneLoop(ctx context.Context, accounts *account.Service, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if err := accounts.Prune(ctx); err != nil && ctx.Err() == nil {
			log.Warn("pruning expired tokens failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func userAdd(ctx context.Context, cfg config, log *slog.Logger, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	username := fs.String("username", "", "login name (3–64 letters, digits, _ . @ -)")
	password := fs.String("password", "", "password (at least 8 characters)")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	name := fs.String("name", "", "display name")
	role := fs.String("role", "user", "user, staff or admin")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *fromStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		*password = strings.TrimRight(line, "\r\n")
	}
	if *username == "" || *password == "" {
		return errors.New("-username and -password (or -password-stdin) are required")
	}
	// A taken username is this command's own answer below, not a failed statement to log.
	db, err := openDatabase(ctx, cfg, log, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer closeDB(db)
	// Creating an account neither calls WeChat nor seals anything, so the sandbox and a
	// throwaway key stand in for them here.
	accounts, err := account.New(account.Config{Store: models.NewStore(db), WeChat: wechat.Sandbox{}, SecretKey: account.GenerateSecretKey(), Logger: log})
	if err != nil {
		return err
	}
	a, err := accounts.CreateAccount(ctx, account.NewAccount{Username: *username, Password: *password, Name: *name, Role: *role})
	if errors.Is(err, account.ErrUsernameTaken) {
		return fmt.Errorf("username %q is taken: choose another, or reset that account's password in the console (/admin/)", *username)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created %s account %q (id %d)\n", a.Role, a.Username, a.ID)
	return nil
}

// serveMetrics serves /metrics on its own listener, so the public port never shows them.
func serveMetrics(ctx context.Context, addr string, metrics *web.Metrics, log *slog.Logger) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics.Handler())
	srv := web.NewServer(addr, mux, log)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("METRICS_ADDR %s: %w", addr, err)
	}
	log.Info("metrics listening", "addr", ln.Addr().String(), "path", "/metrics")
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	go srv.Serve(ln)
	return nil
}
