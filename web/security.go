package web

import (
	"strings"

	"github.com/gin-gonic/gin"
)

// consoleCSP allows no inline or foreign script. Inline style attributes stay allowed: the
// pages and htmx use a few, and styles cannot run code. Images come from the console itself
// (data: for the stylesheet's icons) and the avatar origins alone — PUBLIC_URL and AVATAR_HOSTS,
// the only places an avatar URL may point — so no user can make a staff member's browser fetch
// from a host of the user's choosing.
func consoleCSP(avatarOrigins []string) string {
	img := strings.Join(append([]string{"'self'", "data:"}, avatarOrigins...), " ")
	return "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src " + img +
		"; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

// consoleHeaders sets the console's security headers. Its pages show personal data, so no
// cache keeps them.
func consoleHeaders(avatarOrigins []string) gin.HandlerFunc {
	csp := consoleCSP(avatarOrigins)
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		c.Next()
	}
}
