package console

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"wxbind/templates"
	"wxbind/web/requestinfo"
)

// PasswordPath is the page where a console user changes their own password.
const PasswordPath = "/admin/account/password"

// PasswordForm shows the own-password form; Forced says the generated password must go first.
func (h *Handler) PasswordForm(c *gin.Context) {
	u, _ := currentUser(c)
	h.render(c, http.StatusOK, templates.PasswordPage(h.page(c, "console.password.title", "password"), templates.PasswordView{Forced: u.MustChangePassword}))
}

// ChangePassword changes the logged-in user's own password. The session it was made in stays
// open under the new credential stamp and a fresh token; every other console session of the
// account ends at its next request, and its mini-program tokens at once (as a reset does).
func (h *Handler) ChangePassword(c *gin.Context) {
	u, _ := currentUser(c)
	ctx := c.Request.Context()
	acct, err := h.accounts.ChangeOwnPassword(ctx, requestinfo.Actor(c), u.ID, c.PostForm("current_password"), c.PostForm("password"))
	if err != nil {
		if !refused(err) {
			h.fail(c, err)
			return
		}
		v := templates.PasswordView{Forced: u.MustChangePassword, Error: h.message(c, err)}
		h.render(c, http.StatusUnprocessableEntity, templates.PasswordPage(h.page(c, "console.password.title", "password"), v))
		return
	}
	if err := h.sessions.RenewToken(ctx); err != nil {
		h.fail(c, err)
		return
	}
	h.sessions.Put(ctx, sessionStamp, acct.CredentialStamp())
	h.sessions.Put(ctx, sessionSeen, time.Now().UnixMilli())
	h.redirect(c, "/admin/", "console.flash.own_password_changed", nil)
}
