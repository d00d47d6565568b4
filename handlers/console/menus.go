package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"wxbind/account"
	"wxbind/templates"
)

// Menus shows the menu tree and the create form, or the edit form with ?edit=ID.
func (h *Handler) Menus(c *gin.Context) {
	form := templates.MenuForm{Visible: true, Sort: "0"}
	if id, err := strconv.ParseUint(c.Query("edit"), 10, 64); err == nil && id > 0 {
		m, err := h.accounts.Menu(c.Request.Context(), id)
		if errors.Is(err, account.ErrMenuNotFound) {
			h.notFound(c, "console.not_found.menu")
			return
		}
		if err != nil {
			h.fail(c, err)
			return
		}
		form = templates.MenuForm{ID: m.ID, Name: m.Name, Code: m.Code, Path: m.Path, Icon: m.Icon,
			Sort: strconv.Itoa(m.Sort), Visible: m.Visible}
		if m.ParentID != nil {
			form.ParentID = *m.ParentID
		}
	}
	h.renderMenus(c, http.StatusOK, form)
}

func (h *Handler) renderMenus(c *gin.Context, status int, form templates.MenuForm) {
	all, err := h.accounts.Menus(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	v := templates.MenusView{Tree: menuItemsOf(all, nil), Form: form}
	v.Parents = parentOptions(v.Tree, "", form.ID)
	h.render(c, status, templates.MenusPage(h.page(c, "console.menus.title", "menus"), v))
}

// CreateMenu adds a menu from the fields name, code, path, icon, parent_id, sort, visible.
func (h *Handler) CreateMenu(c *gin.Context) {
	in, form, err := menuInput(c)
	if err == nil {
		var m account.Menu
		if m, err = h.accounts.CreateMenu(c.Request.Context(), actor(c), in); err == nil {
			h.redirect(c, "/admin/menus", "console.flash.menu_created", map[string]any{"Name": m.Name})
			return
		}
	}
	h.refuseMenuForm(c, form, err)
}

// UpdateMenu edits a menu.
func (h *Handler) UpdateMenu(c *gin.Context) {
	id, ok := h.pathID(c, "console.not_found.menu")
	if !ok {
		return
	}
	in, form, err := menuInput(c)
	form.ID = id
	if err == nil {
		if err = h.accounts.UpdateMenu(c.Request.Context(), actor(c), id, in); err == nil {
			h.redirect(c, "/admin/menus", "console.flash.menu_saved", map[string]any{"Name": in.Name})
			return
		}
	}
	h.refuseMenuForm(c, form, err)
}

func (h *Handler) refuseMenuForm(c *gin.Context, form templates.MenuForm, err error) {
	if h.answeredFailure(c, err, account.ErrMenuNotFound, "console.not_found.menu") {
		return
	}
	form.Error = h.message(c, err)
	h.renderMenus(c, http.StatusUnprocessableEntity, form)
}

// DeleteMenu removes a menu, refusing while it has children.
func (h *Handler) DeleteMenu(c *gin.Context) {
	id, ok := h.pathID(c, "console.not_found.menu")
	if !ok {
		return
	}
	if err := h.accounts.DeleteMenu(c.Request.Context(), actor(c), id); err != nil {
		if !refused(err) {
			h.fail(c, err)
			return
		}
		h.redirectError(c, "/admin/menus", err)
		return
	}
	h.redirect(c, "/admin/menus", "console.flash.menu_deleted", nil)
}

// MoveMenu moves a menu up or down among its siblings (field direction: up or down).
func (h *Handler) MoveMenu(c *gin.Context) {
	id, ok := h.pathID(c, "console.not_found.menu")
	if !ok {
		return
	}
	delta := 1
	if c.PostForm("direction") == "up" {
		delta = -1
	}
	if err := h.accounts.MoveMenu(c.Request.Context(), actor(c), id, delta); err != nil {
		if !refused(err) {
			h.fail(c, err)
			return
		}
		h.redirectError(c, "/admin/menus", err)
		return
	}
	h.redirect(c, "/admin/menus", "", nil)
}

// menuInput reads the menu form, returning it also as typed, to show again if refused.
func menuInput(c *gin.Context) (account.MenuInput, templates.MenuForm, error) {
	form := templates.MenuForm{
		Name: c.PostForm("name"), Code: c.PostForm("code"), Path: c.PostForm("path"), Icon: c.PostForm("icon"),
		Sort: strings.TrimSpace(c.PostForm("sort")), Visible: c.PostForm("visible") != "",
	}
	in := account.MenuInput{Name: form.Name, Code: form.Code, Path: form.Path, Icon: form.Icon, Visible: form.Visible}
	if p := strings.TrimSpace(c.PostForm("parent_id")); p != "" && p != "0" {
		id, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return in, form, &account.InputError{Field: "parent_id", Msg: "choose the parent from the list"}
		}
		in.ParentID, form.ParentID = &id, id
	}
	if form.Sort != "" {
		n, err := strconv.Atoi(form.Sort)
		if err != nil {
			return in, form, &account.InputError{Field: "sort", Msg: "sort must be a whole number"}
		}
		in.Sort = n
	}
	return in, form, nil
}

// menuItemsOf is the menu tree as the pages show it, with the menus in checked ticked.
func menuItemsOf(tree []account.MenuBranch, checked map[uint64]bool) []templates.MenuItem {
	out := make([]templates.MenuItem, 0, len(tree))
	for _, b := range tree {
		item := templates.MenuItem{ID: b.ID, Name: b.Name, Code: b.Code, Path: b.Path, Icon: b.Icon, Sort: b.Sort,
			Visible: b.Visible, Checked: checked[b.ID], Children: menuItemsOf(b.Children, checked)}
		if b.ParentID != nil {
			item.ParentID = *b.ParentID
		}
		out = append(out, item)
	}
	return out
}

// parentOptions lists the menus a menu may be placed under: any but itself and its subtree.
func parentOptions(tree []templates.MenuItem, indent string, exclude uint64) []templates.MenuOption {
	var out []templates.MenuOption
	for _, m := range tree {
		if m.ID == exclude && exclude != 0 {
			continue
		}
		out = append(out, templates.MenuOption{ID: m.ID, Label: indent + m.Name + " (" + m.Code + ")"})
		out = append(out, parentOptions(m.Children, indent+"— ", exclude)...)
	}
	return out
}

// menuItems turns a user's menu tree, as the mini-program sees it, into view items.
func menuItems(nodes []account.MenuNode) []templates.MenuItem {
	out := make([]templates.MenuItem, 0, len(nodes))
	for _, n := range nodes {
		out = append(out, templates.MenuItem{ID: n.ID, Name: n.Name, Code: n.Code, Path: n.Path, Icon: n.Icon, Sort: n.Sort,
			Visible: true, Children: menuItems(n.Children)})
	}
	return out
}
