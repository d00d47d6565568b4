package devtools_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"wxbind/account"
	"wxbind/web/webtest"
)

// TestSimulatorScansConsoleLogin: the console's sandbox scan tab links to the simulator with its
// scene; the simulator, logged in as a bound staff member, scans it, is asked about the browser
// and confirms, and the console's browser is logged in.
func TestSimulatorScansConsoleLogin(t *testing.T) {
	ctx := browser(t)
	app := webtest.Start(t, webtest.Options{Sandbox: true})
	app.CreateAccount(t, "stella", "correct-horse", account.RoleStaff)

	// The console's browser: a cookie jar that opens the scan tab as Chrome on Windows.
	jar, _ := cookiejar.New(nil)
	pc := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest(http.MethodGet, app.URL+"/admin/login/scan", nil)
	req.Header.Set("User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")
	res, err := pc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	link := regexp.MustCompile(`href="(/dev/simulator\?scene=([A-Z2-7]+))"`).FindStringSubmatch(string(page))
	if link == nil {
		t.Fatalf("the sandbox scan tab links no simulator with its scene:\n%s", page)
	}
	scene := link[2]

	must := webtest.Steps(t, ctx)
	waitText := func(id, want string) {
		t.Helper()
		expr := `(() => { const el = document.querySelector('[data-testid="` + id + `"]'); return !!el && !el.hidden && el.textContent.includes(` + strconv.Quote(want) + `); })()`
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			got, _ := chromedp.Run(ctx, chromedp.TextContent(tid(id)))
			t.Fatalf("%s: want %q, got %q (%v)", id, want, got, err)
		}
	}
	must("open the simulator from the console's link",
		acceptLanguage("zh-CN,zh;q=0.9"),
		chromedp.Navigate(app.URL+link[1]),
		chromedp.WaitVisible(tid("wx-login")),
		chromedp.SetValue(tid("wechat-name"), "stella-phone"),
		chromedp.Click(tid("wx-login")),
		chromedp.WaitVisible(tid("page-login")),
		chromedp.SetValue(tid("bind-username"), "stella"),
		chromedp.SetValue(tid("bind-password"), "correct-horse"),
		chromedp.Click(tid("bind-submit")),
		chromedp.WaitVisible(tid("page-index")),
	)
	if got, _ := chromedp.Run(ctx, chromedp.Value(tid("scan-scene"))); got != scene {
		t.Fatalf("the simulator's scene field holds %q, want the console's %q", got, scene)
	}
	must("scan", chromedp.Click(tid("scan-submit")))
	waitText("scan-question", "在 Chrome · Windows 登录管理后台？")
	must("confirm", chromedp.Click(tid("scan-confirm")))
	waitText("toast", "已确认")

	form := url.Values{}
	post, _ := http.NewRequest(http.MethodPost, app.URL+"/admin/login/scan/"+scene, strings.NewReader(form.Encode()))
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	post.Header.Set("Origin", app.URL)
	post.Header.Set("Sec-Fetch-Site", "same-origin")
	done, err := pc.Do(post)
	if err != nil {
		t.Fatal(err)
	}
	done.Body.Close()
	if done.StatusCode != http.StatusSeeOther || done.Header.Get("Location") != "/admin/" {
		t.Fatalf("the console's browser after the simulator confirmed: %d %q", done.StatusCode, done.Header.Get("Location"))
	}
}
