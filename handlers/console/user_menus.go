package console

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"wxbind/account"
	"wxbind/templates"
)

// maxBulkAccounts bounds one bulk apply.
const maxBulkAccounts = 500

// UserMenus shows a checkbox tree of every menu, the account's own checked.
func (h *Handler) UserMenus(c *gin.Context) {
	id, ok := h.pathID(c, "console.not_found.account")
	if !ok {
		return
	}
	h.renderUserMenus(c, http.StatusOK, []uint64{id}, "")
}

// SetUserMenus replaces the account's menu set with the checked menu_id values, in one
// transaction.
func (h *Handler) SetUserMenus(c *gin.Context) {
	id, ok := h.pathID(c, "console.not_found.account")
	if !ok {
		return
	}
	if err := h.accounts.SetExtraMenus(c.Request.Context(), actor(c), id, ids(c.PostFormArray("menu_id"))); err != nil {
		h.refuseMenus(c, []uint64{id}, err)
		return
	}
	h.redirect(c, templates.UserURL(id), "console.flash.menus_saved", nil)
}

// BulkMenus shows the checkbox tree for the users selected in the list (user_id values).
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

// ApplyBulkMenus gives every selected user (user_id) exactly the checked menus (menu_id), all in
// one transaction.
func (h *Handler) ApplyBulkMenus(c *gin.Context) {
	accountIDs := ids(c.PostFormArray("user_id"))
	if err := h.accounts.ApplyMenus(c.Request.Context(), actor(c), accountIDs, ids(c.PostFormArray("menu_id"))); err != nil {
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
	accts, err := h.accounts.Accounts(ctx, accountIDs)
	if errors.Is(err, account.ErrAccountNotFound) {
		h.notFound(c, "console.not_found.account")
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	all, err := h.accounts.Menus(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	checked := map[uint64]bool{}
	v := templates.UserMenusView{Error: errMsg}
	if len(accts) == 1 {
		// One account: its current set is checked. Several: start empty, since the set replaces theirs.
		mine, err := h.accounts.AccountMenus(ctx, accts[0].ID)
		if err != nil {
			h.fail(c, err)
			return
		}
		for _, id := range mine.ExtraIDs {
			checked[id] = true
		}
		v.Action = templates.UserURL(accts[0].ID) + "/menus"
	} else {
		v.Action = "/admin/users/menus"
		for _, a := range accts {
			v.AccountIDs = append(v.AccountIDs, a.ID)
		}
	}
	for _, a := range accts {
		v.Usernames = append(v.Usernames, a.Username)
	}
	if len(accts) == 1 && c.FullPath() == "/admin/users/menus" {
		// A bulk apply that selected one user still posts as a bulk apply.
		v.Action, v.AccountIDs = "/admin/users/menus", []uint64{accts[0].ID}
	}
	v.Tree = menuItemsOf(all, checked)
	h.render(c, status, templates.UserMenusPage(h.page(c, "console.user_menus.title", "users"), v))
}
