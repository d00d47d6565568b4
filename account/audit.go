package account

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"time"
	"unicode/utf8"

	"wxbind/models"
)

// Audit actions.
const (
	ActionBind               = "bind"
	ActionUnbind             = "unbind"
	ActionBindFailed         = "bind_failed" // a mini-program bind refused for a wrong username or password
	ActionPhone              = "phone"       // a user shared their phone number
	ActionConsoleLogin       = "console_login"
	ActionConsoleLoginFailed = "console_login_failed"
	ActionConsoleLogout      = "console_logout"
	ActionAccountCreate      = "account_create"
	ActionAccountUpdate      = "account_update"
	ActionPasswordReset      = "password_reset"
	ActionPasswordChange     = "password_change" // a console user changed their own password
	ActionUsersExport        = "users_export"    // the users list downloaded as CSV
	ActionMenuCreate         = "menu_create"
	ActionMenuUpdate         = "menu_update"
	ActionMenuDelete         = "menu_delete"
	ActionMenuReorder        = "menu_reorder"
	ActionMenusAssign        = "menus_assign" // recorded before menu roles; still shown
	ActionMenuMove           = "menu_move"
	ActionMenuRoleCreate     = "menu_role_create"
	ActionMenuRoleUpdate     = "menu_role_update"
	ActionMenuRoleDelete     = "menu_role_delete"
	ActionAccountMenus       = "account_menus"
	ActionMenusBulk          = "menus_bulk"
	ActionScanLoginScan      = "scan_login_scan"    // a phone scanned a console login code
	ActionScanLoginConfirm   = "scan_login_confirm" // the phone let the browser in
	ActionScanLoginCancel    = "scan_login_cancel"  // the phone turned the browser away
	ActionScanLoginRefused   = "scan_login_refused" // a phone's scan or answer was refused
	ActionConsolePolicy      = "console_policy"     // an admin changed how the console may be logged into
)

// AuditActions is every action the rules record, in the order a filter lists them.
var AuditActions = []string{
	ActionBind, ActionUnbind, ActionBindFailed, ActionPhone,
	ActionConsoleLogin, ActionConsoleLoginFailed, ActionConsoleLogout,
	ActionAccountCreate, ActionAccountUpdate, ActionPasswordReset, ActionPasswordChange, ActionUsersExport,
	ActionMenuCreate, ActionMenuUpdate, ActionMenuDelete, ActionMenuReorder, ActionMenuMove, ActionMenusAssign,
	ActionMenuRoleCreate, ActionMenuRoleUpdate, ActionMenuRoleDelete, ActionAccountMenus, ActionMenusBulk,
	ActionScanLoginScan, ActionScanLoginConfirm, ActionScanLoginCancel, ActionScanLoginRefused, ActionConsolePolicy,
}

// Detail is what an audit entry records about its action, as data: the ids it touched and the
// names they had at the time, never a sentence. It is stored as JSON; the console words it in its
// reader's language. Keys are the catalog's field names (Username, Role, Menus…).
type Detail map[string]any

// AuditEntry is one entry of the audit log.
type AuditEntry struct {
	ID             uint64
	ActorAccountID *uint64 // nil when nobody was logged in (a failed login, the mini-program's bind)
	Actor          string
	Action         string
	Target         string
	IP             string
	CreatedAt      time.Time
	// Detail is the action's parameters; nil for entries recorded as text before details were
	// data, whose text is RecordedText.
	Detail       Detail
	RecordedText string
}

// AccountTarget names an account in the audit log.
func AccountTarget(id uint64) string { return fmt.Sprintf("account:%d", id) }

// IdentityTarget names a WeChat identity in the audit log.
func IdentityTarget(id uint64) string { return fmt.Sprintf("wechat:%d", id) }

// MenuTarget names a menu in the audit log.
func MenuTarget(id uint64) string { return fmt.Sprintf("menu:%d", id) }

// audit writes an entry and only logs a failure: the action it records has happened.
func (s *Service) audit(ctx context.Context, st *models.Store, actor Actor, action, target string, d Detail) {
	if err := s.writeAudit(ctx, st, actor, action, target, d); err != nil {
		s.log.Warn("writing audit entry failed", "action", action, "target", target, "error", err)
	}
}

func (s *Service) writeAudit(ctx context.Context, st *models.Store, actor Actor, action, target string, d Detail) error {
	e := s.auditEntry(actor, action, target, d)
	return st.AddAuditEntry(ctx, &e)
}

// auditEntry is an entry stamped now, its fields cut to their columns' sizes.
func (s *Service) auditEntry(actor Actor, action, target string, d Detail) models.AuditEntry {
	return models.AuditEntry{
		ActorAccountID: actor.AccountID, Actor: truncate(actor.Name, 64), Action: action, Target: truncate(target, 255),
		Detail: encodeDetail(d), IP: truncate(actor.IP, 64), CreatedAt: s.clock(),
	}
}

// maxDetailLen is the detail column's size in characters (MySQL's VARCHAR(1024)), less a margin.
const maxDetailLen = 1000

// encodeDetail is d as JSON that fits the detail column: a list too long to fit keeps its first
// items and counts the rest under the list's name + "More".
func encodeDetail(d Detail) string {
	if len(d) == 0 {
		return ""
	}
	for {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(d); err != nil {
			return ""
		}
		out := string(bytes.TrimSpace(buf.Bytes()))
		if utf8.RuneCountInString(out) <= maxDetailLen || !shortenLongestList(d) {
			return truncate(out, maxDetailLen)
		}
	}
}

// shortenLongestList drops the last item of d's longest list, counting it in the list's
// "More" field. It reports false when there is no list left to shorten.
func shortenLongestList(d Detail) bool {
	longest, n := "", 0
	for k, v := range d {
		if l := listLen(v); l > n {
			longest, n = k, l
		}
	}
	if n == 0 {
		return false
	}
	switch l := d[longest].(type) {
	case []string:
		d[longest] = l[:n-1]
	case []uint64:
		d[longest] = l[:n-1]
	}
	more, _ := d[longest+"More"].(int)
	d[longest+"More"] = more + 1
	return true
}

func listLen(v any) int {
	switch l := v.(type) {
	case []string:
		return len(l)
	case []uint64:
		return len(l)
	}
	return 0
}

// auditEntryOf reads a stored entry. A detail that is not a JSON object is text recorded before
// details were data, kept as it is.
func auditEntryOf(e models.AuditEntry) AuditEntry {
	out := AuditEntry{ID: e.ID, ActorAccountID: e.ActorAccountID, Actor: e.Actor, Action: e.Action, Target: e.Target,
		IP: e.IP, CreatedAt: e.CreatedAt}
	if len(e.Detail) > 0 && e.Detail[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader([]byte(e.Detail)))
		dec.UseNumber() // ids stay exact
		var d Detail
		if dec.Decode(&d) == nil {
			out.Detail = d
			return out
		}
	}
	out.RecordedText = e.Detail
	return out
}

func auditEntriesOf(es []models.AuditEntry) []AuditEntry {
	out := make([]AuditEntry, len(es))
	for i, e := range es {
		out[i] = auditEntryOf(e)
	}
	return out
}

// AuditFilter is which audit entries the console lists: actor, action, target (exact) and the
// days they were written (from, to in the console's zone).
type AuditFilter struct {
	Actor  string
	Action string
	Target string
	When   DateRange
}

// ParseAuditFilter reads the audit log's filter from its URL.
func ParseAuditFilter(v url.Values, zone *time.Location) AuditFilter {
	return AuditFilter{Actor: SearchTerm(v.Get("actor")), Action: SearchTerm(v.Get("action")), Target: SearchTerm(v.Get("target")),
		When: parseDateRange(v, "from", "to", zone)}
}

// Values is the filter as the audit log's URL carries it.
func (f AuditFilter) Values() url.Values {
	v := url.Values{}
	for k, val := range map[string]string{"actor": f.Actor, "action": f.Action, "target": f.Target} {
		if val != "" {
			v.Set(k, val)
		}
	}
	f.When.set(v, "from", "to")
	return v
}

func (f AuditFilter) store() models.AuditFilter {
	out := models.AuditFilter{Actor: f.Actor, Action: f.Action}
	if f.Target != "" {
		out.Targets = []string{f.Target}
	}
	out.From, out.To = f.When.bounds()
	return out
}

// AuditList is a page of the audit log.
type AuditList struct {
	Rows []AuditEntry
	Cursors
}

// AuditLog is a page of the audit log, newest first.
func (s *Service) AuditLog(ctx context.Context, f AuditFilter, p ListPage) (AuditList, error) {
	return s.auditPage(ctx, f.store(), p)
}

func (s *Service) auditPage(ctx context.Context, f models.AuditFilter, p ListPage) (AuditList, error) {
	page := p.page(true)
	es, more, err := s.store.ListAuditEntries(ctx, f, page)
	if err != nil {
		return AuditList{}, err
	}
	out := AuditList{Rows: auditEntriesOf(es)}
	var first, last models.Key
	if len(es) > 0 {
		first, last = models.AuditKey(es[0]), models.AuditKey(es[len(es)-1])
	}
	out.Cursors = cursors(page, len(es), first, last, more)
	return out, nil
}

// CountAudit is how many audit entries match f.
func (s *Service) CountAudit(ctx context.Context, f AuditFilter) (Total, error) {
	c, err := s.store.CountAuditEntries(ctx, f.store())
	return Total{N: c.N, Exact: c.Exact, AtLeast: c.AtLeast}, err
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
