// Package i18n is the message catalog: every text a person reads — the mini-program's toasts,
// the console's labels — in zh-CN and en, embedded, with the rules that pick a language for a
// request. Log lines and API field names stay English and do not come through here.
package i18n

import (
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed locales/*.toml
var locales embed.FS

// Chinese as the mini-program's users write it; the message file is named after it.
var Chinese = language.MustParse("zh-CN")

// Supported languages, the first being the usual default.
var Supported = []language.Tag{Chinese, language.English}

// Catalog holds the messages of every supported language. It is read-only after New.
type Catalog struct {
	bundle     *goi18n.Bundle
	matcher    language.Matcher
	fallback   language.Tag
	localizers map[language.Tag]*goi18n.Localizer
	// plain holds every message without template fields, per language, so the console's
	// hundreds of labels a page cost a map lookup each rather than a template run.
	plain map[language.Tag]map[string]string
}

// New loads the embedded messages; defaultLang (e.g. "zh-CN") answers when a request asks for
// nothing we have.
func New(defaultLang string) (*Catalog, error) {
	bundle := goi18n.NewBundle(Chinese)
	bundle.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	files, err := fs.Glob(locales, "locales/*.toml")
	if err != nil {
		return nil, err
	}
	c := &Catalog{bundle: bundle, matcher: language.NewMatcher(Supported), localizers: map[language.Tag]*goi18n.Localizer{},
		plain: map[language.Tag]map[string]string{}}
	for _, f := range files {
		mf, err := bundle.LoadMessageFileFS(locales, f)
		if err != nil {
			return nil, fmt.Errorf("loading %s: %w", f, err)
		}
		plain := map[string]string{}
		for _, m := range mf.Messages {
			if !strings.Contains(m.Other, "{{") {
				plain[m.ID] = m.Other
			}
		}
		c.plain[mf.Tag] = plain
	}
	for _, tag := range Supported {
		c.localizers[tag] = goi18n.NewLocalizer(bundle, tag.String())
	}
	tag, ok := c.supported(defaultLang)
	if !ok {
		return nil, fmt.Errorf("DEFAULT_LANG=%q: use one of %v", defaultLang, Supported)
	}
	c.fallback = tag
	return c, nil
}

// supported maps a language name (zh-CN, zh_CN, en-US, en…) onto a supported tag.
func (c *Catalog) supported(name string) (language.Tag, bool) {
	name = strings.ReplaceAll(strings.TrimSpace(name), "_", "-")
	if name == "" || len(name) > 35 {
		return language.Und, false
	}
	tag, err := language.Parse(name)
	if err != nil {
		return language.Und, false
	}
	_, i, conf := c.matcher.Match(tag)
	if conf == language.No || !sameBase(tag, Supported[i]) {
		return language.Und, false
	}
	return Supported[i], true
}

// sameBase keeps the matcher's looser guesses (it pairs some languages with English) out:
// only a request in Chinese gets Chinese, only one in English gets English.
func sameBase(a, b language.Tag) bool {
	ba, _ := a.Base()
	bb, _ := b.Base()
	return ba == bb
}

// wechatLanguage is the "Language/zh_CN" part of WeChat's User-Agent.
var wechatLanguage = regexp.MustCompile(`Language/([A-Za-z]{2,3}(?:[_-][A-Za-z0-9]{2,8})?)`)

// ForMobile picks the mini-program's language: a "lang" query parameter or header, else
// Accept-Language, else the Language/xx_XX part of WeChat's User-Agent, else the default.
func (c *Catalog) ForMobile(r *http.Request) language.Tag {
	for _, v := range []string{r.URL.Query().Get("lang"), r.Header.Get("lang")} {
		if tag, ok := c.supported(v); ok {
			return tag
		}
	}
	if tag, ok := c.fromAcceptLanguage(r.Header.Get("Accept-Language")); ok {
		return tag
	}
	if m := wechatLanguage.FindStringSubmatch(r.Header.Get("User-Agent")); m != nil {
		if tag, ok := c.supported(m[1]); ok {
			return tag
		}
	}
	return c.fallback
}

// ForConsole picks the console's language: the one chosen in the session, else
// Accept-Language, else the default.
func (c *Catalog) ForConsole(r *http.Request, chosen string) language.Tag {
	if tag, ok := c.supported(chosen); ok {
		return tag
	}
	if tag, ok := c.fromAcceptLanguage(r.Header.Get("Accept-Language")); ok {
		return tag
	}
	return c.fallback
}

func (c *Catalog) fromAcceptLanguage(header string) (language.Tag, bool) {
	if header == "" || len(header) > 512 {
		return language.Und, false
	}
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(tags) == 0 {
		return language.Und, false
	}
	for _, tag := range tags { // in the client's order of preference
		if t, ok := c.supported(tag.String()); ok {
			return t, true
		}
	}
	return language.Und, false
}

// Has reports whether id has a message (in the default language at least).
func (c *Catalog) Has(id string) bool {
	if _, ok := c.plain[c.fallback][id]; ok {
		return true
	}
	_, err := c.localizers[c.fallback].Localize(&goi18n.LocalizeConfig{MessageID: id})
	return err == nil
}

// T is the message id in tag's language, filled with data. A missing message shows its id, so
// it is noticed, never a blank toast.
func (c *Catalog) T(tag language.Tag, id string, data map[string]any) string {
	if s, ok := c.plain[tag][id]; ok {
		return s
	}
	l, ok := c.localizers[tag]
	if !ok {
		l = c.localizers[c.fallback]
	}
	s, err := l.Localize(&goi18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if err != nil {
		return id
	}
	return s
}

// Translator is a catalog fixed to one request's language.
type Translator struct {
	cat *Catalog
	tag language.Tag
}

// In fixes the catalog to tag.
func (c *Catalog) In(tag language.Tag) Translator { return Translator{cat: c, tag: tag} }

// T is the message id in the translator's language.
func (t Translator) T(id string) string { return t.Tf(id, nil) }

// Tf is the message id filled with data.
func (t Translator) Tf(id string, data map[string]any) string {
	if t.cat == nil {
		return id
	}
	return t.cat.T(t.tag, id, data)
}

// Lang is the BCP 47 name of the language, e.g. "zh-CN".
func (t Translator) Lang() string { return t.tag.String() }

// Has reports whether the catalog has id.
func (t Translator) Has(id string) bool { return t.cat != nil && t.cat.Has(id) }

// ContextKey is where web's middleware keeps a request's Translator in the Gin context.
const ContextKey = "i18n.translator"

// FromContext is the request's Translator; without one, messages show their ids.
func FromContext(c interface{ Get(any) (any, bool) }) Translator {
	if v, ok := c.Get(ContextKey); ok {
		if t, ok := v.(Translator); ok {
			return t
		}
	}
	return Translator{}
}
