package web

import "github.com/gin-gonic/gin"

// consoleCSP allows no inline or foreign script. Inline style attributes stay allowed: the
// pages and htmx use a few, and styles cannot run code. Avatars come from WeChat's image hosts.
const consoleCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: https: http:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// consoleHeaders sets the console's security headers. Its pages show personal data, so no
// cache keeps them.
func consoleHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("Content-Security-Policy", consoleCSP)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		c.Next()
	}
}
