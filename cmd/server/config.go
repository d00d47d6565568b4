package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // CONSOLE_TZ works in images without /usr/share/zoneinfo

	"wxbind/account"
	"wxbind/i18n"
	"wxbind/models"
	"wxbind/wechat"
)

// config is the server's environment, checked once at start.
type config struct {
	HTTPAddr       string
	DBDriver       string
	DBDSN          string
	DataDir        string
	DBMaxOpen      int
	WeChatAppID    string
	WeChatSecret   string
	WeChatAPIBase  string
	Sandbox        bool
	SecretKey      string
	AdminUsername  string
	AdminPassword  string
	TokenTTL       time.Duration
	TrustedProxies []string
	MetricsAddr    string // where /metrics is served; empty: not at all
	DefaultLang    string // messages' language when a request names none we have
	LogFormat      string
	LogLevel       string

	// WatermarkWindow is how old WeChat's encrypted data may be (WECHAT_WATERMARK_WINDOW).
	WatermarkWindow time.Duration
	// PublicURL is the server's address as mini-programs reach it (PUBLIC_URL), which
	// uploaded avatars' URLs start with; required with real WeChat (see publicURL).
	PublicURL string
	// AvatarHosts are the hosts besides this server an avatar URL may point at (AVATAR_HOSTS,
	// comma-separated host names, "none" for none); nil: account.DefaultAvatarHosts.
	AvatarHosts []string
	// ConsoleSecureCookies marks console cookies Secure (CONSOLE_SECURE_COOKIES=1, or a
	// PUBLIC_URL on https), for a console behind a TLS-terminating proxy.
	ConsoleSecureCookies bool
	// ConsoleTrustedOrigins may post console forms besides the request's own Host
	// (CONSOLE_TRUSTED_ORIGINS, comma-separated, e.g. https://admin.example.com).
	ConsoleTrustedOrigins []string
	// ConsoleZone is where the console shows times and counts its days (CONSOLE_TZ, an IANA
	// zone name; default Asia/Shanghai).
	ConsoleZone *time.Location
	// RedisURL (REDIS_URL) is where every instance counts the shared rate limits; unset, each
	// instance counts its own.
	RedisURL string
	// PprofAddr serves net/http/pprof on this loopback address (PPROF_ADDR), for profiling
	// under load; unset, there is no profiling endpoint.
	PprofAddr string
	// BreakGlassAdmin (CONSOLE_BREAK_GLASS_ADMIN) is the admin who may still log in with a
	// password when the console requires scan login; unset, scan login cannot be required.
	BreakGlassAdmin string
	// ScanLoginEnv (WECHAT_SCAN_LOGIN_ENV) is the mini-program version scan login codes open:
	// release (default), trial or develop.
	ScanLoginEnv string
}

// loadConfig reads the environment through getenv. It reads no file and creates nothing.
func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		HTTPAddr:      or(getenv("HTTP_ADDR"), ":8080"),
		DBDriver:      or(getenv("DB_DRIVER"), models.DriverSQLite),
		DataDir:       or(getenv("DATA_DIR"), "./data"),
		WeChatAppID:   strings.TrimSpace(getenv("WECHAT_APPID")),
		WeChatSecret:  strings.TrimSpace(getenv("WECHAT_SECRET")),
		WeChatAPIBase: or(getenv("WECHAT_API_BASE"), wechat.DefaultBaseURL),
		SecretKey:     getenv("SECRET_KEY"),
		AdminUsername: or(getenv("ADMIN_USERNAME"), "admin"),
		AdminPassword: getenv("ADMIN_PASSWORD"),
		LogFormat:     or(getenv("LOG_FORMAT"), "text"),
		MetricsAddr:   or(getenv("METRICS_ADDR"), "127.0.0.1:9091"),
		DefaultLang:   or(getenv("DEFAULT_LANG"), "zh-CN"),
		LogLevel:      or(getenv("LOG_LEVEL"), "info"),
		RedisURL:      strings.TrimSpace(getenv("REDIS_URL")),
	}
	var errs []error
	if c.DBDriver != models.DriverSQLite && c.DBDriver != models.DriverMySQL {
		errs = append(errs, fmt.Errorf("DB_DRIVER=%q: use sqlite or mysql", c.DBDriver))
	}
	c.DBDSN = getenv("DB_DSN")
	if c.DBDSN == "" {
		if c.DBDriver == models.DriverMySQL {
			errs = append(errs, errors.New("DB_DSN is required with DB_DRIVER=mysql, e.g. user:pass@tcp(127.0.0.1:3306)/wxbind"))
		}
		c.DBDSN = filepath.Join(c.DataDir, "app.db")
	}
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		errs = append(errs, fmt.Errorf("HTTP_ADDR=%q is not host:port (e.g. :8080)", c.HTTPAddr))
	}
	c.TokenTTL = account.DefaultTokenTTL
	if v := getenv("TOKEN_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute {
			errs = append(errs, fmt.Errorf("TOKEN_TTL=%q: use a Go duration of at least 1m, e.g. 168h", v))
		}
		c.TokenTTL = d
	}
	if v := getenv("DB_MAX_OPEN_CONNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("DB_MAX_OPEN_CONNS=%q: use a positive number", v))
		}
		c.DBMaxOpen = n
	}
	if v := getenv("TRUSTED_PROXIES"); v != "" {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				c.TrustedProxies = append(c.TrustedProxies, p)
			}
		}
	}
	if c.PprofAddr = strings.TrimSpace(getenv("PPROF_ADDR")); c.PprofAddr != "" {
		if err := checkPprofAddr(c.PprofAddr); err != nil {
			errs = append(errs, err)
		}
	}
	c.WatermarkWindow = account.DefaultWatermarkWindow
	if v := getenv("WECHAT_WATERMARK_WINDOW"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 30*time.Second || d > 24*time.Hour {
			errs = append(errs, fmt.Errorf("WECHAT_WATERMARK_WINDOW=%q: use a Go duration from 30s to 24h, e.g. 10m", v))
		}
		c.WatermarkWindow = d
	}
	if v := strings.TrimRight(strings.TrimSpace(getenv("PUBLIC_URL")), "/"); v != "" {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
			errs = append(errs, fmt.Errorf("PUBLIC_URL=%q: use the server's http(s) address, e.g. https://api.example.com", v))
		}
		c.PublicURL = v
	}
	switch v := strings.TrimSpace(getenv("AVATAR_HOSTS")); v {
	case "":
	case "none":
		c.AvatarHosts = []string{}
	default:
		for _, h := range strings.Split(v, ",") {
			if h = strings.ToLower(strings.TrimSpace(h)); !hostName.MatchString(h) {
				errs = append(errs, fmt.Errorf("AVATAR_HOSTS: %q is not a host name like thirdwx.qlogo.cn (no scheme, port or path)", h))
				continue
			}
			c.AvatarHosts = append(c.AvatarHosts, h)
		}
	}
	c.BreakGlassAdmin = strings.TrimSpace(getenv("CONSOLE_BREAK_GLASS_ADMIN"))
	switch c.ScanLoginEnv = strings.TrimSpace(getenv("WECHAT_SCAN_LOGIN_ENV")); c.ScanLoginEnv {
	case "", "release", "trial", "develop":
	default:
		errs = append(errs, fmt.Errorf("WECHAT_SCAN_LOGIN_ENV=%q: use release, trial or develop", c.ScanLoginEnv))
	}
	switch v := getenv("CONSOLE_SECURE_COOKIES"); v {
	case "", "0", "false":
		c.ConsoleSecureCookies = strings.HasPrefix(c.PublicURL, "https://")
	case "1", "true":
		c.ConsoleSecureCookies = true
	default:
		errs = append(errs, fmt.Errorf("CONSOLE_SECURE_COOKIES=%q: use 1 or leave it unset", v))
	}
	for _, o := range strings.Split(getenv("CONSOLE_TRUSTED_ORIGINS"), ",") {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o == "" {
			continue
		}
		if u, err := url.Parse(o); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" {
			errs = append(errs, fmt.Errorf("CONSOLE_TRUSTED_ORIGINS: %q is not an origin like https://admin.example.com", o))
			continue
		}
		c.ConsoleTrustedOrigins = append(c.ConsoleTrustedOrigins, o)
	}
	if _, err := i18n.New(c.DefaultLang); err != nil {
		errs = append(errs, err)
	}
	if tz := or(strings.TrimSpace(getenv("CONSOLE_TZ")), "Asia/Shanghai"); tz == "Local" {
		errs = append(errs, errors.New(`CONSOLE_TZ="Local" depends on the host; name a zone, e.g. Asia/Shanghai or UTC`))
	} else if zone, err := time.LoadLocation(tz); err != nil {
		errs = append(errs, fmt.Errorf("CONSOLE_TZ=%q is not a time zone name; use one like Asia/Shanghai or UTC", tz))
	} else {
		c.ConsoleZone = zone
	}
	if c.MetricsAddr == "off" {
		c.MetricsAddr = ""
	} else if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
		errs = append(errs, fmt.Errorf("METRICS_ADDR=%q is not host:port (or off)", c.MetricsAddr))
	}
	switch v := getenv("SANDBOX"); v {
	case "", "0", "false":
	case "1", "true":
		c.Sandbox = true
	default:
		errs = append(errs, fmt.Errorf("SANDBOX=%q: use 1 or leave it unset", v))
	}
	return c, errors.Join(errs...)
}

// checkServe adds the checks that only serving needs: WeChat credentials and the secret key.
func (c config) checkServe() error {
	var errs []error
	switch {
	case c.WeChatAppID == "" && c.WeChatSecret != "":
		errs = append(errs, errors.New("WECHAT_SECRET is set but WECHAT_APPID is not"))
	case c.WeChatAppID != "" && c.WeChatSecret == "":
		errs = append(errs, errors.New("WECHAT_APPID is set but WECHAT_SECRET is not"))
	case c.WeChatAppID == "" && c.DBDriver == models.DriverMySQL && !c.Sandbox:
		errs = append(errs, errors.New("no WECHAT_APPID: WeChat would run in sandbox mode, which on MySQL needs an explicit SANDBOX=1 (set WECHAT_APPID and WECHAT_SECRET for production)"))
	}
	if c.WeChatAppID != "" && c.PublicURL == "" {
		errs = append(errs, errors.New("PUBLIC_URL is required with WECHAT_APPID: set it to how mini-programs reach this server, e.g. https://api.example.com (uploaded avatars' URLs start with it; a request's Host header is never used)"))
	}
	if c.SecretKey == "" && c.DBDriver == models.DriverMySQL {
		errs = append(errs, fmt.Errorf("SECRET_KEY is required with DB_DRIVER=mysql (at least %d characters; e.g. openssl rand -hex 32)", account.MinSecretKeyLen))
	}
	if c.SecretKey != "" && len(c.SecretKey) < account.MinSecretKeyLen {
		errs = append(errs, fmt.Errorf("SECRET_KEY must be at least %d characters", account.MinSecretKeyLen))
	}
	return errors.Join(errs...)
}

// sandboxMode reports whether WeChat is simulated.
func (c config) sandboxMode() bool { return c.WeChatAppID == "" }

// secretKey returns SECRET_KEY, or with SQLite the key generated once into DATA_DIR.
func (c config) secretKey() (string, error) {
	if c.SecretKey != "" {
		return c.SecretKey, nil
	}
	path := filepath.Join(c.DataDir, "secret_key")
	if b, err := os.ReadFile(path); err == nil {
		key := strings.TrimSpace(string(b))
		if len(key) < account.MinSecretKeyLen {
			return "", fmt.Errorf("%s holds a key shorter than %d characters", path, account.MinSecretKeyLen)
		}
		return key, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return "", err
	}
	key := account.GenerateSecretKey()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("creating %s: %w", path, err)
	}
	if _, err := f.WriteString(key + "\n"); err != nil {
		f.Close()
		return "", err
	}
	return key, f.Close()
}

// publicURL is what uploaded avatars' URLs start with: PUBLIC_URL, which real WeChat requires
// (checkServe), else in sandbox mode this machine's HTTP_ADDR, as consoleURL.
func (c config) publicURL() string {
	if c.PublicURL != "" {
		return c.PublicURL
	}
	return strings.TrimSuffix(c.consoleURL(), "/admin/")
}

// consoleURL is where a person on this machine reaches the console.
func (c config) consoleURL() string {
	host, port, _ := net.SplitHostPort(c.HTTPAddr)
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/admin/"
}

// hostName is a DNS host name in lower case, without scheme, port or path.
var hostName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`)

func or(v, fallback string) string {
	if v = strings.TrimSpace(v); v != "" {
		return v
	}
	return fallback
}
