package account

import (
	"testing"

	"wxbind/models"
)

func TestMenuTree(t *testing.T) {
	id := func(n uint64) *uint64 { return &n }
	menus := []models.Menu{
		{ID: 1, Code: "a", Sort: 1},
		{ID: 5, Code: "orphan", ParentID: id(99), Sort: 2}, // parent not visible: left out with it
		{ID: 2, Code: "a.1", ParentID: id(1), Sort: 1},
		{ID: 3, Code: "a.1.x", ParentID: id(2), Sort: 1},
		{ID: 4, Code: "self", ParentID: id(4), Sort: 3}, // bad data must not loop
	}
	tree := menuTree(menus)
	if len(tree) != 2 || tree[0].Code != "a" || tree[1].Code != "self" {
		t.Fatalf("roots: %+v", tree)
	}
	if len(tree[0].Children) != 1 || tree[0].Children[0].Code != "a.1" || tree[0].Children[0].Children[0].Code != "a.1.x" {
		t.Fatalf("nesting: %+v", tree[0])
	}
	if tree[1].Children == nil || tree[0].Children[0].Children[0].Children == nil || menuTree(nil) == nil {
		t.Fatal("children and empty trees must be [] not null")
	}
}
