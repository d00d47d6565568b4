package devtools

import (
	"bytes"
	"html/template"
	"io/fs"
	"net/http"
	"path"

	"github.com/gin-gonic/gin"

	"wxbind/i18n"
	"wxbind/static/simulator"
)

// simulatorAssets are the files the simulator page loads, with their types.
var simulatorAssets = map[string]string{
	"sim.js":  "text/javascript; charset=utf-8",
	"sim.css": "text/css; charset=utf-8",
}

// scriptMessages are the catalog messages sim.js shows, handed to it in the page (its own
// keys without the "simulator." prefix). {name} marks a value sim.js fills in.
var scriptMessages = []string{
	"nav.launch", "nav.login", "nav.index",
	"js.need_name", "js.need_login", "js.bound", "js.bind_failed", "js.login_failed", "js.network",
	"js.not_json", "js.expired", "js.saved", "js.phone", "js.session_valid", "js.session_expired",
	"js.logged_out", "js.unbound", "js.need_scene", "js.scan_question", "js.scan_confirmed", "js.scan_cancelled",
}

// simulatorPage is index.html: its words come from the request's language.
var simulatorPage = template.Must(template.ParseFS(simulator.Files, "index.html"))

// Simulator serves the browser simulator. Mount it only in sandbox mode: it logs anyone in
// as any made-up WeChat user, which must never be offered next to real WeChat logins.
type Simulator struct {
	files   fs.FS
	catalog *i18n.Catalog
}

// NewSimulator serves the embedded static/simulator files, in the browser's language
// (Accept-Language) among the catalog's, else the catalog's default.
func NewSimulator(cat *i18n.Catalog) *Simulator {
	return &Simulator{files: simulator.Files, catalog: cat}
}

// Page answers GET /dev/simulator.
func (s *Simulator) Page(c *gin.Context) {
	tr := browserLanguage(s.catalog, c.Request)
	script := make(map[string]string, len(scriptMessages))
	for _, id := range scriptMessages {
		script[id] = tr.T("simulator." + id)
	}
	writePage(c, simulatorPage, struct {
		i18n.Translator
		Script map[string]string // JSON for sim.js
	}{tr, script}, "simulator page failed")
}

// writePage answers with page filled from data, in the language the request asked for; when it
// cannot be filled, 500 with failed.
func writePage(c *gin.Context, page *template.Template, data any, failed string) {
	var buf bytes.Buffer
	if err := page.Execute(&buf, data); err != nil {
		_ = c.Error(err)
		c.String(http.StatusInternalServerError, failed)
		return
	}
	c.Header("Vary", "Accept-Language")
	pageHeaders(c)
	c.Data(http.StatusOK, "text/html; charset=utf-8", buf.Bytes())
}

// Asset answers GET /dev/simulator/:asset for the page's script and styles.
func (s *Simulator) Asset(c *gin.Context) {
	name := path.Base(c.Param("asset"))
	typ, ok := simulatorAssets[name]
	if !ok {
		c.String(http.StatusNotFound, "404 page not found")
		return
	}
	body, err := fs.ReadFile(s.files, name)
	if err != nil {
		_ = c.Error(err)
		c.String(http.StatusInternalServerError, "simulator file missing")
		return
	}
	pageHeaders(c)
	c.Data(http.StatusOK, typ, body)
}

// pageHeaders are the simulator's and the home page's: they only talk to this server, so
// inline script and style are not needed.
func pageHeaders(c *gin.Context) {
	c.Header("Content-Security-Policy", "default-src 'self'; img-src 'self' data: http: https:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Referrer-Policy", "no-referrer")
	c.Header("Cache-Control", "no-cache")
}
