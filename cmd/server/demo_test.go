package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"wxbind/models"
	"wxbind/models/modelstest"
	"wxbind/web/webtest"
	"wxbind/wechat"
)

// demoWeChat answers like the load test's fake WeChat: the code "demo:<n>" is the WeChat user
// with openid demo-openid-<n>. The sandbox provides the rest of the API.
type demoWeChat struct {
	wechat.Sandbox
	appid string
}

func (d demoWeChat) AppID() string { return d.appid }

func (d demoWeChat) Code2Session(_ context.Context, code string) (wechat.Session, error) {
	n, ok := strings.CutPrefix(code, "demo:")
	if !ok || n == "" {
		return wechat.Session{}, &wechat.Error{API: "jscode2session", Code: 40029, Msg: "invalid code"}
	}
	return wechat.Session{OpenID: demoOpenIDPrefix + n, SessionKey: wechat.SandboxSessionKey(n)}, nil
}

// expectedDemoMenuRows is how many menu assignments accounts 1…n get.
func expectedDemoMenuRows(n int) int64 {
	var rows int64
	for i := 1; i <= n; i++ {
		rows += int64(len(demoMenuCodes(i)))
	}
	return rows
}

func countRows(t *testing.T, db modelstest.DB, table, where string, args ...any) int64 {
	t.Helper()
	var n int64
	q := db.Gorm.Table(table)
	if where != "" {
		q = q.Where(where, args...)
	}
	if err := q.Count(&n).Error; err != nil {
		t.Fatalf("counting %s: %v", table, err)
	}
	return n
}

func openDemoDB(t *testing.T, driver, dsn string) modelstest.DB {
	t.Helper()
	g, err := models.Open(driver, dsn, models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeDB(g) })
	return modelstest.DB{Driver: driver, DSN: dsn, Gorm: g}
}

// TestDemoFillsAndUsersLogIn fills a database in sandbox mode, checks every row it promises,
// runs it again (nothing added), extends it, and logs a demo user in through checkBind, then
// unbinds and binds again with the demo password through the mobile API.
func TestDemoFillsAndUsersLogIn(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		dsn := modelstest.NewDSN(t, driver)
		getenv := env(map[string]string{"DB_DRIVER": driver, "DB_DSN": dsn, "DATA_DIR": t.TempDir(), "LOG_LEVEL": "warn"})
		ctx := context.Background()
		const first, more = 2500, 2600 // more than one batch, and a partial one
		var out, progress bytes.Buffer
		if err := run(ctx, []string{"demo", "-accounts", "2500"}, getenv, nil, &out, &progress); err != nil {
			t.Fatalf("demo: %v", err)
		}
		if !strings.Contains(out.String(), "added 2500 demo accounts") || !strings.Contains(out.String(), `"demo-password"`) ||
			!strings.Contains(out.String(), "sandbox:demo0000001") {
			t.Fatalf("demo output: %s", out.String())
		}
		if !strings.Contains(progress.String(), "100% 2500/2500") {
			t.Fatalf("no progress bar on stderr: %q", progress.String())
		}
		db := openDemoDB(t, driver, dsn)
		check := func(n int) {
			t.Helper()
			if got := countRows(t, db, "accounts", "username LIKE ?", "demo%"); got != int64(n) {
				t.Fatalf("accounts: %d, want %d", got, n)
			}
			if got := countRows(t, db, "wechat_identities", "appid = ? AND account_id IS NOT NULL", wechat.SandboxAppID); got != int64(n) {
				t.Fatalf("bound identities: %d, want %d", got, n)
			}
			if got := countRows(t, db, "menus", "code LIKE ?", "demo.%"); got != int64(len(demoMenus)) {
				t.Fatalf("menus: %d, want %d", got, len(demoMenus))
			}
			if got := countRows(t, db, "account_extra_menus", ""); got != expectedDemoMenuRows(n) {
				t.Fatalf("menu assignments: %d, want %d", got, expectedDemoMenuRows(n))
			}
		}
		check(first)

		// Again: nothing is added; then more: only the new ones are.
		out.Reset()
		if err := run(ctx, []string{"demo", "-accounts", "2500"}, getenv, nil, &out, io.Discard); err != nil || !strings.Contains(out.String(), "nothing to add") {
			t.Fatalf("second run: %v\n%s", err, out.String())
		}
		check(first)
		out.Reset()
		if err := run(ctx, []string{"demo", "-accounts", "2600"}, getenv, nil, &out, io.Discard); err != nil || !strings.Contains(out.String(), "adding demo0002501…demo0002600") {
			t.Fatalf("extending: %v\n%s", err, out.String())
		}
		check(more)

		// One bcrypt hash for all, of the printed password.
		var hashes []string
		if err := db.Gorm.Table("accounts").Distinct("password_hash").Where("username LIKE ?", "demo%").Pluck("password_hash", &hashes).Error; err != nil {
			t.Fatal(err)
		}
		if len(hashes) != 1 || bcrypt.CompareHashAndPassword([]byte(hashes[0]), []byte(demoDefaultPassword)) != nil {
			t.Fatalf("want one hash of %q, got %d", demoDefaultPassword, len(hashes))
		}

		app := webtest.Start(t, webtest.Options{DB: &db, Sandbox: true})
		r := app.CheckBind(t, "sandbox:demo0000012")
		if r.Code() != 1 || r.String("token") == "" {
			t.Fatalf("checkBind of a demo user: %d %s", r.Status, r.Raw)
		}
		info := r.Body["userInfo"].(map[string]any)
		nick, _ := info["nickName"].(string)
		if info["username"] != "demo0000012" || nick != demoNickname(12) || utf8.RuneCountInString(nick) == len(nick) {
			t.Fatalf("userInfo: %v", info)
		}
		// 12 is even, a multiple of 4 and of 3: home, orders (with list and new), profile.
		if menus := r.Body["menuList"].([]any); len(menus) != 3 || len(menus[1].(map[string]any)["children"].([]any)) != 2 {
			t.Fatalf("menu tree: %s", r.Raw)
		}
		// The password works through the bind rule too.
		u := app.Do(t, http.MethodPost, "/mobileApi/user/unbind", nil, "Authorization", "Bearer "+r.String("token"))
		if u.Code() != 1 {
			t.Fatalf("unbind: %s", u.Raw)
		}
		r = app.CheckBind(t, "sandbox:demo0000012")
		if r.Code() != 301 {
			t.Fatalf("after unbind: %s", r.Raw)
		}
		b := app.Do(t, http.MethodPost, "/mobileApi/user/bind", map[string]any{"bindTicket": r.String("bindTicket"), "username": "demo0000012", "password": demoDefaultPassword})
		if b.Code() != 1 || b.String("token") == "" {
			t.Fatalf("bind with the demo password: %s", b.Raw)
		}
	})
}

// TestDemoForConfiguredAppID fills a database for a real appid, as the load test does, and logs
// in through a WeChat that answers "demo:<n>" with openid demo-openid-<n>. A second fill for
// another appid is refused with a message naming both.
func TestDemoForConfiguredAppID(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		dsn := modelstest.NewDSN(t, driver)
		kv := map[string]string{"DB_DRIVER": driver, "DB_DSN": dsn, "DATA_DIR": t.TempDir(), "LOG_LEVEL": "warn", "WECHAT_APPID": "wxdemo0123456789"}
		ctx := context.Background()
		if err := run(ctx, []string{"demo", "-accounts", "40", "-password", "another-secret"}, env(kv), nil, io.Discard, io.Discard); err != nil {
			t.Fatalf("demo: %v", err)
		}
		db := openDemoDB(t, driver, dsn)
		if got := countRows(t, db, "wechat_identities", "appid = ? AND openid = ? AND account_id IS NOT NULL", "wxdemo0123456789", "demo-openid-40"); got != 1 {
			t.Fatalf("identity demo-openid-40: %d rows", got)
		}
		app := webtest.Start(t, webtest.Options{DB: &db, WeChat: demoWeChat{appid: "wxdemo0123456789"}})
		r := app.CheckBind(t, "demo:40")
		if r.Code() != 1 || r.Body["userInfo"].(map[string]any)["username"] != "demo0000040" {
			t.Fatalf("checkBind demo:40: %s", r.Raw)
		}
		var acct models.Account
		if err := db.Gorm.Where("username = ?", "demo0000040").Take(&acct).Error; err != nil ||
			bcrypt.CompareHashAndPassword([]byte(acct.PasswordHash), []byte("another-secret")) != nil {
			t.Fatalf("demo0000040's password is not -password: %v", err)
		}

		err := run(ctx, []string{"demo", "-accounts", "50"}, env(kv), nil, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "another password") {
			t.Fatalf("extending with another password must be refused, got %v", err)
		}
		kv["WECHAT_APPID"] = "wxother"
		err = run(ctx, []string{"demo", "-accounts", "50", "-password", "another-secret"}, env(kv), nil, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), `"wxdemo0123456789"`) || !strings.Contains(err.Error(), `"wxother"`) {
			t.Fatalf("a fill for another appid must be refused naming both, got %v", err)
		}
	})
}

func TestDemoRefusesBadFlags(t *testing.T) {
	getenv := env(map[string]string{"DATA_DIR": t.TempDir()})
	for args, want := range map[string]string{
		"demo":                             "-accounts must be between 1 and",
		"demo -accounts 0":                 "-accounts must be between 1 and",
		"demo -accounts 10000000":          "-accounts must be between 1 and",
		"demo -accounts 5 -password short": "-password must be 8 to 72",
		"demo -acounts 5":                  "flag provided but not defined",
	} {
		err := run(context.Background(), strings.Fields(args), getenv, nil, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: want an error naming %q, got %v", args, want, err)
		}
	}
}
