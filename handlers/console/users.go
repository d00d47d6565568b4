package console

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"wxbind/account"
	"wxbind/templates"
	"wxbind/web/requestinfo"
)

// Users lists accounts with their binding, a keyset page at a time, filtered and sorted as
// the URL says.
func (h *Handler) Users(c *gin.Context) {
	ctx := c.Request.Context()
	f := account.ParseAccountFilter(c.Request.URL.Query(), h.zone)
	p := account.ParseListPage(c.Request.URL.Query())
	list, err := h.accounts.ListAccounts(ctx, f, p)
	if err != nil {
		h.fail(c, err)
		return
	}
	total, err := h.accounts.CountAccounts(ctx, f)
	if err != nil {
		h.fail(c, err)
		return
	}
	v := templates.UsersView{Filter: templates.UserFilter{Q: f.Query, Role: f.Role, Status: f.Status, Bind: f.Bind,
		CreatedFrom: f.Created.From, CreatedTo: f.Created.To, LoginFrom: f.Login.From, LoginTo: f.Login.To,
		Sort: f.Sort, Order: f.Order, Size: p.Size, MenuRole: f.MenuRole},
		Nav: h.listNav(c, f.Values(), p, list.Cursors, total), ExportURL: "/admin/users/export.csv", BulkURL: "/admin/users/bulk"}
	if v.MenuRoles, err = h.menuRoleFilter(c, f.MenuRole); err != nil {
		h.fail(c, err)
		return
	}
	if q := f.Values().Encode(); q != "" {
		v.ExportURL += "?" + q
		v.BulkURL += "?" + q
	}
	loc := h.locale(c)
	for _, r := range list.Rows {
		row := templates.UserRow{ID: r.ID, Username: r.Username, Name: h.accountName(c, r.Name), Role: r.Role, Status: r.Status, Bound: r.Bound}
		if row.Bound {
			row.Nickname, row.AvatarURL, row.OpenID, row.ShortOpenID = r.Nickname, r.AvatarURL, r.OpenID, MaskOpenID(r.OpenID)
			row.BoundAt, row.LastLogin = loc.Time(r.BoundAt), loc.Time(r.LastLoginAt)
		}
		v.Rows = append(v.Rows, row)
	}
	h.render(c, http.StatusOK, templates.UsersPage(h.page(c, "console.users.title", "users"), v))
}

// menuRoleFilter is the users list's choice of menu roles, chosen ticked; a chosen role that
// was deleted since (a bookmark) is still offered, by its id, so the form says what the list
// shows: nobody.
func (h *Handler) menuRoleFilter(c *gin.Context, chosen uint64) ([]templates.RoleChoice, error) {
	roles, err := h.roleChoices(c, map[uint64]bool{chosen: true})
	if err != nil || chosen == 0 {
		return roles, err
	}
	for _, r := range roles {
		if r.ID == chosen {
			return roles, nil
		}
	}
	name := h.tr(c).Tf("console.users.menu_role_gone", map[string]any{"ID": chosen})
	return append(roles, templates.RoleChoice{ID: chosen, Name: name, Checked: true}), nil
}

// User shows one account: binding, live tokens, menus, recent audit entries.
func (h *Handler) User(c *gin.Context) {
	id, ok := h.pathID(c, "console.not_found.account")
	if !ok {
		return
	}
	h.renderUser(c, http.StatusOK, id, "")
}

// renderUser shows the account's page, with errMsg (a refused change) at its top.
func (h *Handler) renderUser(c *gin.Context, status int, id uint64, errMsg string) {
	v, err := h.userView(c, id)
	if errors.Is(err, account.ErrAccountNotFound) {
		h.notFound(c, "console.not_found.account")
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	v.Error = errMsg
	p := h.page(c, "", "users")
	p.Title = v.Username
	h.render(c, status, templates.UserPage(p, v))
}

func (h *Handler) userView(c *gin.Context, id uint64) (templates.UserView, error) {
	viewer, _ := currentUser(c)
	p := account.ParseListPage(c.Request.URL.Query())
	d, err := h.accounts.AccountDetail(c.Request.Context(), id, account.Account{ID: viewer.ID, Role: viewer.Role}, p)
	if err != nil {
		return templates.UserView{}, err
	}
	loc := h.locale(c)
	v := templates.UserView{ID: d.ID, Username: d.Username, Name: d.Name, ShownName: h.accountName(c, d.Name), Role: d.Role, Status: d.Status, CreatedAt: loc.Time(&d.CreatedAt),
		Phone: d.Phone, ActiveTokens: d.ActiveTokens, Audit: h.auditRows(c, d.History.Rows),
		AuditNav: h.listNav(c, nil, p, d.History.Cursors, account.Total{N: int64(len(d.History.Rows)), Exact: true})}
	v.AuditNav.Total = "" // a page of the history, not a count of it
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
		v.Nickname, v.AvatarURL, v.OpenID, v.UnionID = ident.Nickname, ident.AvatarURL, ident.OpenID, ident.UnionID
		v.BoundAt, v.LastLogin = loc.Time(ident.BoundAt), loc.Time(ident.LastLoginAt)
	}
	for _, i := range d.Past {
		v.Past = append(v.Past, templates.IdentityItem{ID: i.ID, Nickname: i.Nickname, OpenID: i.OpenID, ShortOpenID: MaskOpenID(i.OpenID),
			UnionID: i.UnionID, BoundAt: loc.Time(i.BoundAt), UnboundAt: loc.Time(i.UnboundAt)})
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
		MenuRoleIDs: ids(c.PostFormArray("role_id")), MenuRolesChosen: c.PostForm("menu_roles_chosen") != ""}
	a, err := h.accounts.CreateAccountAs(c.Request.Context(), requestinfo.Actor(c), n)
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
	err := h.accounts.UpdateAccount(c.Request.Context(), requestinfo.Actor(c), id, ch)
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
	if err := h.accounts.ResetPassword(c.Request.Context(), requestinfo.Actor(c), id, c.PostForm("password")); err != nil {
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
	err := h.accounts.UnbindAccount(c.Request.Context(), requestinfo.Actor(c), id)
	h.redirectAfter(c, templates.UserURL(id), err, "console.flash.unbound", nil)
}

// refuseOnUserPage shows the account page again with the reason, or fails.
func (h *Handler) refuseOnUserPage(c *gin.Context, id uint64, err error) {
	if h.answeredFailure(c, err, account.ErrAccountNotFound, "console.not_found.account") {
		return
	}
	h.renderUser(c, http.StatusUnprocessableEntity, id, h.message(c, err))
}

// WechatUsers lists every WeChat identity seen, bound or not; one no longer bound links the
// accounts it was bound to.
func (h *Handler) WechatUsers(c *gin.Context) {
	ctx := c.Request.Context()
	f := account.ParseIdentityFilter(c.Request.URL.Query(), h.zone)
	p := account.ParseListPage(c.Request.URL.Query())
	list, err := h.accounts.ListIdentities(ctx, f, p)
	if err != nil {
		h.fail(c, err)
		return
	}
	total, err := h.accounts.CountIdentities(ctx, f)
	if err != nil {
		h.fail(c, err)
		return
	}
	var unbound []uint64
	for _, r := range list.Rows {
		if r.AccountID == nil && r.UnboundAt != nil {
			unbound = append(unbound, r.ID)
		}
	}
	past, err := h.accounts.PastAccounts(ctx, unbound)
	if err != nil {
		h.fail(c, err)
		return
	}
	v := templates.WechatUsersView{Filter: templates.IdentityFilter{Q: f.Query, Bind: f.Bind, SeenFrom: f.Seen.From, SeenTo: f.Seen.To, Size: p.Size},
		Nav: h.listNav(c, f.Values(), p, list.Cursors, total)}
	loc := h.locale(c)
	for _, r := range list.Rows {
		row := templates.IdentityRowView{
			ID: r.ID, AvatarURL: r.AvatarURL, Nickname: r.Nickname, OpenID: r.OpenID, ShortOpenID: MaskOpenID(r.OpenID),
			Bound: r.AccountID != nil, FirstSeen: loc.Time(&r.FirstSeen), LastSeen: loc.Time(&r.LastSeen),
			BoundAt: loc.Time(r.BoundAt), UnboundAt: loc.Time(r.UnboundAt),
		}
		if row.Bound {
			row.AccountID, row.Username = *r.AccountID, r.Username
		}
		for _, a := range past[r.ID] {
			row.PastAccounts = append(row.PastAccounts, templates.AccountLink{ID: a.ID, Username: a.Username})
		}
		v.Rows = append(v.Rows, row)
	}
	h.render(c, http.StatusOK, templates.WechatUsersPage(h.page(c, "console.wechat.title", "wechat-users"), v))
}

// accountName is an account's name as the reader reads it: the name EnsureAdmin gives the first
// admin is the catalog's, in the reader's language; any other is as typed.
func (h *Handler) accountName(c *gin.Context, name string) string {
	if name == account.BuiltInAdminName {
		return h.tr(c).T("console.account.builtin_admin")
	}
	return name
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
