package console_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"wxbind/models/modelstest"
	"wxbind/web/webtest"
	"wxbind/wechat/wechattest"
)

// TestUsersListPagesBothWays: the users list at page size 20 walks forward to the end and back
// to the start through its Next and Previous links, page by page the same rows; the filter and
// sort stay in every link (so Back and bookmarks work), the total is shown, and a page size
// outside the offered ones falls back to the default.
func TestUsersListPagesBothWays(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		app.CreateAccount(t, "root", "admin-password", "admin")
		for i := range 45 {
			app.CreateAccount(t, fmt.Sprintf("walker%02d", i), "walker-password", "user")
		}
		b := newBrowser(t, app)
		b.login("root", "admin-password")

		rows := func(p page) string {
			var names []string
			p.testid("user-link").Each(func(_ int, s *goquery.Selection) { names = append(names, s.Text()) })
			return strings.Join(names, " ")
		}
		start := "/admin/users?q=walker&sort=username&size=20"
		p := b.get(start)
		mustStatus(t, "first page", p, http.StatusOK)
		if got := p.testid("list-total").Text(); got != "共 45 条" {
			t.Fatalf("total %q", got)
		}
		if p.testid("prev-page").Length() != 0 || p.testid("first-page").Length() != 0 {
			t.Fatal("the first page offers a previous page")
		}
		var forward []string
		for {
			forward = append(forward, rows(p))
			next, ok := p.testid("next-page").Attr("href")
			if !ok {
				break
			}
			u, _ := url.Parse(next)
			if u.Query().Get("q") != "walker" || u.Query().Get("sort") != "username" || u.Query().Get("size") != "20" {
				t.Fatalf("next link lost the filter: %s", next)
			}
			p = b.get(next)
		}
		if len(forward) != 3 || !strings.HasPrefix(forward[0], "walker00 walker01") || forward[2] != "walker40 walker41 walker42 walker43 walker44" {
			t.Fatalf("pages forward: %q", forward)
		}
		for i := len(forward) - 2; i >= 0; i-- {
			prev, ok := p.testid("prev-page").Attr("href")
			if !ok {
				t.Fatalf("page %d has no previous page", i+1)
			}
			p = b.get(prev)
			if got := rows(p); got != forward[i] {
				t.Fatalf("page %d backwards: %q, forward it was %q", i, got, forward[i])
			}
		}
		if p.testid("prev-page").Length() != 0 {
			t.Fatal("back at the first page, a previous page is still offered")
		}
		if got := b.get("/admin/users?q=walker&size=7").testid("user-row").Length(); got != 45 && got != 50 {
			t.Fatalf("size=7 showed %d rows, want the default page size", got)
		}
		desc := b.get("/admin/users?q=walker&sort=username&order=desc&size=20")
		if got := rows(desc); !strings.HasPrefix(got, "walker44 walker43") {
			t.Fatalf("username descending: %q", got)
		}
		if sel, _ := desc.testid("users-order").Find("option[selected]").Attr("value"); sel != "desc" {
			t.Fatalf("the form does not show the chosen order: %q", sel)
		}
	})
}

// TestAuditTellsTheStory: after bob's WeChat user is unbound and bound to carol, bob's page still
// lists that user and every entry about it (bind, unbind); the WeChat users page links it to both
// accounts; a failed bind reads "not logged in (tried …)" rather than naming an actor; targets
// link to their pages; a date range filters the audit log.
func TestAuditTellsTheStory(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		app.CreateAccount(t, "root", "admin-password", "admin")
		bob := app.CreateAccount(t, "bob", "bob-password", "user")
		carol := app.CreateAccount(t, "carol", "carol-password", "user")
		app.BindNew(t, "shared-phone", "bob", "bob-password")
		b := newBrowser(t, app)
		b.login("root", "admin-password")
		mustRedirect(t, "unbind", b.post(fmt.Sprintf("/admin/users/%d/unbind", bob.ID), nil), fmt.Sprintf("/admin/users/%d", bob.ID))
		// A wrong password first (audited as a failed bind of carol), then the bind.
		r := app.CheckBind(t, wechattest.Code("shared-phone"))
		app.Do(t, http.MethodPost, "/mobileApi/user/bind", map[string]any{"bindTicket": r.String("bindTicket"), "openId": r.String("openId"), "username": "carol", "password": "wrong-password"})
		app.BindNew(t, "shared-phone", "carol", "carol-password")

		p := b.get(fmt.Sprintf("/admin/users/%d", bob.ID))
		if p.testid("past-identity").Length() != 1 {
			t.Fatalf("bob's page does not list the WeChat user he had:\n%s", p.Body)
		}
		var actions []string
		p.testid("audit-action").Each(func(_ int, s *goquery.Selection) { actions = append(actions, s.AttrOr("data-action", "")) })
		for _, want := range []string{"bind", "unbind"} {
			if !strings.Contains(" "+strings.Join(actions, " ")+" ", " "+want+" ") {
				t.Fatalf("bob's history lacks %s: %v", want, actions)
			}
		}
		w := b.get("/admin/wechat-users?q=" + url.QueryEscape(wechattest.OpenID("shared-phone")))
		if w.testid("wechat-row").Length() != 1 || w.testid("bound-account").Text() != "carol" {
			t.Fatalf("the whole openid must find the WeChat user, bound to carol:\n%s", w.Body)
		}
		_ = carol
		a := b.get("/admin/audit?action=bind_failed")
		if got := a.testid("audit-actor").First().Text(); strings.TrimSpace(got) != "未登录（尝试账号 carol）" {
			t.Fatalf("failed bind's actor: %q", got)
		}
		a = b.get("/admin/audit?action=unbind")
		if href, _ := a.Doc.Find(`[data-testid="audit-target"] a`).First().Attr("href"); !strings.Contains(href, url.QueryEscape(wechattest.OpenID("shared-phone"))) {
			t.Fatalf("unbind target links to %q", href)
		}
		if n := b.get("/admin/audit?from=2000-01-01&to=2000-12-31").testid("audit-row").Length(); n != 0 {
			t.Fatalf("a date range in 2000 shows %d entries", n)
		}
		if n := b.get("/admin/audit?action=bind&from=2000-01-01").testid("audit-row").Length(); n != 2 {
			t.Fatalf("binds since 2000: %d, want 2", n)
		}
	})
}

// TestUnboundIdentityLinksPastAccounts: an unbound WeChat user's row links the account it was
// bound to.
func TestUnboundIdentityLinksPastAccounts(t *testing.T) {
	app := webtest.Start(t, webtest.Options{})
	app.CreateAccount(t, "root", "admin-password", "admin")
	dave := app.CreateAccount(t, "dave", "dave-password", "user")
	app.BindNew(t, "dave-phone", "dave", "dave-password")
	b := newBrowser(t, app)
	b.login("root", "admin-password")
	b.post(fmt.Sprintf("/admin/users/%d/unbind", dave.ID), nil)
	p := b.get("/admin/wechat-users?bind=unbound")
	link := p.testid("past-account")
	if href, _ := link.Attr("href"); link.Text() != "dave" || href != fmt.Sprintf("/admin/users/%d", dave.ID) {
		t.Fatalf("unbound WeChat user links %q → %q", link.Text(), href)
	}
	if p.testid("not-bound").Length() != 1 {
		t.Fatal("the row must still say it is not bound")
	}
}
