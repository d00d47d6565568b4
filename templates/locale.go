package templates

import (
	"context"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"wxbind/i18n"
)

// Locale is how one request's pages speak: the catalog in its language, the console's time
// zone, and numbers formatted for that language. Handlers put it in the rendering context
// (WithLocale); every component reads its words from there, so none is written in a template.
type Locale struct {
	Tr   i18n.Translator
	Zone *time.Location
}

type localeKey struct{}

// WithLocale is ctx carrying l for the components rendered with it.
func WithLocale(ctx context.Context, l Locale) context.Context {
	return context.WithValue(ctx, localeKey{}, l)
}

// LocaleOf is the Locale in ctx; without one, messages show their ids and times are UTC.
func LocaleOf(ctx context.Context) Locale {
	l, _ := ctx.Value(localeKey{}).(Locale)
	return l
}

// T is the message id in the page's language.
func (l Locale) T(id string) string { return l.Tr.T(id) }

// Tf is the message id filled with data.
func (l Locale) Tf(id string, data map[string]any) string { return l.Tr.Tf(id, data) }

// Lang is the page's language for <html lang>, e.g. zh-CN.
func (l Locale) Lang() string {
	if l.Tr.Lang() == language.Und.String() {
		return i18n.Chinese.String()
	}
	return l.Tr.Lang()
}

func (l Locale) zone() *time.Location {
	if l.Zone == nil {
		return time.UTC
	}
	return l.Zone
}

// layout is a Go time layout from the catalog (console.format.*), which fits each language.
func (l Locale) layout(id, fallback string) string {
	if s := l.T(id); s != id {
		return s
	}
	return fallback
}

// Time is t in the console's zone, e.g. 2026-11-21 18:04 or "Nov 21, 2026 18:04"; "" for no time.
func (l Locale) Time(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.In(l.zone()).Format(l.layout("console.format.datetime", "2006-01-02 15:04"))
}

// Seconds is t with seconds, for the audit log.
func (l Locale) Seconds(t time.Time) string {
	return t.In(l.zone()).Format(l.layout("console.format.datetime_seconds", "2006-01-02 15:04:05"))
}

// Clock is the time of day of t, e.g. 18:04:05.
func (l Locale) Clock(t time.Time) string {
	return t.In(l.zone()).Format(l.layout("console.format.clock", "15:04:05"))
}

// Day is a short date under a chart bar, e.g. 11-21 or Nov 21.
func (l Locale) Day(t time.Time) string {
	return t.In(l.zone()).Format(l.layout("console.format.day", "01-02"))
}

// ZoneName names the console's zone, e.g. Asia/Shanghai.
func (l Locale) ZoneName() string { return l.zone().String() }

// Number is n with the language's digit grouping, e.g. 1,234,567.
func (l Locale) Number(n int64) string {
	tag, err := language.Parse(l.Lang())
	if err != nil {
		tag = i18n.Chinese
	}
	return message.NewPrinter(tag).Sprintf("%d", n)
}

// tr and trf are the templates' shorthands for the page's messages.
func tr(ctx context.Context, id string) string { return LocaleOf(ctx).T(id) }

func trf(ctx context.Context, id string, data map[string]any) string {
	return LocaleOf(ctx).Tf(id, data)
}
