package devtools

import (
	"html/template"
	"net/http"

	"github.com/gin-gonic/gin"

	"wxbind/i18n"
	"wxbind/static/simulator"
)

// homePage is the sandbox server's front page; it reads its words from the request's
// i18n.Translator ({{.T "id"}}, {{.Lang}}).
var homePage = template.Must(template.ParseFS(simulator.Files, "home.html"))

// Home answers GET /. A real server sends people to the console; a sandbox server shows a
// short page with links to the simulator and the console, in the browser's language.
func Home(sandbox bool, cat *i18n.Catalog) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !sandbox {
			c.Redirect(http.StatusFound, "/admin/")
			return
		}
		writePage(c, homePage, browserLanguage(cat, c.Request), "home page failed")
	}
}

// browserLanguage is the request's Accept-Language among the catalog's languages, else the
// catalog's default (zh-CN unless DEFAULT_LANG says otherwise).
func browserLanguage(cat *i18n.Catalog, r *http.Request) i18n.Translator {
	return cat.In(cat.ForConsole(r, ""))
}
