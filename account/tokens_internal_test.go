package account

import (
	"encoding/json"
	"strings"
	"testing"
	"unsafe"

	"wxbind/models"
)

// TestInfoViewsEncodeOnceAndShareMenus: a view keeps its answer encoded as encoding/json would
// write it, and views of users with the same menus hold one copy of their JSON.
func TestInfoViewsEncodeOnceAndShareMenus(t *testing.T) {
	c := newInfoViews(8)
	menus := func() []MenuNode { // built anew for each user, as a read from the database is
		return []MenuNode{{ID: 1, Code: "orders", Name: "Orders <&> 🍜", Path: "/pages/orders", Sort: 1,
			Children: []MenuNode{{ID: 2, Code: "refunds", Name: "Refunds", Path: "/pages/refunds", Children: []MenuNode{}}}}}
	}
	alice := Principal{AccountID: 1, IdentityID: 11, Role: "user", User: UserInfo{UserID: 1, Username: "alice", NickName: "Ali \"🐱\" </script>"}}
	bob := Principal{AccountID: 2, IdentityID: 12, Role: "user", User: UserInfo{UserID: 2, Username: "bob"}}
	ja := c.put(models.LoginCheck{AccountID: 1, IdentityID: 11, InfoVersion: 3}, alice, menus())
	jb := c.put(models.LoginCheck{AccountID: 2, IdentityID: 12}, bob, menus())

	want, _ := json.Marshal(struct {
		UserInfo UserInfo   `json:"userInfo"`
		MenuList []MenuNode `json:"menuList"`
	}{alice.User, menus()})
	if got := `{"userInfo":` + ja.UserInfo + `,"menuList":` + ja.MenuList + `}`; got != string(want) {
		t.Fatalf("encoded view:\n got %s\nwant %s", got, want)
	}
	if unsafe.StringData(ja.MenuList) != unsafe.StringData(jb.MenuList) {
		t.Fatal("two users with the same menus keep two copies of their JSON")
	}
	v, ok := c.get(models.LoginCheck{AccountID: 1, IdentityID: 11, InfoVersion: 3})
	if !ok || v.json != ja || v.role != alice.Role {
		t.Fatalf("view of alice: %v %+v", ok, v)
	}
	if _, ok := c.get(models.LoginCheck{AccountID: 1, IdentityID: 11, InfoVersion: 4}); ok {
		t.Fatal("a view read under older counters answered")
	}
	if j := encodeInfo(bob.User, nil); j.MenuList != "[]" || !strings.HasPrefix(j.UserInfo, `{"userId":2,`) {
		t.Fatalf("no menus must encode as [], got %+v", j)
	}
}
