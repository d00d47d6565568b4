package i18n

import (
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

func loadFile(t *testing.T, name string) map[string]string {
	t.Helper()
	var m map[string]string
	b, err := locales.ReadFile("locales/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if err := toml.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

// TestEveryKeyInEveryLanguage fails when a message exists in one language and not the other.
func TestEveryKeyInEveryLanguage(t *testing.T) {
	zh, en := loadFile(t, "zh-CN.toml"), loadFile(t, "en.toml")
	for k := range zh {
		if _, ok := en[k]; !ok {
			t.Errorf("%q is in zh-CN but not en", k)
		}
	}
	for k := range en {
		if _, ok := zh[k]; !ok {
			t.Errorf("%q is in en but not zh-CN", k)
		}
	}
}

var templateField = regexp.MustCompile(`\{\{\.[A-Za-z]+\}\}`)

// TestMobileMessagesFitAToast: wx.showToast shows about two short lines — 14 Chinese characters
// or 40 Latin ones. Template fields are measured as the numbers they become (up to 3 digits).
func TestMobileMessagesFitAToast(t *testing.T) {
	for file, limit := range map[string]int{"zh-CN.toml": 14, "en.toml": 40} {
		for k, v := range loadFile(t, file) {
			if !strings.HasPrefix(k, "mobile.") && !strings.HasPrefix(k, "input.") {
				continue
			}
			shown := templateField.ReplaceAllString(v, "999")
			if n := utf8.RuneCountInString(shown); n > limit {
				t.Errorf("%s %s is %d characters, over a toast's %d: %q", file, k, n, limit, v)
			}
		}
	}
}

func TestForMobile(t *testing.T) {
	c, err := New("zh-CN")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		query, header, accept, ua string
		want                      language.Tag
	}{
		{want: Chinese},
		{query: "en", want: language.English},
		{query: "en_US", accept: "zh-CN", want: language.English},
		{header: "en-GB", want: language.English},
		{query: "fr", accept: "en-US,en;q=0.9", want: language.English},
		{accept: "zh-TW,zh;q=0.9", want: Chinese},
		{ua: "Mozilla/5.0 (iPhone) MicroMessenger/8.0.50 NetType/WIFI Language/en", want: language.English},
		{ua: "Mozilla/5.0 MicroMessenger/8.0.50 Language/zh_CN", want: Chinese},
		{accept: "zh-CN", ua: "MicroMessenger Language/en", want: Chinese},
		{query: "xx-garbage-!!", accept: "!!!", want: Chinese},
		{query: "tlh", accept: "fr-FR,fr;q=0.9,ja;q=0.8", want: Chinese},
		{accept: "fr-FR,fr;q=0.9,en;q=0.5", want: language.English},
	} {
		r := httptest.NewRequest("GET", "/mobileApi/user/info?lang="+tc.query, nil)
		if tc.header != "" {
			r.Header.Set("lang", tc.header)
		}
		if tc.accept != "" {
			r.Header.Set("Accept-Language", tc.accept)
		}
		if tc.ua != "" {
			r.Header.Set("User-Agent", tc.ua)
		}
		if got := c.ForMobile(r); got != tc.want {
			t.Errorf("%+v: got %v", tc, got)
		}
	}
	enDefault, _ := New("en")
	if got := enDefault.ForMobile(httptest.NewRequest("GET", "/", nil)); got != language.English {
		t.Errorf("DEFAULT_LANG=en: got %v", got)
	}
	if _, err := New("klingon"); err == nil {
		t.Error("an unsupported default must be refused")
	}
}

func TestTranslate(t *testing.T) {
	c, _ := New("zh-CN")
	if got := c.In(Chinese).T("mobile.wrong_password"); got != "账号或密码错误" {
		t.Errorf("zh: %q", got)
	}
	if got := c.In(language.English).Tf("mobile.rate_limited", map[string]any{"Seconds": 3}); got != "Too many requests; retry in 3s" {
		t.Errorf("en: %q", got)
	}
	if got := c.In(language.English).T("no.such.key"); got != "no.such.key" {
		t.Errorf("a missing key must show itself, got %q", got)
	}
}

// TestPlainMessagesMatchTheBundle: the fast path for messages without fields answers exactly
// what go-i18n would.
func TestPlainMessagesMatchTheBundle(t *testing.T) {
	c, _ := New("zh-CN")
	for tag, msgs := range c.plain {
		if len(msgs) < 100 {
			t.Fatalf("%v: only %d plain messages", tag, len(msgs))
		}
		for id, want := range msgs {
			got, err := c.localizers[tag].Localize(&goi18n.LocalizeConfig{MessageID: id})
			if err != nil || got != want {
				t.Errorf("%v %s: bundle %q %v, plain %q", tag, id, got, err, want)
			}
		}
	}
}

func BenchmarkT(b *testing.B) {
	c, _ := New("zh-CN")
	tr := c.In(language.English)
	for b.Loop() {
		tr.T("console.users.heading")
	}
}
