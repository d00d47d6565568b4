package account

import (
	"context"

	"wxbind/models"
)

// MenuNode is one entry of a user's menu tree as the mini-program receives it.
type MenuNode struct {
	ID       uint64     `json:"id"`
	Code     string     `json:"code"`
	Name     string     `json:"name"`
	Path     string     `json:"path"`
	Icon     string     `json:"icon"`
	Sort     int        `json:"sort"`
	Children []MenuNode `json:"children"`
}

// MenuTree is the account's visible, assigned menus as a tree ordered by sort; never nil.
func (s *Service) MenuTree(ctx context.Context, accountID uint64) ([]MenuNode, error) {
	menus, err := s.store.MenusOfAccount(ctx, accountID)
	if err != nil {
		return nil, err
	}
	return BuildMenuTree(menus), nil
}

// BuildMenuTree nests menus under their parents, keeping the order they come in. A menu whose
// parent is not among them becomes a root, so assigning a child alone still shows it.
func BuildMenuTree(menus []models.Menu) []MenuNode {
	present := make(map[uint64]bool, len(menus))
	for _, m := range menus {
		present[m.ID] = true
	}
	children := make(map[uint64][]models.Menu)
	var roots []models.Menu
	for _, m := range menus {
		if m.ParentID != nil && present[*m.ParentID] && *m.ParentID != m.ID {
			children[*m.ParentID] = append(children[*m.ParentID], m)
		} else {
			roots = append(roots, m)
		}
	}
	seen := make(map[uint64]bool, len(menus))
	var build func(ms []models.Menu) []MenuNode
	build = func(ms []models.Menu) []MenuNode {
		nodes := make([]MenuNode, 0, len(ms))
		for _, m := range ms {
			if seen[m.ID] { // a cycle in the data must not recurse forever
				continue
			}
			seen[m.ID] = true
			nodes = append(nodes, MenuNode{
				ID: m.ID, Code: m.Code, Name: m.Name, Path: m.Path, Icon: m.Icon, Sort: m.Sort,
				Children: build(children[m.ID]),
			})
		}
		return nodes
	}
	return build(roots)
}

// HasMenu reports whether the account has the visible menu with code.
func (s *Service) HasMenu(ctx context.Context, accountID uint64, code string) (bool, error) {
	return s.store.AccountHasMenuCode(ctx, accountID, code)
}
