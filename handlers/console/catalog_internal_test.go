package console

import (
	"encoding/json"
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
	for _, a := range account.AuditActions {
		must("audit action", "console.action."+a)
	}
	for _, r := range []string{account.RoleUser, account.RoleStaff, account.RoleAdmin} {
		must("role", "console.role."+r)
	}
	for _, s := range []string{account.StatusActive, account.StatusDisabled} {
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

// TestAuditDetailInBothLanguages: each action's recorded detail reads naturally in both
// languages, with the names recorded at the time; text recorded by older versions, and data of an
// action the catalog does not know, are shown as recorded.
func TestAuditDetailInBothLanguages(t *testing.T) {
	cat, _ := i18n.New("zh-CN")
	zh, en := cat.In(i18n.Chinese), cat.In(language.English)
	data := func(js string) account.Detail {
		dec := json.NewDecoder(strings.NewReader(js))
		dec.UseNumber() // as the audit log reads it back
		var d account.Detail
		if err := dec.Decode(&d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, tc := range []struct {
		action, detail, zh, en string
	}{
		{account.ActionBind, `{"AccountID":7,"Username":"zoe","OpenID":"o-1"}`, "小程序绑定账号 zoe", "mini-program bound to zoe"},
		{account.ActionUnbind, `{"AccountID":12,"Username":"dave","OpenID":"o-2"}`, "与账号 dave 解除绑定", "unbound from dave"},
		{account.ActionUnbind, `{"OpenID":"o-2"}`, "已解除绑定", "unbound"},
		{account.ActionBindFailed, `{"Username":"alice","IdentityID":3,"OpenID":"o-3"}`, "尝试账号 alice，微信用户 #3", "tried alice from WeChat user #3"},
		{account.ActionPhone, `{"Phone":"138****0000"}`, "从微信获取手机号：138****0000", "phone number set from WeChat: 138****0000"},
		{account.ActionConsoleLoginFailed, `{"Username":"root","Reason":"wrong_credentials"}`, "尝试账号 root：用户名或密码错误。", "tried root: Wrong username or password."},
		{account.ActionConsoleLoginFailed, `{"Username":"bob","Reason":"no_console_access"}`, "尝试账号 bob：该账号无权登录管理后台：仅限员工和管理员。", "tried bob: This account has no console access: only staff and admins may log in."},
		{account.ActionAccountCreate, `{"Username":"carol","Role":"staff"}`, "创建账号 carol，角色：员工", "created carol as staff"},
		{account.ActionAccountUpdate, `{"Username":"bob","OldName":"Bob","Name":"Bob \"B\" Lee","OldRole":"user","Role":"admin","OldStatus":"active","Status":"disabled"}`,
			"bob：姓名“Bob”→“Bob \"B\" Lee”，角色 普通用户 → 管理员，状态 正常 → 已停用", `bob: name "Bob" → "Bob "B" Lee", role user → admin, status active → disabled`},
		{account.ActionPasswordReset, `{"Username":"dave","Tokens":3}`, "dave：已注销 3 个小程序登录令牌", "dave: 3 mini-program tokens revoked"},
		{account.ActionPasswordChange, `{"Username":"admin","Tokens":0}`, "admin 修改了自己的密码：已注销 0 个小程序登录令牌", "admin changed their own password: 0 mini-program tokens revoked"},
		{account.ActionUsersExport, `{"Filter":"role=staff","Rows":12}`, "导出 12 行，筛选：role=staff", "12 rows exported, filter: role=staff"},
		{account.ActionUsersExport, `{"Filter":"","Rows":3}`, "导出 3 行，筛选：全部", "3 rows exported, filter: none"},
		{account.ActionMenuCreate, `{"Name":"Orders 📦","Code":"orders"}`, "菜单「Orders 📦」（orders）", "menu “Orders 📦” (orders)"},
		{account.ActionMenuUpdate, `{"OldName":"内部调试","OldCode":"debug","Name":"调试","Code":"dbg"}`, "菜单「内部调试」（debug）→「调试」（dbg）", "menu “内部调试” (debug) → “调试” (dbg)"},
		{account.ActionMenuDelete, `{"Name":"Old","Code":"old"}`, "菜单「Old」（old）", "menu “Old” (old)"},
		{account.ActionMenuReorder, `{"Name":"B","Code":"b","Direction":"up"}`, "菜单「B」上移", "menu “B” moved up"},
		{account.ActionMenuReorder, `{"Name":"B","Code":"b","Direction":"down"}`, "菜单「B」下移", "menu “B” moved down"},
		{account.ActionMenusAssign, `{"Username":"dave","MenuIDs":[1,2],"Menus":["首页","订单"]}`, "dave 的菜单设为：首页、订单", "dave's menus set to 首页, 订单"},
		{account.ActionMenusAssign, `{"Username":"dave","MenuIDs":[1],"Menus":["A"],"MenusMore":2}`, "dave 的菜单设为：A、等，另有 2 项", "dave's menus set to A, and 2 more"},
		{account.ActionMenusAssign, `{"Username":"dave","MenuIDs":[],"Menus":[]}`, "清空了 dave 的菜单", "all of dave's menus removed"},
		{account.ActionConsoleLogin, `{"Method":"password"}`, "密码登录", "by password"},
		{account.ActionConsoleLogin, `{"Method":"scan","Scene":"K7Q","Browser":"Chrome","OS":"Windows","PhoneIP":"10.0.0.2"}`, "扫码登录，Chrome · Windows", "by scan in Chrome · Windows"},
		{account.ActionConsoleLoginFailed, `{"Username":"sam","Reason":"scan_login_required"}`, "尝试账号 sam：管理后台要求扫码登录：请切换到“扫码登录”，用绑定的微信扫码。", "tried sam: The console requires scan login: switch to “Scan to log in” and scan with your bound WeChat."},
		{account.ActionScanLoginScan, `{"Scene":"K7Q","Browser":"Chrome","OS":"Windows","BrowserIP":"203.0.113.7"}`, "扫描了 Chrome · Windows（203.0.113.7）的登录码", "scanned the code of Chrome · Windows (203.0.113.7)"},
		{account.ActionScanLoginConfirm, `{"Scene":"K7Q","Browser":"Edge","OS":"macOS","BrowserIP":"203.0.113.7"}`, "允许 Edge · macOS（203.0.113.7）登录", "let Edge · macOS (203.0.113.7) in"},
		{account.ActionScanLoginCancel, `{"Scene":"K7Q","Browser":"Firefox","OS":"Linux","BrowserIP":"203.0.113.7"}`, "拒绝 Firefox · Linux（203.0.113.7）登录", "turned Firefox · Linux (203.0.113.7) away"},
		{account.ActionScanLoginRefused, `{"Scene":"K7Q","Browser":"Chrome","OS":"Windows","BrowserIP":"203.0.113.7","Reason":"scan_login_taken"}`, "Chrome · Windows（203.0.113.7）：此二维码已被其他手机扫描。", "Chrome · Windows (203.0.113.7): Another phone has scanned this code."},
		{account.ActionConsolePolicy, `{"ScanLoginRequired":true}`, "要求扫码登录", "scan login required"},
		{account.ActionConsolePolicy, `{"ScanLoginRequired":false}`, "允许密码登录", "password login allowed"},
		{account.ActionMenuUpdate, `{"OldName":"内部调试","OldCode":"debug","Name":"内部调试","Code":"debug","Moved":true,"OldParent":"","Parent":"设置"}`,
			"菜单「内部调试」（debug）→「内部调试」（debug），移到「设置」下", "menu “内部调试” (debug) → “内部调试” (debug), moved under “设置”"},
		{account.ActionMenuMove, `{"Name":"内部调试","Code":"debug","Moved":true,"OldParent":"","Parent":"设置","Position":2}`,
			"菜单「内部调试」移到「设置」下第 2 位", "menu “内部调试” moved under “设置”, position 2"},
		{account.ActionMenuMove, `{"Name":"B","Code":"b","Position":1}`, "菜单「B」移到同级第 1 位", "menu “B” moved among its siblings, position 1"},
		{account.ActionMenuRoleCreate, `{"Name":"店员","Menus":["订单","扫码核销"],"MenuIDs":[2,3]}`, "菜单角色「店员」，菜单：订单、扫码核销", "menu role “店员”, menus: 订单, 扫码核销"},
		{account.ActionMenuRoleUpdate, `{"OldName":"店员","Name":"Clerk","Menus":[],"MenuIDs":[]}`, "菜单角色「店员」→「Clerk」，菜单：无", "menu role “店员” → “Clerk”, menus: none"},
		{account.ActionMenuRoleDelete, `{"Name":"店员","Count":12}`, "菜单角色「店员」（12 个成员）", "menu role “店员” (12 members)"},
		{account.ActionAccountMenus, `{"Username":"dave","Roles":["店员"],"Extras":[],"Hidden":["设置","调试"]}`,
			"dave：菜单角色 店员；额外菜单 无；隐藏菜单 设置、调试", "dave: menu roles 店员; extra menus none; hidden menus 设置, 调试"},
		{account.ActionMenusBulk, `{"Action":"add_role","Count":12,"Usernames":["a","b"],"UsernamesMore":10,"Roles":["店员"],"RoleIDs":[3]}`,
			"添加菜单角色：12 个账号（a、b、等，另有 10 项），菜单角色「店员」", "add menu role: 12 accounts (a, b, and 10 more), menu roles “店员”"},
		{account.ActionMenusBulk, `{"Action":"hide","Count":3,"Usernames":["a","b","c"],"UsernamesMore":0,"Menus":["设置"],"MenuIDs":[9]}`,
			"隐藏菜单：3 个账号（a、b、c），菜单「设置」", "hide menus: 3 accounts (a, b, c), menus “设置”"},
		{"some_future_action", `{"X":1}`, `{"X":1}`, `{"X":1}`},
	} {
		e := account.AuditEntry{Action: tc.action, Detail: data(tc.detail)}
		if got := auditDetail(zh, e); got != tc.zh {
			t.Errorf("zh %s %s: got %q, want %q", tc.action, tc.detail, got, tc.zh)
		}
		if got := auditDetail(en, e); got != tc.en {
			t.Errorf("en %s %s: got %q, want %q", tc.action, tc.detail, got, tc.en)
		}
	}
	old := account.AuditEntry{Action: account.ActionMenusAssign, RecordedText: "menus set to [1 2 3]"}
	if got := auditDetail(zh, old); got != old.RecordedText {
		t.Errorf("an entry recorded as text: got %q, want it as recorded", got)
	}
}
