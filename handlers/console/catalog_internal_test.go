package console

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/language"

	"wxbind/account"
	"wxbind/i18n"
	"wxbind/models"
)

// TestConsoleMessagesExist: every catalog key the handlers name, every refusal, audit action,
// role and status has a message in both languages, so no page shows a bare key.
func TestConsoleMessagesExist(t *testing.T) {
	cat, err := i18n.New("zh-CN")
	if err != nil {
		t.Fatal(err)
	}
	zh, en := cat.In(i18n.Chinese), cat.In(language.English)
	must := func(why, key string) {
		t.Helper()
		if got := zh.T(key); got == key {
			t.Errorf("%s: %q has no Chinese message", why, key)
		}
		// A key missing in en would fall back to Chinese; the i18n package's parity test
		// catches that, this makes sure the English is not the Chinese.
		if en.T(key) == zh.T(key) && !strings.HasPrefix(key, "console.language.") && !strings.HasPrefix(key, "console.format.") &&
			key != "console.common.openid" && key != "console.audit.ip" {
			t.Errorf("%s: %q reads the same in English and Chinese: %q", why, key, en.T(key))
		}
	}

	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				// A key prefix ("console.role.") is completed at run time; those are checked below.
				if s, _ := strconv.Unquote(lit.Value); strings.HasPrefix(s, "console.") && !strings.HasSuffix(s, ".") {
					must(fset.Position(lit.Pos()).String(), s)
				}
			}
			return true
		})
	}
	for _, r := range refusals {
		must("refusal "+r.err.Error(), r.key)
	}
	for _, a := range auditActions {
		must("audit action", "console.action."+a)
	}
	for _, r := range []string{models.RoleUser, models.RoleStaff, models.RoleAdmin} {
		must("role", "console.role."+r)
	}
	for _, s := range []string{models.StatusActive, models.StatusDisabled} {
		must("status", "console.status."+s)
	}
	for _, tag := range i18n.Supported {
		must("language switch", "console.language."+tag.String())
	}
	for _, key := range []string{"console.input.parent_id_self", "console.input.parent_id_loop", "console.input.too_many_at_once"} {
		must("account/console.go", key)
	}
}

// TestConsoleInputMessages: input the rules refuse is worded for the console first, then as
// the mini-program words it; a field nobody wrote a message for still says something useful.
func TestConsoleInputMessages(t *testing.T) {
	cat, _ := i18n.New("zh-CN")
	en := cat.In(language.English)
	for _, tc := range []struct {
		err  *account.InputError
		want string
	}{
		{&account.InputError{Field: "code"}, "Enter a code"}, // not the mini-program's "login code"
		{&account.InputError{Field: "password"}, "Password must be 8 to 72 characters"},
		{&account.InputError{Field: "parent_id", Key: "console.input.parent_id_self"}, "under itself"},
		{&account.InputError{Field: "user_id", Key: "console.input.too_many_at_once", Data: map[string]any{"Accounts": 1000, "Menus": 200}}, "At most 1000 users and 200 menus"},
		{&account.InputError{Field: "no_such_field"}, en.T("input.other")},
	} {
		if got := en.InputMessage(tc.err.Key, tc.err.Field, tc.err.Data, "console.input.", "input."); !strings.Contains(got, tc.want) {
			t.Errorf("%+v: want %q in %q", tc.err, tc.want, got)
		}
	}
}

// TestAuditDetailInBothLanguages: each shape of detail the rules record reads naturally in both
// languages; data and unknown shapes are shown as recorded.
func TestAuditDetailInBothLanguages(t *testing.T) {
	cat, _ := i18n.New("zh-CN")
	zh, en := cat.In(i18n.Chinese), cat.In(language.English)
	for _, tc := range []struct {
		action, detail, zh, en string
	}{
		{account.ActionAccountCreate, "created carol as staff", "创建账号 carol，角色：员工", "created carol as staff"},
		{account.ActionAccountUpdate, `name "Bob"→"Bob \"B\" Lee", role user→admin, status active→disabled`,
			"姓名“Bob”→“Bob \"B\" Lee”，角色 普通用户 → 管理员，状态 正常 → 已停用", `name "Bob" → "Bob "B" Lee", role user → admin, status active → disabled`},
		{account.ActionPasswordReset, "3 mini-program tokens revoked", "已注销 3 个小程序登录令牌", "3 mini-program tokens revoked"},
		{account.ActionMenuReorder, "moved up", "上移", "moved up"},
		{account.ActionMenuReorder, "moved down", "下移", "moved down"},
		{account.ActionMenusAssign, "menus set to [1 2 3]", "菜单设为：1、2、3", "menus set to 1, 2, 3"},
		{account.ActionMenusAssign, "menus set to []", "清空了菜单", "all menus removed"},
		{account.ActionUnbind, "unbound from account 12", "与账号 12 解除绑定", "unbound from account 12"},
		{account.ActionUnbind, "unbound from account", "已解除绑定", "unbound"},
		{account.ActionBind, "mini-program bind as zoe", "小程序绑定账号 zoe", "mini-program bind as zoe"},
		{account.ActionPhone, "phone number set from WeChat: 138****0000", "从微信获取手机号：138****0000", "phone number set from WeChat: 138****0000"},
		{account.ActionConsoleLoginFailed, account.ErrWrongCredentials.Error(), "用户名或密码错误。", "Wrong username or password."},
		{account.ActionMenuCreate, "Orders 📦 (orders)", "Orders 📦 (orders)", "Orders 📦 (orders)"},
		{account.ActionAccountCreate, "something new", "something new", "something new"},
	} {
		if got := auditDetail(zh, tc.action, tc.detail); got != tc.zh {
			t.Errorf("zh %s %q: got %q, want %q", tc.action, tc.detail, got, tc.zh)
		}
		if got := auditDetail(en, tc.action, tc.detail); got != tc.en {
			t.Errorf("en %s %q: got %q, want %q", tc.action, tc.detail, got, tc.en)
		}
	}
}
