package templates

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/language"

	"wxbind/i18n"
)

// TestLocaleFormats: times in the console's zone in each language's format, numbers grouped.
func TestLocaleFormats(t *testing.T) {
	cat, err := i18n.New("zh-CN")
	if err != nil {
		t.Fatal(err)
	}
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 21, 16, 5, 9, 0, time.UTC)
	zh := Locale{Tr: cat.In(i18n.Chinese), Zone: shanghai}
	en := Locale{Tr: cat.In(language.English), Zone: shanghai}
	for _, tc := range []struct{ got, want string }{
		{zh.Time(&at), "2026-11-22 00:05"},
		{en.Time(&at), "Nov 22, 2026 00:05"},
		{zh.Seconds(at), "2026-11-22 00:05:09"},
		{en.Seconds(at), "Nov 22, 2026 00:05:09"},
		{zh.Day(at), "11-22"},
		{en.Day(at), "Nov 22"},
		{zh.Clock(at), "00:05:09"},
		{zh.Time(nil), ""},
		{zh.Number(1234567), "1,234,567"},
		{en.Number(1234567), "1,234,567"},
		{en.Number(7), "7"},
		{zh.Lang(), "zh-CN"},
		{en.Lang(), "en"},
		{Locale{}.Lang(), "zh-CN"},
		{Locale{}.Time(&at), "2026-11-21 16:05"}, // no locale: ids for words, UTC for times
		{joinNames(zh, []string{"a", "b"}), "a、b"},
		{joinNames(en, []string{"a", "b", "c", "d", "e", "f", "g"}), "a, b and 5 others"},
		{joinNames(zh, []string{"a", "b", "c", "d", "e", "f", "g"}), "a、b 等 5 人"},
		{actionName(zh, "menus_assign"), "分配菜单"},
		{actionName(en, "some_future_action"), "some_future_action"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

// TestChartSpeaksTheLanguage: the dashboard's SVG names its series and days in the page's
// language.
func TestChartSpeaksTheLanguage(t *testing.T) {
	cat, _ := i18n.New("zh-CN")
	day := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	v := DashboardView{Days: []DayFigures{{Day: day, Binds: 1200, Unbinds: 1, Logins: 3}}, ChartMaxValue: 1200, AsOf: day}
	for _, tc := range []struct {
		tag  language.Tag
		want []string
	}{
		{i18n.Chinese, []string{"11-21：绑定 1,200 次", ">解绑<", `lang="zh-CN"`, "数据统计于 08:00:00（Asia/Shanghai）"}},
		{language.English, []string{"Nov 21: 1,200 binds", ">unbinds<", `lang="en"`, "Figures as of 08:00:00 (Asia/Shanghai)"}},
	} {
		shanghai, _ := time.LoadLocation("Asia/Shanghai")
		ctx := WithLocale(context.Background(), Locale{Tr: cat.In(tc.tag), Zone: shanghai})
		var buf bytes.Buffer
		if err := DashboardPage(Page{Title: "x"}, v).Render(ctx, &buf); err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(buf.String(), w) {
				t.Errorf("%v: want %q in the page", tc.tag, w)
			}
		}
	}
}
