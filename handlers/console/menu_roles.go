package console

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"wxbind/account"
	"wxbind/templates"
	"wxbind/web/requestinfo"
)

// MenuRoles lists the menu roles with their member counts.
func (h *Handler) MenuRoles(c *gin.Context) {
	roles, err := h.accounts.MenuRoles(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	var v templates.MenuRolesView
	for _, r := range roles {
		v.Rows = append(v.Rows, templates.MenuRoleRow{ID: r.ID, Name: r.Name, Description: r.Description, IsDefault: r.IsDefault, Members: r.Members})
	}
	h.render(c, http.StatusOK, templates.MenuRolesPage(h.page(c, "console.menu_roles.title", "menu-roles"), v))
}

// NewMenuRole shows an empty menu role form.
func (h *Handler) NewMenuRole(c *gin.Context) {
	h.renderMenuRole(c, http.StatusOK, templates.MenuRoleForm{}, nil)
}

// MenuRole shows a menu role's form with its menus ticked.
func (h *Handler) MenuRole(c *gin.Context) {
	id, ok := h.pathID(c, "console.not_found.menu_role")
	if !ok {
		return
	}
	r, err := h.accounts.MenuRole(c.Request.Context(), id)
	if errors.Is(err, account.ErrMenuRoleNotFound) {
		h.notFound(c, "console.not_found.menu_role")
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	form := templates.MenuRoleForm{ID: r.ID, Name: r.Name, Description: r.Description, IsDefault: r.IsDefault}
	h.renderMenuRole(c, http.StatusOK, form, r.MenuIDs)
}

// CreateMenuRole adds a menu role from the fields name, description, is_default, menu_id.
func (h *Handler) CreateMenuRole(c *gin.Context) {
	in := menuRoleInput(c)
	r, err := h.accounts.CreateMenuRole(c.Request.Context(), requestinfo.Actor(c), in)
	if err != nil {
		h.refuseMenuRole(c, templates.MenuRoleForm{Name: in.Name, Description: in.Description, IsDefault: in.IsDefault}, in.MenuIDs, err)
		return
	}
	h.redirect(c, "/admin/menu-roles", "console.flash.menu_role_created", map[string]any{"Name": r.Name})
}

// UpdateMenuRole changes a menu role; its members' menus change with it.
func (h *Handler) UpdateMenuRole(c *gin.Context) {
	id, ok := h.pathID(c, "console.not_found.menu_role")
	if !ok {
		return
	}
	in := menuRoleInput(c)
	if err := h.accounts.UpdateMenuRole(c.Request.Context(), requestinfo.Actor(c), id, in); err != nil {
		h.refuseMenuRole(c, templates.MenuRoleForm{ID: id, Name: in.Name, Description: in.Description, IsDefault: in.IsDefault}, in.MenuIDs, err)
		return
	}
	h.redirect(c, "/admin/menu-roles", "console.flash.menu_role_saved", map[string]any{"Name": in.Name})
}

// DeleteMenuRole removes a menu role; its members lose its menus.
func (h *Handler) DeleteMenuRole(c *gin.Context) {
	id, ok := h.pathID(c, "console.not_found.menu_role")
	if !ok {
		return
	}
	err := h.accounts.DeleteMenuRole(c.Request.Context(), requestinfo.Actor(c), id)
	h.redirectAfter(c, "/admin/menu-roles", err, "console.flash.menu_role_deleted", nil)
}

func menuRoleInput(c *gin.Context) account.MenuRoleInput {
	return account.MenuRoleInput{Name: c.PostForm("name"), Description: c.PostForm("description"),
		IsDefault: c.PostForm("is_default") != "", MenuIDs: ids(c.PostFormArray("menu_id"))}
}

func (h *Handler) refuseMenuRole(c *gin.Context, form templates.MenuRoleForm, menuIDs []uint64, err error) {
	if errors.Is(err, account.ErrMenuRoleNotFound) {
		h.notFound(c, "console.not_found.menu_role")
		return
	}
	if !refused(err) {
		h.fail(c, err)
		return
	}
	form.Error, form.Errors = h.fieldErrors(c, err, "name", "description", "menu_id")
	if errors.Is(err, account.ErrMenuRoleNameTaken) {
		form.Error, form.Errors = "", map[string]string{"name": h.message(c, err)}
	}
	h.renderMenuRole(c, http.StatusUnprocessableEntity, form, menuIDs)
}

func (h *Handler) renderMenuRole(c *gin.Context, status int, form templates.MenuRoleForm, menuIDs []uint64) {
	ctx := c.Request.Context()
	all, err := h.accounts.Menus(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	if form.ID != 0 {
		roles, err := h.accounts.MenuRoles(ctx)
		if err != nil {
			h.fail(c, err)
			return
		}
		for _, r := range roles {
			if r.ID == form.ID {
				form.Members = r.Members
			}
		}
	}
	form.Tree = menuItemsOf(all, idSet(menuIDs))
	title := "console.menu_roles.title"
	h.render(c, status, templates.MenuRoleFormPage(h.page(c, title, "menu-roles"), form))
}

// fieldErrors splits a refusal into a message for one of fields, shown at it, or one for the
// top of the form.
func (h *Handler) fieldErrors(c *gin.Context, err error, fields ...string) (string, map[string]string) {
	var in *account.InputError
	if errors.As(err, &in) {
		for _, f := range fields {
			if in.Field == f {
				return "", map[string]string{f: h.message(c, err)}
			}
		}
	}
	return h.message(c, err), nil
}

func idSet(ids []uint64) map[uint64]bool {
	m := make(map[uint64]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// roleChoices are the menu roles to tick, those in checked ticked.
func (h *Handler) roleChoices(c *gin.Context, checked map[uint64]bool) ([]templates.RoleChoice, error) {
	roles, err := h.accounts.MenuRoles(c.Request.Context())
	out := make([]templates.RoleChoice, len(roles))
	for i, r := range roles {
		out[i] = templates.RoleChoice{ID: r.ID, Name: r.Name, IsDefault: r.IsDefault, Checked: checked[r.ID]}
	}
	return out, err
}
