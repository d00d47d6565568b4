package console

import (
	"encoding/json"
	"fmt"
	"strings"

	"wxbind/account"
	"wxbind/i18n"
)

// auditDetail words an entry's detail in its reader's language: the catalog's
// console.detail.<action> filled with the recorded data, the values that name a role, a status,
// a refusal or a direction worded too. An entry recorded as text before details were data, or
// an action the catalog does not know, is shown as recorded.
func auditDetail(tr i18n.Translator, e account.AuditEntry) string {
	if e.Detail == nil {
		return e.RecordedText
	}
	if len(e.Detail) == 0 {
		return ""
	}
	key := "console.detail." + e.Action
	data := make(map[string]any, len(e.Detail))
	for k, v := range e.Detail {
		data[k] = v
	}
	for field, prefix := range map[string]string{
		"Role": "console.role.", "OldRole": "console.role.", "Status": "console.status.", "OldStatus": "console.status.",
		"Reason": "console.error.", "Direction": "console.direction.", "Method": "console.login_method.",
	} {
		if v, ok := data[field].(string); ok {
			data[field] = label(tr, prefix, v)
		}
	}
	if v, ok := data["Action"].(string); ok {
		data["Action"] = label(tr, "console.bulk.action.", v)
	}
	if menus, ok := data["Menus"].([]any); ok && len(menus) == 0 && data["MenusMore"] == nil && e.Action == account.ActionMenusAssign {
		key = "console.detail.menus_assign_none"
	}
	for k, v := range data {
		if items, ok := v.([]any); ok && !strings.HasSuffix(k, "IDs") {
			data[k] = list(tr, items, data[k+"More"])
		}
	}
	if !tr.Has(key) {
		raw, _ := json.Marshal(e.Detail)
		return string(raw)
	}
	return tr.Tf(key, data)
}

// list joins recorded names the reader's way, saying how many more there were when the record
// had to leave some out.
func list(tr i18n.Translator, items []any, more any) string {
	names := make([]string, len(items))
	for i, v := range items {
		names[i] = fmt.Sprint(v)
	}
	out := strings.Join(names, tr.T("console.list.separator"))
	if n, ok := more.(json.Number); ok && n.String() != "0" {
		out += tr.T("console.list.separator") + tr.Tf("console.detail.more", map[string]any{"Count": n.String()})
	}
	return out
}

// label is a role's, status's or refusal's name, or the value itself when the catalog has none.
func label(tr i18n.Translator, prefix, value string) string {
	if !tr.Has(prefix + value) {
		return value
	}
	return tr.T(prefix + value)
}
