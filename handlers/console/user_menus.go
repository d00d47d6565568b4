package console

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"wxbind/account"
	"wxbind/templates"
	"wxbind/web/requestinfo"
)

// maxBulkAccounts bounds one bulk apply to the users ticked in the list.
const maxBulkAccounts = 500

// UserMenus shows the account's menu roles, extra menus and hidden menus, to change.
func (h *Handler) UserMenus(c *gin.Context) {
	id, ok := h.pathID(c, "console.not_found.account")
	if !ok {
		return
	}
	h.renderAccountMenus(c, http.StatusOK, id, nil, "")
}

// SetUserMenus replaces the account's menu roles (role_id), extra menus (menu_id) and hidden
// menus (hidden_id), in one transaction.
func (h *Handler) SetUserMenus(c *gin.Context) {
	id, ok := h.pathID(c, "console.not_found.account")
	if !ok {
		return
	}
	roles, extras, hidden := ids(c.PostFormArray("role_id")), ids(c.PostFormArray("menu_id")), ids(c.PostFormArray("hidden_id"))
	if err := h.accounts.SetAccountMenus(c.Request.Context(), requestinfo.Actor(c), id, roles, extras, hidden); err != nil {
		if errors.Is(err, account.ErrAccountNotFound) {
			h.notFound(c, "console.not_found.account")
			return
		}
		if !refused(err) {
			h.fail(c, err)
			return
		}
		h.renderAccountMenus(c, http.StatusUnprocessableEntity, id, &account.AccountMenus{RoleIDs: roles, ExtraIDs: extras, HiddenIDs: hidden}, h.message(c, err))
		return
	}
	h.redirect(c, templates.UserURL(id), "console.flash.menus_saved", nil)
}

// renderAccountMenus shows the form with the account's lists, or with typed (a refused post).
func (h *Handler) renderAccountMenus(c *gin.Context, status int, id uint64, typed *account.AccountMenus, errMsg string) {
	ctx := c.Request.Context()
	accts, ok := h.accountsFound(c, []uint64{id})
	if !ok {
		return
	}
	cur := typed
	if cur == nil {
		got, err := h.accounts.AccountMenus(ctx, id)
		if err != nil {
			h.fail(c, err)
			return
		}
		cur = &got
	}
	all, roles, err := h.menusAndRoles(c, idSet(cur.RoleIDs))
	if err != nil {
		h.fail(c, err)
		return
	}
	v := templates.AccountMenusView{AccountID: id, Username: accts[0].Username, Roles: roles,
		Extras: menuItemsOf(all, idSet(cur.ExtraIDs)), Hidden: menuItemsOf(all, idSet(cur.HiddenIDs)), Error: errMsg}
	h.render(c, status, templates.AccountMenusPage(h.page(c, "console.user_menus.title", "users"), v))
}

// BulkMenus shows the checkbox tree for the users ticked in the list (user_id values).
func (h *Handler) BulkMenus(c *gin.Context) {
	accountIDs := ids(c.QueryArray("user_id"))
	if len(accountIDs) == 0 {
		h.redirectError(c, "/admin/users", &account.InputError{Field: "user_id", Msg: "select at least one user in the list first", Key: "console.input.select_users"})
		return
	}
	if len(accountIDs) > maxBulkAccounts {
		accountIDs = accountIDs[:maxBulkAccounts]
	}
	h.renderUserMenus(c, http.StatusOK, accountIDs, "")
}

// ApplyBulkMenus gives every ticked user (user_id) exactly the checked menus (menu_id) as
// their extra menus, all in one transaction.
func (h *Handler) ApplyBulkMenus(c *gin.Context) {
	accountIDs := ids(c.PostFormArray("user_id"))
	if err := h.accounts.ApplyMenus(c.Request.Context(), requestinfo.Actor(c), accountIDs, ids(c.PostFormArray("menu_id"))); err != nil {
		if len(accountIDs) == 0 {
			h.redirectError(c, "/admin/users", err)
			return
		}
		h.refuseMenus(c, accountIDs, err)
		return
	}
	h.redirect(c, "/admin/users", "console.flash.menus_applied", map[string]any{"Count": h.locale(c).Number(int64(len(accountIDs)))})
}

func (h *Handler) refuseMenus(c *gin.Context, accountIDs []uint64, err error) {
	if h.answeredFailure(c, err, account.ErrAccountNotFound, "console.not_found.selected_account") {
		return
	}
	h.renderUserMenus(c, http.StatusUnprocessableEntity, accountIDs, h.message(c, err))
}

func (h *Handler) renderUserMenus(c *gin.Context, status int, accountIDs []uint64, errMsg string) {
	ctx := c.Request.Context()
	accts, ok := h.accountsFound(c, accountIDs)
	if !ok {
		return
	}
	all, err := h.accounts.Menus(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	v := templates.UserMenusView{Error: errMsg, Action: "/admin/users/menus"}
	for _, a := range accts {
		v.AccountIDs = append(v.AccountIDs, a.ID)
		v.Usernames = append(v.Usernames, a.Username)
	}
	v.Tree = menuItemsOf(all, nil) // the set replaces theirs: start empty
	h.render(c, status, templates.UserMenusPage(h.page(c, "console.user_menus.title", "users"), v))
}

// bulkFilter is the users list's filter, read by the list's own parser from the query (GET)
// or the form (POST, read by ReadForm): the bulk page counts, and its POST changes, exactly the
// accounts the list shows for the same URL.
func (h *Handler) bulkFilter(c *gin.Context) account.AccountFilter {
	v := c.Request.URL.Query()
	if c.Request.Method == http.MethodPost {
		v = c.Request.PostForm
	}
	return account.ParseAccountFilter(v, h.zone)
}

// BulkMenusOverFilter shows how many users the list's filter (the whole of it: q, role, status,
// bind and the created and last-login ranges) matches and the change to make to all of them.
func (h *Handler) BulkMenusOverFilter(c *gin.Context) {
	h.renderBulk(c, http.StatusOK, h.bulkFilter(c), account.BulkMenuChange{Action: account.BulkAddRole}, "")
}

// ApplyBulkMenusOverFilter applies the change (action, role_id, menu_id) to every user the
// filter matches, in one transaction audited once.
func (h *Handler) ApplyBulkMenusOverFilter(c *gin.Context) {
	f := h.bulkFilter(c)
	ch := account.BulkMenuChange{Action: c.PostForm("action"), RoleIDs: ids(c.PostFormArray("role_id")), MenuIDs: ids(c.PostFormArray("menu_id"))}
	n, err := h.accounts.BulkMenus(c.Request.Context(), requestinfo.Actor(c), f, ch)
	if err != nil {
		if !refused(err) {
			h.fail(c, err)
			return
		}
		h.renderBulk(c, http.StatusUnprocessableEntity, f, ch, h.message(c, err))
		return
	}
	h.redirect(c, templates.BulkMenusView{Filter: f.Values()}.ListURL(), "console.flash.bulk_applied", map[string]any{
		"Count": h.locale(c).Number(int64(n)), "Action": h.tr(c).T("console.bulk.action." + ch.Action)})
}

func (h *Handler) renderBulk(c *gin.Context, status int, f account.AccountFilter, ch account.BulkMenuChange, errMsg string) {
	ctx := c.Request.Context()
	n, err := h.accounts.CountMatching(ctx, f)
	if err != nil {
		h.fail(c, err)
		return
	}
	all, roles, err := h.menusAndRoles(c, idSet(ch.RoleIDs))
	if err != nil {
		h.fail(c, err)
		return
	}
	v := templates.BulkMenusView{Filter: f.Values(), Count: n, TooMany: n > account.MaxBulkAccounts, Max: account.MaxBulkAccounts,
		Action: ch.Action, Actions: account.BulkMenuActions, Roles: roles, Tree: menuItemsOf(all, idSet(ch.MenuIDs)), Error: errMsg}
	h.render(c, status, templates.BulkMenusPage(h.page(c, "console.bulk.title", "users"), v))
}

// accountsFound loads the accounts with accountIDs for a page, answering 404 (one is missing) or the
// failure page itself; it reports whether it loaded them.
func (h *Handler) accountsFound(c *gin.Context, accountIDs []uint64) ([]account.Account, bool) {
	accts, err := h.accounts.Accounts(c.Request.Context(), accountIDs)
	if errors.Is(err, account.ErrAccountNotFound) {
		h.notFound(c, "console.not_found.account")
		return nil, false
	}
	if err != nil {
		h.fail(c, err)
		return nil, false
	}
	return accts, true
}

// menusAndRoles is what a page that hands out menus offers: every menu, and the menu roles to
// tick with those in checked ticked.
func (h *Handler) menusAndRoles(c *gin.Context, checked map[uint64]bool) ([]account.MenuBranch, []templates.RoleChoice, error) {
	all, err := h.accounts.Menus(c.Request.Context())
	if err != nil {
		return nil, nil, err
	}
	roles, err := h.roleChoices(c, checked)
	return all, roles, err
}
