package console

import (
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"wxbind/account"
	"wxbind/templates"
)

// maxQueryLen bounds a search term.
const maxQueryLen = 64

// Users lists accounts with their binding, newest first, a keyset page at a time.
func (h *Handler) Users(c *gin.Context) {
	f := templates.UserFilter{Q: query(c, "q"), Role: c.Query("role"), Bind: c.Query("bind")}
	if !account.ValidRole(f.Role) {
		f.Role = ""
	}
	if f.Bind != account.BindBound && f.Bind != account.BindUnbound {
		f.Bind = account.BindAny
	}
	rows, err := h.accounts.ListAccounts(c.Request.Context(), account.AccountFilter{
		Query: f.Q, Role: f.Role, Bind: f.Bind, BeforeID: cursor(c), Limit: pageSize,
	})
	if err != nil {
		h.fail(c, err)
		return
	}
	v := templates.UsersView{Filter: f, FirstURL: firstURL(c)}
	loc := h.locale(c)
	for _, r := range rows {
		row := templates.UserRow{ID: r.ID, Username: r.Username, Name: r.Name, Role: r.Role, Status: r.Status, Bound: r.Bound}
		if row.Bound {
			row.Nickname, row.AvatarURL, row.MaskedOpenID = r.Nickname, r.AvatarURL, MaskOpenID(r.OpenID)
			row.BoundAt, row.LastLogin = loc.Time(r.BoundAt), loc.Time(r.LastLoginAt)
		}
		v.Rows = append(v.Rows, row)
	}
	if len(rows) > 0 {
		v.NextURL = nextURL(c, len(rows), rows[len(rows)-1].ID)
	}
	h.render(c, http.StatusOK, templates.UsersPage(h.page(c, "console.users.title", "users"), v))
}

// User shows one account: binding, live tokens, menus, recent audit entries.
func (h *Handler) User(c *gin.Context) {
	id, ok := h.pathID(c, "console.not_found.account")
	if !ok {
		return
	}
	v, err := h.userView(c, id)
	if errors.Is(err, account.ErrAccountNotFound) {
		h.notFound(c, "console.not_found.account")
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	p := h.page(c, "", "users")
	p.Title = v.Username
	h.render(c, http.StatusOK, templates.UserPage(p, v))
}

func (h *Handler) userView(c *gin.Context, id uint64) (templates.UserView, error) {
	viewer, _ := currentUser(c)
	d, err := h.accounts.AccountDetail(c.Request.Context(), id, account.Account{ID: viewer.ID, Role: viewer.Role})
	if err != nil {
		return templates.UserView{}, err
	}
	loc := h.locale(c)
	v := templates.UserView{ID: d.ID, Username: d.Username, Name: d.Name, Role: d.Role, Status: d.Status, CreatedAt: loc.Time(&d.CreatedAt),
		Phone: d.Phone, ActiveTokens: d.ActiveTokens, Audit: h.auditRows(c, d.Audit)}
	if l := d.LastLogin; l != nil {
		v.LastConsoleMethod, v.LastConsoleLogin = l.Method, loc.Time(&l.Entry.CreatedAt)
	}
	menus, err := h.accounts.AccountMenus(c.Request.Context(), id)
	if err != nil {
		return templates.UserView{}, err
	}
	v.Menus = effectiveItems(menus.Tree)
	if ident := d.Identity; ident != nil {
		v.Bound, v.IdentityID = true, ident.ID
		v.Nickname, v.AvatarURL, v.MaskedOpenID = ident.Nickname, ident.AvatarURL, MaskOpenID(ident.OpenID)
		v.BoundAt, v.LastLogin = loc.Time(ident.BoundAt), loc.Time(ident.LastLoginAt)
	}
	return v, nil
}

// NewUser shows the create-account form.
func (h *Handler) NewUser(c *gin.Context) {
	def, err := h.accounts.DefaultMenuRoleID(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	roles, err := h.roleChoices(c, map[uint64]bool{def: true})
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, templates.NewUserPage(h.page(c, "console.new_user.title", "users"), templates.NewUserView{Role: account.RoleUser, MenuRoles: roles}))
}

// CreateUser creates an account; a refused one shows the form again with what was typed.
func (h *Handler) CreateUser(c *gin.Context) {
	n := account.NewAccount{Username: c.PostForm("username"), Name: c.PostForm("name"), Role: c.PostForm("role"), Password: c.PostForm("password"),
		MenuRoleIDs: ids(c.PostFormArray("role_id"))}
	a, err := h.accounts.CreateAccountAs(c.Request.Context(), actor(c), n)
	if err != nil {
		if !refused(err) {
			h.fail(c, err)
			return
		}
		v := templates.NewUserView{Username: n.Username, Name: n.Name, Role: n.Role, Error: h.message(c, err)}
		if v.MenuRoles, err = h.roleChoices(c, idSet(n.MenuRoleIDs)); err != nil {
			h.fail(c, err)
			return
		}
		h.render(c, http.StatusUnprocessableEntity, templates.NewUserPage(h.page(c, "console.new_user.title", "users"), v))
		return
	}
	h.redirect(c, templates.UserURL(a.ID), "console.flash.account_created", map[string]any{"Username": a.Username})
}

// UpdateUser edits name, role and status.
func (h *Handler) UpdateUser(c *gin.Context) {
	id, ok := h.pathID(c, "console.not_found.account")
	if !ok {
		return
	}
	ch := account.AccountChanges{Name: c.PostForm("name"), Role: c.PostForm("role"), Status: c.PostForm("status")}
	err := h.accounts.UpdateAccount(c.Request.Context(), actor(c), id, ch)
	if err != nil {
		h.refuseOnUserPage(c, id, err)
		return
	}
	h.redirect(c, templates.UserURL(id), "console.flash.account_saved", nil)
}

// ResetPassword sets a new password, ending the account's sessions and tokens.
func (h *Handler) ResetPassword(c *gin.Context) {
	id, ok := h.pathID(c, "console.not_found.account")
	if !ok {
		return
	}
	if err := h.accounts.ResetPassword(c.Request.Context(), actor(c), id, c.PostForm("password")); err != nil {
		h.refuseOnUserPage(c, id, err)
		return
	}
	h.redirect(c, templates.UserURL(id), "console.flash.password_changed", nil)
}

// Unbind ends the account's WeChat binding by the mobile unbind's own rule.
func (h *Handler) Unbind(c *gin.Context) {
	id, ok := h.pathID(c, "console.not_found.account")
	if !ok {
		return
	}
	if err := h.accounts.UnbindAccount(c.Request.Context(), actor(c), id); err != nil {
		if !refused(err) {
			h.fail(c, err)
			return
		}
		h.redirectError(c, templates.UserURL(id), err)
		return
	}
	h.redirect(c, templates.UserURL(id), "console.flash.unbound", nil)
}

// refuseOnUserPage shows the account page again with the reason, or fails.
func (h *Handler) refuseOnUserPage(c *gin.Context, id uint64, err error) {
	if h.answeredFailure(c, err, account.ErrAccountNotFound, "console.not_found.account") {
		return
	}
	v, verr := h.userView(c, id)
	if verr != nil {
		h.fail(c, verr)
		return
	}
	v.Error = h.message(c, err)
	p := h.page(c, "", "users")
	p.Title = v.Username
	h.render(c, http.StatusUnprocessableEntity, templates.UserPage(p, v))
}

// WechatUsers lists every WeChat identity seen, bound or not.
func (h *Handler) WechatUsers(c *gin.Context) {
	q := query(c, "q")
	rows, err := h.accounts.ListIdentities(c.Request.Context(), account.IdentityFilter{Query: q, BeforeID: cursor(c), Limit: pageSize})
	if err != nil {
		h.fail(c, err)
		return
	}
	v := templates.WechatUsersView{Q: q, FirstURL: firstURL(c)}
	loc := h.locale(c)
	for _, r := range rows {
		row := templates.IdentityRowView{
			ID: r.ID, AvatarURL: r.AvatarURL, Nickname: r.Nickname, MaskedOpenID: MaskOpenID(r.OpenID),
			Bound: r.AccountID != nil, FirstSeen: loc.Time(&r.FirstSeen), LastSeen: loc.Time(&r.LastSeen),
			BoundAt: loc.Time(r.BoundAt), UnboundAt: loc.Time(r.UnboundAt),
		}
		if row.Bound {
			row.AccountID, row.Username = *r.AccountID, r.Username
		}
		v.Rows = append(v.Rows, row)
	}
	if len(rows) > 0 {
		v.NextURL = nextURL(c, len(rows), rows[len(rows)-1].ID)
	}
	h.render(c, http.StatusOK, templates.WechatUsersPage(h.page(c, "console.wechat.title", "wechat-users"), v))
}

// MaskOpenID shows enough of an openid to tell users apart and match it with a log line, not
// the whole of it.
func MaskOpenID(openid string) string {
	if len(openid) <= 10 {
		if openid == "" {
			return ""
		}
		return openid[:min(2, len(openid))] + "…"
	}
	return openid[:6] + "…" + openid[len(openid)-4:]
}

func query(c *gin.Context, key string) string {
	q := strings.TrimSpace(c.Query(key))
	if !utf8.ValidString(q) {
		return ""
	}
	if utf8.RuneCountInString(q) > maxQueryLen {
		q = string([]rune(q)[:maxQueryLen])
	}
	return q
}
