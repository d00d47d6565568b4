package mobile_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"wxbind/models"
	"wxbind/models/modelstest"
	"wxbind/web/webtest"
	"wxbind/wechat/wechattest"
)

const bindPath = "/mobileApi/user/bind"

// ticketFor runs checkBind for a new WeChat user and returns the 301's openId and bindTicket.
func ticketFor(t *testing.T, app *webtest.App, name string) (openID, ticket string) {
	t.Helper()
	r := app.CheckBind(t, wechattest.Code(name))
	if r.Code() != 301 {
		t.Fatalf("checkBind %s: want 301, got %s", name, r.Raw)
	}
	return r.String("openId"), r.String("bindTicket")
}

func TestBindFailures(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		app.CreateAccount(t, "carol", "carol-password", "user")
		off := app.CreateAccount(t, "dave", "dave-password", "user")
		if err := app.DB.Gorm.Model(&off).Update("status", models.StatusDisabled).Error; err != nil {
			t.Fatal(err)
		}
		app.BindNew(t, "erin-phone", "carol", "carol-password") // carol is now bound
		openID, ticket := ticketFor(t, app, "frank-phone")

		wrongPassword := scenario{method: "POST", path: bindPath, body: map[string]any{"bindTicket": ticket, "username": "carol", "password": "nope-nope"}, wantStatus: 401, wantReason: "wrong_password"}.run(t, app)
		wrongUser := scenario{method: "POST", path: bindPath, body: map[string]any{"bindTicket": ticket, "username": "nobody", "password": "nope-nope"}, wantStatus: 401, wantReason: "wrong_password"}.run(t, app)
		if wrongPassword.String("msg") != wrongUser.String("msg") {
			t.Fatalf("a wrong username and a wrong password must read the same: %q vs %q", wrongPassword.String("msg"), wrongUser.String("msg"))
		}

		for _, s := range []scenario{
			{name: "disabled account", method: "POST", path: bindPath, body: map[string]any{"bindTicket": ticket, "username": "dave", "password": "dave-password"}, wantStatus: 403, wantReason: "account_disabled"},
			{name: "account bound to another WeChat user", method: "POST", path: bindPath, body: map[string]any{"bindTicket": ticket, "username": "carol", "password": "carol-password"}, wantStatus: 409, wantReason: "account_already_bound"},
			{name: "bare openId", method: "POST", path: bindPath, body: map[string]any{"openId": openID, "username": "carol", "password": "carol-password"}, wantStatus: 400, wantReason: "invalid_bindTicket"},
			{name: "openId disagrees with ticket", method: "POST", path: bindPath, body: map[string]any{"bindTicket": ticket, "openId": "o-someone-else", "username": "carol", "password": "carol-password"}, wantStatus: 400, wantReason: "openid_mismatch"},
			{name: "tampered ticket", method: "POST", path: bindPath, body: map[string]any{"bindTicket": ticket[:len(ticket)-3] + "AAA", "username": "carol", "password": "carol-password"}, wantStatus: 400, wantReason: "ticket_invalid"},
			{name: "forged ticket", method: "POST", path: bindPath, body: map[string]any{"bindTicket": "eyJuIjoiMSJ9.AAAA", "username": "carol", "password": "carol-password"}, wantStatus: 400, wantReason: "ticket_invalid"},
			{name: "missing password", method: "POST", path: bindPath, body: map[string]any{"bindTicket": ticket, "username": "carol"}, wantStatus: 400, wantReason: "invalid_username"},
			{name: "nickname too long", method: "POST", path: bindPath, body: map[string]any{"bindTicket": ticket, "username": "carol", "password": "carol-password", "nickName": strings.Repeat("😀", 65)}, wantStatus: 400, wantReason: "invalid_nickName"},
			{name: "avatar not a URL", method: "POST", path: bindPath, body: map[string]any{"bindTicket": ticket, "username": "carol", "password": "carol-password", "avatarUrl": "javascript:alert(1)"}, wantStatus: 400, wantReason: "invalid_avatarUrl"},
			{name: "body not JSON", method: "POST", path: bindPath, body: "username=carol", wantStatus: 400, wantReason: "invalid_body"},
			{name: "empty body", method: "POST", path: bindPath, body: "", wantStatus: 400, wantReason: "invalid_body"},
			{name: "body too large", method: "POST", path: bindPath, body: `{"username":"` + strings.Repeat("a", 70<<10) + `"}`, wantStatus: 413, wantReason: "body_too_large"},
			{name: "form instead of JSON", method: "POST", path: bindPath, body: "a=b", headers: []string{"Content-Type", "application/x-www-form-urlencoded"}, wantStatus: 415, wantReason: "invalid_body"},
			{name: "code WeChat refuses", method: "POST", path: bindPath, body: map[string]any{"code": "err:40163", "username": "carol", "password": "carol-password"}, wantStatus: 502, wantReason: "wechat_code_invalid"},
		} {
			t.Run(s.name, func(t *testing.T) { s.run(t, app) })
		}

		// None of those spent the ticket: a person who mistyped binds with it now.
		app.CreateAccount(t, "grace", "grace-password", "user")
		ok := app.Do(t, "POST", bindPath, map[string]any{"bindTicket": ticket, "openId": openID, "username": "grace", "password": "grace-password"})
		if ok.Code() != 1 {
			t.Fatalf("bind after failed attempts: %s", ok.Raw)
		}
		scenario{name: "used ticket", method: "POST", path: bindPath, body: map[string]any{"bindTicket": ticket, "username": "grace", "password": "grace-password"}, wantStatus: 400, wantReason: "ticket_used"}.run(t, app)

		// frank-phone is bound now; a fresh code for it cannot bind another account.
		app.CreateAccount(t, "heidi", "heidi-password", "user")
		scenario{method: "POST", path: bindPath, body: map[string]any{"code": wechattest.Code("frank-phone"), "username": "heidi", "password": "heidi-password"}, wantStatus: 409, wantReason: "wechat_already_bound"}.run(t, app)
	})
}

func TestBindTicketExpires(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	app := webtest.Start(t, webtest.Options{Now: clock, TicketTTL: 5 * time.Minute})
	app.CreateAccount(t, "ivan", "ivan-password", "user")
	_, ticket := ticketFor(t, app, "ivan-phone")
	mu.Lock()
	now = now.Add(5*time.Minute + time.Second)
	mu.Unlock()
	body := map[string]any{"bindTicket": ticket, "username": "ivan", "password": "ivan-password"}
	r := scenario{method: "POST", path: bindPath, body: body, wantStatus: 400, wantReason: "ticket_expired"}.run(t, app)
	if !strings.Contains(r.String("msg"), "重新打开小程序") {
		t.Fatalf("an expired ticket must tell the client to relaunch, in Chinese by default: %s", r.Raw)
	}
	r = scenario{method: "POST", path: bindPath + "?lang=en", body: body, wantStatus: 400, wantReason: "ticket_expired"}.run(t, app)
	if !strings.Contains(r.String("msg"), "reopen the app") {
		t.Fatalf("and in English when asked: %s", r.Raw)
	}
}

func TestBindWithFreshCode(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		app.CreateAccount(t, "judy", "judy-password", "user")
		r := app.Do(t, "POST", bindPath, map[string]any{"code": wechattest.Code("judy-phone"), "openId": wechattest.OpenID("judy-phone"), "username": " judy ", "password": "judy-password", "nickName": "Judy 🌸", "avatarUrl": "https://thirdwx.qlogo.cn/mmopen/x/132"})
		if r.Status != 200 || r.Code() != 1 {
			t.Fatalf("bind by code: %d %s", r.Status, r.Raw)
		}
		u := r.Body["userInfo"].(map[string]any)
		if u["openId"] != wechattest.OpenID("judy-phone") || u["nickName"] != "Judy 🌸" || u["avatarUrl"] != "https://thirdwx.qlogo.cn/mmopen/x/132" {
			t.Fatalf("userInfo after bind: %v", u)
		}
		if _, ok := r.Body["expiresIn"].(float64); !ok {
			t.Fatalf("expiresIn missing: %s", r.Raw)
		}
		if menus, ok := r.Body["menuList"].([]any); !ok || len(menus) != 0 {
			t.Fatalf("menuList must be [] when none: %s", r.Raw)
		}
		// the bind is in the audit log
		var audit []models.AuditEntry
		app.DB.Gorm.Where("action = ?", "bind").Find(&audit)
		if len(audit) != 1 || audit[0].Actor != "judy" || audit[0].IP == "" {
			t.Fatalf("bind must be audited with actor and IP: %+v", audit)
		}
	})
}

// TestConcurrentBinds races binds of one WeChat user to many accounts, and of one account from
// many WeChat users: the unique keys let exactly one of each win.
func TestConcurrentBinds(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		const n = 50
		for i := range n {
			app.CreateAccount(t, fmt.Sprintf("racer%02d", i), "racer-password", "user")
		}
		_, ticket := ticketFor(t, app, "contested-phone")
		var wg sync.WaitGroup
		codes := make([]int, n)
		for i := range n {
			wg.Go(func() {
				r := app.Do(t, "POST", bindPath, map[string]any{"bindTicket": ticket, "username": fmt.Sprintf("racer%02d", i), "password": "racer-password"})
				codes[i] = r.Code()
			})
		}
		wg.Wait()
		if won := count(codes, 1); won != 1 {
			t.Fatalf("one WeChat user, %d accounts: want exactly one bind to win, %d did (%v)", n, won, codes)
		}

		app.CreateAccount(t, "popular", "popular-password", "user")
		tickets := make([]string, n)
		for i := range n {
			_, tickets[i] = ticketFor(t, app, fmt.Sprintf("suitor-%02d", i))
		}
		for i := range n {
			wg.Go(func() {
				r := app.Do(t, "POST", bindPath, map[string]any{"bindTicket": tickets[i], "username": "popular", "password": "popular-password"})
				codes[i] = r.Code()
			})
		}
		wg.Wait()
		if won := count(codes, 1); won != 1 {
			t.Fatalf("one account, %d WeChat users: want exactly one bind to win, %d did (%v)", n, won, codes)
		}
		var bound int64
		app.DB.Gorm.Model(&models.WechatIdentity{}).Where("account_id IS NOT NULL").Count(&bound)
		if bound != 2 {
			t.Fatalf("want 2 bindings in the database, got %d", bound)
		}
	})
}

// TestConcurrentCheckBindOneRow: many first logins of the same new WeChat user at once leave
// exactly one identity row.
func TestConcurrentCheckBindOneRow(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		var wg sync.WaitGroup
		const n = 100
		codes := make([]int, n)
		for i := range n {
			wg.Go(func() { codes[i] = app.CheckBind(t, wechattest.Code("crowd")).Code() })
		}
		wg.Wait()
		if c := count(codes, 301); c != n {
			t.Fatalf("every concurrent checkBind must answer 301: %v", codes)
		}
		var rows int64
		app.DB.Gorm.Model(&models.WechatIdentity{}).Count(&rows)
		if rows != 1 {
			t.Fatalf("want one identity row, got %d", rows)
		}
	})
}

// TestEmojiNicknameStoredIntact reads the column itself: 4-byte characters survive MariaDB.
func TestEmojiNicknameStoredIntact(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		app.CreateAccount(t, "kim", "kim-password", "user")
		token := app.BindNew(t, "kim-phone", "kim", "kim-password")
		nick := "𝓚𝓲𝓶 👩‍👩‍👧‍👦🀄 — 金"
		r := app.Authed(t, http.MethodPost, "/mobileApi/user/profile", token, map[string]any{"nickName": nick})
		if r.Code() != 1 {
			t.Fatalf("profile: %s", r.Raw)
		}
		var stored string
		if err := app.DB.Gorm.WithContext(context.Background()).Raw("SELECT nickname FROM wechat_identities WHERE openid = ?", wechattest.OpenID("kim-phone")).Scan(&stored).Error; err != nil {
			t.Fatal(err)
		}
		if stored != nick {
			t.Fatalf("stored nickname %q, want %q byte for byte", stored, nick)
		}
	})
}

func count(xs []int, v int) int {
	n := 0
	for _, x := range xs {
		if x == v {
			n++
		}
	}
	return n
}
