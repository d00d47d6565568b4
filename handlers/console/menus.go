package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"wxbind/account"
	"wxbind/templates"
	"wxbind/web/requestinfo"
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
	v.Parents = parentOptions(v.Tree, 0, form.ID)
	h.render(c, status, templates.MenusPage(h.page(c, "console.menus.title", "menus"), v))
}

// CreateMenu adds a menu from the fields name, code, path, icon, parent_id, sort, visible.
func (h *Handler) CreateMenu(c *gin.Context) {
	in, form, err := menuInput(c)
	if err == nil {
		var m account.Menu
		if m, err = h.accounts.CreateMenu(c.Request.Context(), requestinfo.Actor(c), in); err == nil {
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
		if err = h.accounts.UpdateMenu(c.Request.Context(), requestinfo.Actor(c), id, in); err == nil {
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
	form.Error, form.Errors = h.fieldErrors(c, err, "name", "code", "path", "icon", "parent_id", "sort")
	if errors.Is(err, account.ErrMenuCodeTaken) {
		form.Error, form.Errors = "", map[string]string{"code": h.message(c, err)}
	}
	h.renderMenus(c, http.StatusUnprocessableEntity, form)
}

// DeleteMenu removes a menu, refusing while it has children.
func (h *Handler) DeleteMenu(c *gin.Context) {
	id, ok := h.pathID(c, "console.not_found.menu")
	if !ok {
		return
	}
	err := h.accounts.DeleteMenu(c.Request.Context(), requestinfo.Actor(c), id)
	h.redirectAfter(c, "/admin/menus", err, "console.flash.menu_deleted", nil)
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
	err := h.accounts.MoveMenu(c.Request.Context(), requestinfo.Actor(c), id, delta)
	h.redirectAfter(c, "/admin/menus", err, "", nil)
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

// parentOptions lists the menus a menu may be placed under, as an indented tree: any but itself
// and its subtree.
func parentOptions(tree []templates.MenuItem, depth int, exclude uint64) []templates.MenuOption {
	var out []templates.MenuOption
	for _, m := range tree {
		if m.ID == exclude && exclude != 0 {
			continue
		}
		out = append(out, templates.MenuOption{ID: m.ID, Label: m.Name + " (" + m.Code + ")", Depth: depth})
		out = append(out, parentOptions(m.Children, depth+1, exclude)...)
	}
	return out
}

// PlaceMenu moves a menu where it was dropped: under parent_id (0 or empty: the top) at
// position index among its new siblings. The drag-and-drop script posts it; a form can too.
func (h *Handler) PlaceMenu(c *gin.Context) {
	id, ok := h.pathID(c, "console.not_found.menu")
	if !ok {
		return
	}
	var parent *uint64
	if p, err := strconv.ParseUint(strings.TrimSpace(c.PostForm("parent_id")), 10, 64); err == nil && p > 0 {
		parent = &p
	}
	index, err := strconv.Atoi(strings.TrimSpace(c.PostForm("index")))
	if err != nil || index < 0 {
		h.redirectError(c, "/admin/menus", &account.InputError{Field: "index", Msg: "drop the menu on the tree"})
		return
	}
	err = h.accounts.PlaceMenu(c.Request.Context(), requestinfo.Actor(c), id, parent, index)
	if errors.Is(err, account.ErrMenuNotFound) {
		h.notFound(c, "console.not_found.menu")
		return
	}
	h.redirectAfter(c, "/admin/menus", err, "console.flash.menu_moved", nil)
}

// effectiveItems is an account's menu tree as its page shows it: the menus it sees, and those
// its hidden menus take away, each labelled with where it comes from; the rest left out.
func effectiveItems(tree []account.EffectiveMenu) []templates.EffectiveItem {
	var out []templates.EffectiveItem
	for _, m := range tree {
		children := effectiveItems(m.Children)
		granted := m.Extra || len(m.Roles) > 0
		if !m.Effective && !(granted && m.Hidden) && len(children) == 0 {
			continue
		}
		out = append(out, templates.EffectiveItem{Name: m.Name, Code: m.Code, Icon: m.Icon, Roles: m.Roles, Extra: m.Extra,
			Ancestor: m.Ancestor, Hidden: m.Hidden, Effective: m.Effective, Visible: m.Visible, Children: children})
	}
	return out
}
