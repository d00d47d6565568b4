package console

import (
	"regexp"
	"strconv"
	"strings"

	"wxbind/account"
	"wxbind/i18n"
)

// The audit log keeps each entry's detail as the rules wrote it: English text, for integrators
// and old rows alike. The console shows the known shapes in its reader's language; anything
// else (menu names and codes, which are data, or a shape added later) is shown as recorded.
var (
	detailAccountCreate = regexp.MustCompile(`^created (.+) as (\w+)$`)
	detailAccountUpdate = regexp.MustCompile(`^name (".*")→(".*"), role (\w+)→(\w+), status (\w+)→(\w+)$`)
	detailTokens        = regexp.MustCompile(`^(\d+) mini-program tokens revoked$`)
	detailMoved         = regexp.MustCompile(`^moved (up|down)$`)
	detailMenusSet      = regexp.MustCompile(`^menus set to \[([\d ]*)\]$`)
	detailUnbound       = regexp.MustCompile(`^unbound from account(?: (\d+))?$`)
	detailBind          = regexp.MustCompile(`^mini-program bind as (.+)$`)
	detailPhone         = regexp.MustCompile(`^phone number set from WeChat: (.+)$`)
)

// auditDetail is an entry's detail as its reader reads it.
func auditDetail(tr i18n.Translator, action, detail string) string {
	role := func(r string) string { return label(tr, "console.role.", r) }
	status := func(s string) string { return label(tr, "console.status.", s) }
	switch action {
	case account.ActionAccountCreate:
		if m := detailAccountCreate.FindStringSubmatch(detail); m != nil {
			return tr.Tf("console.detail.account_create", map[string]any{"Username": m[1], "Role": role(m[2])})
		}
	case account.ActionAccountUpdate:
		if m := detailAccountUpdate.FindStringSubmatch(detail); m != nil {
			oldName, err1 := strconv.Unquote(m[1])
			name, err2 := strconv.Unquote(m[2])
			if err1 == nil && err2 == nil {
				return tr.Tf("console.detail.account_update", map[string]any{
					"OldName": oldName, "Name": name, "OldRole": role(m[3]), "Role": role(m[4]),
					"OldStatus": status(m[5]), "Status": status(m[6]),
				})
			}
		}
	case account.ActionPasswordReset:
		if m := detailTokens.FindStringSubmatch(detail); m != nil {
			return tr.Tf("console.detail.tokens_revoked", map[string]any{"Count": m[1]})
		}
	case account.ActionMenuReorder:
		if m := detailMoved.FindStringSubmatch(detail); m != nil {
			if m[1] == "up" {
				return tr.T("console.detail.moved_up")
			}
			return tr.T("console.detail.moved_down")
		}
	case account.ActionMenusAssign:
		if m := detailMenusSet.FindStringSubmatch(detail); m != nil {
			ids := strings.Fields(m[1])
			if len(ids) == 0 {
				return tr.T("console.detail.menus_cleared")
			}
			return tr.Tf("console.detail.menus_set", map[string]any{"IDs": strings.Join(ids, tr.T("console.list.separator"))})
		}
	case account.ActionUnbind:
		if m := detailUnbound.FindStringSubmatch(detail); m != nil {
			if m[1] == "" {
				return tr.T("console.detail.unbound")
			}
			return tr.Tf("console.detail.unbound_from", map[string]any{"Account": m[1]})
		}
	case account.ActionBind:
		if m := detailBind.FindStringSubmatch(detail); m != nil {
			return tr.Tf("console.detail.bind", map[string]any{"Username": m[1]})
		}
	case account.ActionPhone:
		if m := detailPhone.FindStringSubmatch(detail); m != nil {
			return tr.Tf("console.detail.phone", map[string]any{"Phone": m[1]})
		}
	case account.ActionConsoleLoginFailed:
		for _, r := range refusals { // the rules record the refusal's own error text
			if detail == r.err.Error() {
				return tr.T(r.key)
			}
		}
	}
	return detail
}

// label is a role's or status's name, or the value itself when the catalog has none.
func label(tr i18n.Translator, prefix, value string) string {
	if !tr.Has(prefix + value) {
		return value
	}
	return tr.T(prefix + value)
}
