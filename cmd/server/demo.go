package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"wxbind/models"
	"wxbind/wechat"
)

// Demo data: accounts demo0000001…, each bound to a WeChat identity whose login code a fake or
// sandbox WeChat can produce, so demos and load tests can log in as any of them.
const (
	demoUsernamePrefix  = "demo"
	demoUsernameLen     = len(demoUsernamePrefix) + 7 // demo0000001 … demo9999999
	demoMaxAccounts     = 9_999_999
	demoDefaultPassword = "demo-password"
	// DemoOpenIDPrefix + n is the openid of demo account n outside the sandbox; a load test's
	// fake WeChat answers the code "demo:<n>" with it.
	demoOpenIDPrefix = "demo-openid-"
	demoBatchSize    = 2000   // accounts per transaction
	demoRoleName     = "演示店员" // the demo's menu role, given to every other account
)

// demoMenus is a small menu tree; parents come before their children.
var demoMenus = []struct {
	menu   models.Menu
	parent string
}{
	{models.Menu{Code: "demo.home", Name: "首页 🏠", Path: "/pages/home/index", Icon: "home", Sort: 10, Visible: true}, ""},
	{models.Menu{Code: "demo.orders", Name: "订单 📦", Path: "/pages/orders/index", Icon: "orders", Sort: 20, Visible: true}, ""},
	{models.Menu{Code: "demo.orders.list", Name: "订单列表", Path: "/pages/orders/list", Icon: "list", Sort: 10, Visible: true}, "demo.orders"},
	{models.Menu{Code: "demo.orders.new", Name: "新建订单 ✍️", Path: "/pages/orders/new", Icon: "add", Sort: 20, Visible: true}, "demo.orders"},
	{models.Menu{Code: "demo.reports", Name: "报表 📊", Path: "/pages/reports/index", Icon: "chart", Sort: 30, Visible: true}, ""},
	{models.Menu{Code: "demo.profile", Name: "我的 🙂", Path: "/pages/profile/index", Icon: "user", Sort: 40, Visible: true}, ""},
}

// demoMenuCodes picks account n's menus: everyone has home, the rest vary so that menu trees
// differ from one user to the next.
func demoMenuCodes(n int) []string {
	codes := []string{"demo.home"}
	if n%2 == 0 {
		codes = append(codes, "demo.orders", "demo.orders.list")
		if n%4 == 0 {
			codes = append(codes, "demo.orders.new")
		}
	}
	if n%10 == 0 {
		codes = append(codes, "demo.reports")
	}
	if n%3 == 0 {
		codes = append(codes, "demo.profile")
	}
	return codes
}

var (
	demoNames  = []string{"小明", "阿花", "王伟", "李娜", "张敏", "Lily", "Tom", "Kenji", "Ana", "刘洋", "陈静", "Zoë"}
	demoEmojis = []string{"🐼", "🦊", "🐯", "🐨", "🐸", "🐙", "🦄", "🐳", "🌸", "🍀", "🔥", "🚀", "🎉", "😎", "🤖", "👩‍💻"}
)

func demoUsername(n int) string { return fmt.Sprintf("%s%07d", demoUsernamePrefix, n) }

// demoNickname is an emoji nickname, so demos and benchmarks carry 4-byte characters end to end.
func demoNickname(n int) string {
	return demoNames[n%len(demoNames)] + " " + demoEmojis[(n/len(demoNames))%len(demoEmojis)]
}

// demoIdentity says which appid demo identities belong to and how account n's openid is made,
// so that the configured WeChat logs the user in: the sandbox derives the openid from the code
// "sandbox:<username>"; a real appid is meant for a load test's fake WeChat, which answers the
// code "demo:<n>" with demoOpenIDPrefix+n.
func demoIdentity(cfg config) (appid string, openid func(n int) string, loginCode func(n int) string) {
	if cfg.sandboxMode() {
		return wechat.SandboxAppID, func(n int) string {
				s, _ := wechat.Sandbox{}.Code2Session(context.Background(), wechat.SandboxCodePrefix+demoUsername(n))
				return s.OpenID
			}, func(n int) string {
				return wechat.SandboxCodePrefix + demoUsername(n)
			}
	}
	return cfg.WeChatAppID, func(n int) string { return demoOpenIDPrefix + strconv.Itoa(n) },
		func(n int) string { return "demo:" + strconv.Itoa(n) }
}

func demo(ctx context.Context, cfg config, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("accounts", 0, fmt.Sprintf("how many demo accounts the database should hold (1–%d)", demoMaxAccounts))
	password := fs.String("password", demoDefaultPassword, "the password every demo account gets (at least 8 characters)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 || *n > demoMaxAccounts {
		return fmt.Errorf("demo: -accounts must be between 1 and %d, e.g. server demo -accounts 1000", demoMaxAccounts)
	}
	if len(*password) < 8 || len(*password) > 72 {
		return errors.New("demo: -password must be 8 to 72 characters")
	}
	// A batch of thousands of rows is slow by design; only errors are worth a log line here.
	quiet := cfg
	quiet.LogLevel = "error"
	db, err := openDatabase(ctx, cfg, newLogger(quiet, stderr), newLogger(quiet, stderr))
	if err != nil {
		return err
	}
	defer closeDB(db)
	store := models.NewStore(db)
	appid, openid, loginCode := demoIdentity(cfg)

	first := 1
	var hash []byte
	last, found, err := store.LastNumberedAccount(ctx, demoUsernamePrefix, demoUsernameLen)
	if err != nil {
		return fmt.Errorf("demo: looking for earlier demo accounts: %w", err)
	}
	if found {
		done, err := strconv.Atoi(strings.TrimPrefix(last.Username, demoUsernamePrefix))
		if err != nil {
			return fmt.Errorf("demo: account %q looks like a demo account but is not one; demo needs the usernames %s…%s free", last.Username, demoUsername(1), demoUsername(demoMaxAccounts))
		}
		if last.AppID != "" && last.AppID != appid {
			return fmt.Errorf("demo: the database already holds demo accounts (up to %s) bound in appid %q, but the server is configured for appid %q; use another database or the same WECHAT_APPID", last.Username, last.AppID, appid)
		}
		if bcrypt.CompareHashAndPassword([]byte(last.PasswordHash), []byte(*password)) != nil {
			return fmt.Errorf("demo: the demo accounts already in the database (up to %s) have another password; pass that one with -password, or use another database", last.Username)
		}
		if done >= *n {
			fmt.Fprintf(stdout, "the database already holds %d demo accounts (%s…%s); nothing to add\n", done, demoUsername(1), last.Username)
			printDemoLogin(stdout, appid, *password, loginCode, done)
			return nil
		}
		fmt.Fprintf(stdout, "the database already holds demo accounts up to %s; adding %s…%s\n", last.Username, demoUsername(done+1), demoUsername(*n))
		first = done + 1
		hash = []byte(last.PasswordHash) // every demo account shares one hash
	} else if hash, err = bcrypt.GenerateFromPassword([]byte(*password), bcrypt.DefaultCost); err != nil {
		return err
	}
	menus := make([]models.Menu, len(demoMenus))
	parents := map[string]string{}
	for i, m := range demoMenus {
		menus[i] = m.menu
		parents[m.menu.Code] = m.parent
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	menuByCode, err := store.EnsureMenus(ctx, menus, parents, now)
	if err != nil {
		return fmt.Errorf("demo: creating the menu tree: %w", err)
	}

	// Half the accounts (the odd ones) also have a menu role: its menus are children only,
	// whose parent the effective menus bring.
	roleID, err := store.EnsureMenuRole(ctx, demoRoleName, []uint64{menuByCode["demo.orders.list"].ID, menuByCode["demo.orders.new"].ID}, now)
	if err != nil {
		return fmt.Errorf("demo: creating the menu role: %w", err)
	}

	bar := newProgressBar(stderr, "demo accounts", *n-first+1)
	batch := make([]models.BulkAccount, 0, demoBatchSize)
	for i := first; i <= *n; i++ {
		codes := demoMenuCodes(i)
		ids := make([]uint64, len(codes))
		for j, c := range codes {
			ids[j] = menuByCode[c].ID
		}
		d := models.BulkAccount{
			Username: demoUsername(i), Name: fmt.Sprintf("Demo user %d", i),
			OpenID: openid(i), Nickname: demoNickname(i), MenuIDs: ids,
		}
		if i%2 == 1 {
			d.RoleIDs = []uint64{roleID}
		}
		batch = append(batch, d)
		if len(batch) == demoBatchSize || i == *n {
			if err := store.InsertAccountsInBulk(ctx, appid, string(hash), batch, now); err != nil {
				bar.stop()
				return fmt.Errorf("demo: after %s: %w (run the same command again to resume)", demoUsername(i-len(batch)), err)
			}
			bar.add(len(batch))
			batch = batch[:0]
		}
	}
	elapsed := bar.stop()
	added := *n - first + 1
	fmt.Fprintf(stdout, "added %d demo accounts in %s (%.0f accounts/s), each bound to a WeChat identity in appid %s, with menus\n",
		added, elapsed.Round(time.Millisecond), float64(added)/elapsed.Seconds(), appid)
	printDemoLogin(stdout, appid, *password, loginCode, *n)
	return nil
}

func printDemoLogin(w io.Writer, appid, password string, loginCode func(int) string, n int) {
	fmt.Fprintf(w, "usernames %s…%s, password %q\n", demoUsername(1), demoUsername(n), password)
	if appid == wechat.SandboxAppID {
		fmt.Fprintf(w, "in the sandbox, checkBind with code %q logs in as %s\n", loginCode(1), demoUsername(1))
	} else {
		fmt.Fprintf(w, "identities have openid %s<n>: a fake WeChat answering code %q with openid %s1 logs in as %s\n",
			demoOpenIDPrefix, loginCode(1), demoOpenIDPrefix, demoUsername(1))
	}
}

// progressBar draws "[#####     ] 42% 420000/1000000 …" on one terminal line, at most a few
// times a second.
type progressBar struct {
	w        io.Writer
	label    string
	total    int
	done     int
	start    time.Time
	lastDraw time.Time
}

func newProgressBar(w io.Writer, label string, total int) *progressBar {
	b := &progressBar{w: w, label: label, total: total, start: time.Now()}
	b.draw()
	return b
}

func (b *progressBar) add(n int) {
	b.done += n
	if time.Since(b.lastDraw) >= 200*time.Millisecond || b.done >= b.total {
		b.draw()
	}
}

func (b *progressBar) draw() {
	const width = 30
	b.lastDraw = time.Now()
	frac := 1.0
	if b.total > 0 {
		frac = float64(b.done) / float64(b.total)
	}
	filled := int(frac * width)
	elapsed := time.Since(b.start)
	eta := "?"
	if b.done > 0 {
		eta = (time.Duration(float64(elapsed)/frac) - elapsed).Round(time.Second).String()
	}
	fmt.Fprintf(b.w, "\r[%s%s] %3.0f%% %d/%d %s, %.0f/s, ETA %s   ",
		strings.Repeat("#", filled), strings.Repeat(" ", width-filled), frac*100, b.done, b.total, b.label,
		float64(b.done)/max(elapsed.Seconds(), 1e-3), eta)
}

// stop draws the final state, ends the line and returns the time taken.
func (b *progressBar) stop() time.Duration {
	if b.done < b.total {
		b.draw()
	}
	fmt.Fprintln(b.w)
	return time.Since(b.start)
}
