package console_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"wxbind/models/modelstest"
	"wxbind/web/webtest"
)

// listDays is when row i of 45 (0…44) was written: three a day over 15 days in the console's
// zone (Shanghai), at 07:00 (23:00 UTC the day before), 12:00 and 23:30 local on 2025-03-01 + i/3
// days, so that a day read in UTC would take the wrong rows.
func listDays(i int) time.Time {
	shanghai := time.FixedZone("CST", 8*3600)
	return time.Date(2025, 3, 1, 0, 0, 0, 0, shanghai).AddDate(0, 0, i/3).Add([]time.Duration{7 * time.Hour, 12 * time.Hour, 23*time.Hour + 30*time.Minute}[i%3]).UTC()
}

// walkList reads a list from start through its Next links to the end and back through its
// Previous links, and checks it shows want (each row's key, read by key) in order, the same
// pages both ways, every link keeping filter, and a total of len(want).
func walkList(t *testing.T, b *browser, start string, filter url.Values, key func(page) []string, want []string) {
	t.Helper()
	p := b.get(start)
	mustStatus(t, start, p, http.StatusOK)
	if got, wantTotal := p.testid("list-total").Text(), fmt.Sprintf("共 %d 条", len(want)); got != wantTotal {
		t.Fatalf("%s: total %q, want %q", start, got, wantTotal)
	}
	if p.testid("prev-page").Length() != 0 {
		t.Fatalf("%s: the first page offers a previous page", start)
	}
	keeps := func(link string) {
		t.Helper()
		u, _ := url.Parse(link)
		for k := range filter {
			if u.Query().Get(k) != filter.Get(k) {
				t.Fatalf("%s: the link %s lost %s=%s", start, link, k, filter.Get(k))
			}
		}
	}
	var pages [][]string
	for {
		pages = append(pages, key(p))
		next, ok := p.testid("next-page").Attr("href")
		if !ok {
			break
		}
		keeps(next)
		p = b.get(next)
		if len(pages) > 20 {
			t.Fatalf("%s: paging does not end", start)
		}
	}
	if got := slices.Concat(pages...); !slices.Equal(got, want) {
		t.Fatalf("%s forward, %d pages:\n got %v\nwant %v", start, len(pages), got, want)
	}
	for i := len(pages) - 2; i >= 0; i-- {
		prev, ok := p.testid("prev-page").Attr("href")
		if !ok {
			t.Fatalf("%s: page %d has no previous page", start, i+2)
		}
		keeps(prev)
		p = b.get(prev)
		if got := key(p); !slices.Equal(got, pages[i]) {
			t.Fatalf("%s: page %d backwards is %v, forward it was %v", start, i+1, got, pages[i])
		}
	}
	if p.testid("prev-page").Length() != 0 {
		t.Fatalf("%s: back on the first page, a previous page is still offered", start)
	}
}

// rows i in [lo, hi], newest (highest) first, named by name.
func newestFirst(lo, hi int, name func(int) string) []string {
	var out []string
	for i := hi; i >= lo; i-- {
		out = append(out, name(i))
	}
	return out
}

// TestWechatUsersListPagesAndDays: on both databases, the WeChat users list at 20 a page walks
// forward over its page boundaries and back, the same rows, with and without a first-seen day
// range (days in the console's zone, both ends inclusive, either open), and totals each exactly.
func TestWechatUsersListPagesAndDays(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		app.CreateAccount(t, "root", "admin-password", "admin")
		for i := range 45 {
			at := listDays(i)
			if err := app.DB.Gorm.Exec(`INSERT INTO wechat_identities (appid, openid, nickname, last_seen_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
				app.Accounts.AppID(), fmt.Sprintf("o-days-%02d", i), fmt.Sprintf("days %02d", i), at, at, at).Error; err != nil {
				t.Fatal(err)
			}
		}
		b := newBrowser(t, app)
		b.login("root", "admin-password")
		nicknames := func(p page) []string {
			var out []string
			p.testid("nickname").Each(func(_ int, s *goquery.Selection) { out = append(out, s.Text()) })
			return out
		}
		name := func(i int) string { return fmt.Sprintf("days %02d", i) }
		for _, c := range []struct {
			filter url.Values
			lo, hi int
		}{
			{url.Values{}, 0, 44},
			{url.Values{"seen_from": {"2025-03-04"}, "seen_to": {"2025-03-10"}}, 9, 29}, // 7 days of 3: 21, over a page boundary
			{url.Values{"seen_from": {"2025-03-14"}}, 39, 44},
			{url.Values{"seen_to": {"2025-03-01"}}, 0, 2},
			{url.Values{"seen_from": {"2025-03-16"}}, 1, 0}, // none
		} {
			start := "/admin/wechat-users?size=20"
			if len(c.filter) > 0 {
				start += "&" + c.filter.Encode()
			}
			walkList(t, b, start, c.filter, nicknames, newestFirst(c.lo, c.hi, name))
		}
		p := b.get("/admin/wechat-users?seen_from=2025-03-04&seen_to=2025-03-10")
		from, _ := p.testid("wechat-seen-from").Attr("value")
		to, _ := p.testid("wechat-seen-to").Attr("value")
		if from != "2025-03-04" || to != "2025-03-10" {
			t.Fatalf("the form shows the range %q–%q", from, to)
		}
	})
}

// TestAuditListPagesAndDays: on both databases, the audit log at 20 a page walks forward over
// its page boundaries and back, the same entries, within a day range (days in the console's zone,
// both ends inclusive, either open) alone and with an action, and totals each exactly.
func TestAuditListPagesAndDays(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		app.CreateAccount(t, "root", "admin-password", "admin")
		for i := range 45 {
			action := "bind"
			if i%3 == 2 {
				action = "unbind"
			}
			if err := app.DB.Gorm.Exec(`INSERT INTO audit_entries (actor, action, target, detail, ip, created_at) VALUES (?, ?, ?, '', '127.0.0.1', ?)`,
				fmt.Sprintf("days-%02d", i), action, fmt.Sprintf("login:days-%02d", i), listDays(i)).Error; err != nil {
				t.Fatal(err)
			}
		}
		b := newBrowser(t, app) // logging in writes today's entry, outside every range below
		b.login("root", "admin-password")
		actors := func(p page) []string {
			var out []string
			p.testid("audit-actor").Each(func(_ int, s *goquery.Selection) { out = append(out, strings.TrimSpace(s.Text())) })
			return out
		}
		name := func(i int) string { return fmt.Sprintf("days-%02d", i) }
		only := func(keep func(int) bool, rows []string) []string {
			var out []string
			for _, r := range rows {
				var i int
				fmt.Sscanf(r, "days-%d", &i)
				if keep(i) {
					out = append(out, r)
				}
			}
			return out
		}
		for _, c := range []struct {
			filter url.Values
			want   []string
		}{
			{url.Values{"from": {"2025-03-01"}, "to": {"2025-03-15"}}, newestFirst(0, 44, name)},
			{url.Values{"from": {"2025-03-04"}, "to": {"2025-03-10"}}, newestFirst(9, 29, name)},
			{url.Values{"to": {"2025-03-02"}}, newestFirst(0, 5, name)},
			{url.Values{"from": {"2025-03-01"}, "to": {"2025-03-31"}, "action": {"bind"}}, only(func(i int) bool { return i%3 != 2 }, newestFirst(0, 44, name))},
			{url.Values{"from": {"2025-03-13"}, "to": {"2025-03-13"}, "action": {"unbind"}}, []string{name(38)}},
			{url.Values{"from": {"2025-02-01"}, "to": {"2025-02-28"}}, nil},
		} {
			walkList(t, b, "/admin/audit?size=20&"+c.filter.Encode(), c.filter, actors, c.want)
		}
		// Unfiltered, the login is there too: 46 entries over three pages.
		all := b.get("/admin/audit?size=20")
		if got := all.testid("list-total").Text(); got != "共 46 条" {
			t.Fatalf("the whole log totals %q, want 46", got)
		}
		p := b.get("/admin/audit?from=2025-03-04&to=2025-03-10")
		from, _ := p.testid("audit-from").Attr("value")
		to, _ := p.testid("audit-to").Attr("value")
		if from != "2025-03-04" || to != "2025-03-10" {
			t.Fatalf("the form shows the range %q–%q", from, to)
		}
	})
}
