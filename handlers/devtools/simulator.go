package devtools

import (
	"io/fs"
	"net/http"
	"path"

	"github.com/gin-gonic/gin"

	"wxbind/static/simulator"
)

// simulatorAssets are the files the simulator page loads, with their types.
var simulatorAssets = map[string]string{
	"sim.js":  "text/javascript; charset=utf-8",
	"sim.css": "text/css; charset=utf-8",
}

// Simulator serves the browser simulator. Mount it only in sandbox mode: it logs anyone in
// as any made-up WeChat user, which must never be offered next to real WeChat logins.
type Simulator struct {
	files fs.FS
}

// NewSimulator serves the embedded static/simulator files.
func NewSimulator() *Simulator { return &Simulator{files: simulator.Files} }

// Page answers GET /dev/simulator.
func (s *Simulator) Page(c *gin.Context) {
	s.serve(c, "index.html", "text/html; charset=utf-8")
}

// Asset answers GET /dev/simulator/:asset for the page's script and styles.
func (s *Simulator) Asset(c *gin.Context) {
	name := path.Base(c.Param("asset"))
	typ, ok := simulatorAssets[name]
	if !ok {
		c.String(http.StatusNotFound, "404 page not found")
		return
	}
	s.serve(c, name, typ)
}

func (s *Simulator) serve(c *gin.Context, name, contentType string) {
	body, err := fs.ReadFile(s.files, name)
	if err != nil {
		_ = c.Error(err)
		c.String(http.StatusInternalServerError, "simulator file missing")
		return
	}
	pageHeaders(c)
	c.Data(http.StatusOK, contentType, body)
}

// pageHeaders are the simulator's and the home page's: they only talk to this server, so
// inline script and style are not needed.
func pageHeaders(c *gin.Context) {
	c.Header("Content-Security-Policy", "default-src 'self'; img-src 'self' data: http: https:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Referrer-Policy", "no-referrer")
	c.Header("Cache-Control", "no-cache")
}
