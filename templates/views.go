// Package templates holds the console's templ components: a layout, pages and partials. They
// take the plain view structs below and never reach the database. Run `go tool templ generate`
// after editing a .templ file; the generated *_templ.go files are committed.
package templates

import (
	"maps"
	"net/url"
	"slices"

	"github.com/a-h/templ"
	"strconv"
	"strings"
	"time"
)

// Page is what the layout needs on every page.
type Page struct {
	Title string
	Nav   string       // which menu entry is current: dashboard, users, wechat-users, menus, audit
	User  *ConsoleUser // nil when nobody is logged in
	Flash Flash
	Here  string // this page's URL, where the language switch comes back to
	Theme string // "light" or "dark" as chosen with the switch; "" follows the system
}

// themeAttrs pins Pico's colour scheme when one was chosen; without it Pico follows
// prefers-color-scheme.
func themeAttrs(theme string) templ.Attributes {
	if theme == "light" || theme == "dark" {
		return templ.Attributes{"data-theme": theme}
	}
	return templ.Attributes{}
}

// nextTheme is what the theme switch changes to: system → dark → light → system.
func nextTheme(theme string) string {
	switch theme {
	case "dark":
		return "light"
	case "light":
		return "auto"
	}
	return "dark"
}

// themeNow is the catalog key (under console.theme.) naming the scheme in use.
func themeNow(theme string) string {
	if theme == "light" || theme == "dark" {
		return "now_" + theme
	}
	return "now_auto"
}

// ConsoleUser is the logged-in staff member or admin.
type ConsoleUser struct {
	ID                 uint64
	Username           string
	Role               string
	IsAdmin            bool
	MustChangePassword bool // the generated first password: only the password page is open
}

// PasswordView is the own-password form.
type PasswordView struct {
	Forced bool // the password was generated and must be changed before anything else
	Error  string
}

// Flash is a one-time message shown after a redirect, already in the reader's language.
type Flash struct {
	Kind string // ok or error
	Msg  string
}

// LoginView is the login form.
type LoginView struct {
	Username string
	Error    string
	Next     string
	// ScanRequired says the policy requires scan login: the form is for the break-glass admin.
	ScanRequired bool
}

// MessageView is a page that only says something, such as why an action is forbidden.
type MessageView struct {
	Heading string
	Msg     string
	BackURL string
}

// DashboardView holds the dashboard's figures.
type DashboardView struct {
	Accounts      int64
	Identities    int64
	Bound         int64
	BindsToday    int64
	UnbindsToday  int64
	LoginsToday   int64
	BindsWeek     int64
	UnbindsWeek   int64
	LoginsWeek    int64
	Days          []DayFigures // oldest first, 7 days
	ChartMaxValue int64
	AsOf          time.Time // when the figures were counted
}

// DayFigures are one day's events.
type DayFigures struct {
	Day     time.Time // its start, in the console's zone
	Binds   int64
	Unbinds int64
	Logins  int64
}

// UserFilter is the users list's query, as its URL carries it.
type UserFilter struct {
	Q                      string
	Role, Status, Bind     string
	CreatedFrom, CreatedTo string // days, YYYY-MM-DD
	LoginFrom, LoginTo     string
	Sort, Order            string
	Size                   int
	MenuRole               uint64 // 0 for any
}

// ListNav is a list's way around: first, previous and next page, the page sizes and the total.
type ListNav struct {
	FirstURL string // empty on the first page
	PrevURL  string // empty when there is no previous page
	NextURL  string // empty on the last page
	Sizes    []SizeLink
	Total    string // worded: exact, or an estimate ("约 1,000,000")
}

// SizeLink is the list's first page at another page size.
type SizeLink struct {
	N       int
	URL     string
	Current bool
}

// AccountLink is an account a row links to.
type AccountLink struct {
	ID       uint64
	Username string
}

// UserRow is one account in the users list.
type UserRow struct {
	ID          uint64
	Username    string
	Name        string
	Role        string
	Status      string
	Bound       bool
	AvatarURL   string
	Nickname    string
	OpenID      string // whole, for the tooltip
	ShortOpenID string // shortened, as the cell shows it
	BoundAt     string
	LastLogin   string
}

// UsersView is the users list.
type UsersView struct {
	Filter    UserFilter
	Rows      []UserRow
	Nav       ListNav
	ExportURL string // the CSV of the current filter
	BulkURL   string // the bulk change over every account of the current filter
	// MenuRoles are the menu roles to filter by, the chosen one Checked.
	MenuRoles []RoleChoice
}

// MenuItem is a menu in a tree, for the menus page and the checkbox trees.
type MenuItem struct {
	ID       uint64
	ParentID uint64 // 0 for a root
	Name     string
	Code     string
	Path     string
	Icon     string
	Sort     int
	Visible  bool
	Checked  bool
	Children []MenuItem
}

// AuditRow is one audit entry.
type AuditRow struct {
	ID       uint64
	When     string
	Actor    string // who acted, worded: a name, or nobody logged in with the account tried
	ActorURL string // the acting account's page; empty when nobody was logged in
	Action   string
	Target   string
	// TargetURL is the target's page (an account, or the WeChat users list filtered to it).
	TargetURL string
	Detail    string
	IP        string
}

// IdentityItem is a WeChat user an account had.
type IdentityItem struct {
	ID          uint64
	Nickname    string
	OpenID      string
	ShortOpenID string
	UnionID     string
	BoundAt     string
	UnboundAt   string
}

// UserView is one account's page.
type UserView struct {
	ID           uint64
	Username     string
	Name         string // as stored, for the edit form
	ShownName    string // as read: a built-in account's name in the reader's language
	Role         string
	Status       string
	CreatedAt    string
	Phone        string // in full for admins, masked for staff; empty when none was shared
	Bound        bool
	IdentityID   uint64
	AvatarURL    string
	Nickname     string
	OpenID       string // whole, with a copy button
	UnionID      string
	BoundAt      string
	LastLogin    string
	Past         []IdentityItem // WeChat users it was bound to before
	ActiveTokens int64
	Menus        []EffectiveItem // every menu the account sees or hides, labelled by source
	Audit        []AuditRow
	AuditNav     ListNav
	Error        string // an edit that was refused, shown by the form
	// LastConsoleLogin is when the account last logged in to the console and how
	// (LastConsoleMethod: password or scan); empty when it never did.
	LastConsoleLogin  string
	LastConsoleMethod string
}

// SettingsView is the console's settings page: how staff and admins may log in.
type SettingsView struct {
	ScanLoginRequired bool
	BreakGlassAdmin   string // "" when none is configured
}

// NewUserView is the create-account form.
type NewUserView struct {
	Username string
	Name     string
	Role     string
	// MenuRoles are offered to tick, the default one ticked.
	MenuRoles []RoleChoice
	Error     string
}

// IdentityRowView is one WeChat identity in the WeChat users list.
type IdentityRowView struct {
	ID           uint64
	AvatarURL    string
	Nickname     string
	OpenID       string
	ShortOpenID  string
	Bound        bool
	AccountID    uint64
	Username     string
	PastAccounts []AccountLink // accounts it was bound to, by the audit log
	FirstSeen    string
	LastSeen     string
	BoundAt      string
	UnboundAt    string
}

// IdentityFilter is the WeChat users list's query.
type IdentityFilter struct {
	Q                string
	Bind             string
	SeenFrom, SeenTo string
	Size             int
}

// WechatUsersView is the WeChat users list.
type WechatUsersView struct {
	Filter IdentityFilter
	Rows   []IdentityRowView
	Nav    ListNav
}

// MenuForm is the create or edit form of the menus page.
type MenuForm struct {
	ID       uint64 // 0 to create
	Name     string
	Code     string
	Path     string
	Icon     string
	ParentID uint64
	Sort     string
	Visible  bool
	Error    string            // a refusal that belongs to no one field
	Errors   map[string]string // field name → why it was refused, shown at the field
}

// MenuOption is a choice of parent in the menu form.
type MenuOption struct {
	ID    uint64
	Label string
	Depth int // how deep in the tree, for the indent
}

// MenusView is the menus page.
type MenusView struct {
	Tree    []MenuItem
	Parents []MenuOption
	Form    MenuForm
}

// UserMenusView is the checkbox tree of one account's menus, or of several accounts' at once.
type UserMenusView struct {
	AccountIDs []uint64
	Usernames  []string
	Tree       []MenuItem
	Action     string // where the form posts
	Error      string
}

// MenuRoleRow is one menu role in the menu roles list.
type MenuRoleRow struct {
	ID          uint64
	Name        string
	Description string
	IsDefault   bool
	Members     int64
}

// MenuRolesView is the menu roles list.
type MenuRolesView struct {
	Rows []MenuRoleRow
}

// MenuRoleForm is the create or edit form of a menu role, with its menus as a checkbox tree.
type MenuRoleForm struct {
	ID          uint64 // 0 to create
	Name        string
	Description string
	IsDefault   bool
	Members     int64
	Tree        []MenuItem
	Error       string
	Errors      map[string]string
}

// RoleChoice is a menu role to tick.
type RoleChoice struct {
	ID        uint64
	Name      string
	IsDefault bool
	Checked   bool
}

// AccountMenusView is one account's menu roles, extra menus and hidden menus, as a form.
type AccountMenusView struct {
	AccountID uint64
	Username  string
	Roles     []RoleChoice
	Extras    []MenuItem // Checked: an extra menu
	Hidden    []MenuItem // Checked: a hidden menu
	Error     string
}

// EffectiveItem is a menu of an account's effective tree, labelled with where it comes from.
type EffectiveItem struct {
	Name      string
	Code      string
	Icon      string
	Roles     []string
	Extra     bool
	Ancestor  bool
	Hidden    bool
	Effective bool
	Visible   bool
	Children  []EffectiveItem
}

// BulkMenusView is the bulk change of menus over the users a filter matches.
type BulkMenusView struct {
	Filter  url.Values // the users list's filter, as its URL carries it
	Count   int        // accounts matching
	TooMany bool       // more than the most one change may touch
	Max     int
	Action  string
	Actions []string
	Roles   []RoleChoice
	Tree    []MenuItem
	Error   string
}

// AuditFilter is the audit page's query.
type AuditFilter struct {
	Actor    string
	Action   string
	Target   string
	From, To string
	Size     int
}

// AuditView is the audit page.
type AuditView struct {
	Filter  AuditFilter
	Actions []string
	Rows    []AuditRow
	Nav     ListNav
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

// IdentityURL is the WeChat users list searched for one openid.
func IdentityURL(openid string) string { return "/admin/wechat-users?q=" + url.QueryEscape(openid) }

// UserURL is an account's console page.
func UserURL(id uint64) string { return "/admin/users/" + itoa(id) }

// joinNames lists the users a bulk form is for, shortened past five.
func joinNames(l Locale, names []string) string {
	switch {
	case len(names) == 0:
		return l.T("console.user_menus.nobody")
	case len(names) <= 5:
		return strings.Join(names, l.T("console.list.separator"))
	}
	return l.Tf("console.user_menus.names_and_others", map[string]any{
		"First": names[0], "Second": names[1], "Others": l.Number(int64(len(names) - 2)),
	})
}

// actionName is an audit action as people read it; an action the catalog does not know yet
// shows its code.
func actionName(l Locale, action string) string {
	key := "console.action." + action
	if !l.Tr.Has(key) {
		return action
	}
	return l.T(key)
}

func menuFormAction(id uint64) string {
	if id == 0 {
		return "/admin/menus"
	}
	return "/admin/menus/" + itoa(id)
}

// ScanLoginView is the login page's scan tab: the request's code and where it stands.
type ScanLoginView struct {
	Scene     string
	Next      string
	ExpiresAt time.Time
	Status    ScanLoginStatus
	Sandbox   bool // WeChat is simulated: the code is a plain QR code the simulator scans
}

// ScanLoginStatus is the part of the scan tab that polls: waiting, scanned, confirmed,
// completed, cancelled or expired.
type ScanLoginStatus struct {
	Scene     string
	Next      string
	State     string
	ScannedBy string // the scanning account's display name
	Error     string // a refusal, already in the reader's language
}

// Polls reports whether the page should keep asking where the request stands.
func (s ScanLoginStatus) Polls() bool {
	return s.State == "waiting" || s.State == "scanned" || s.State == "confirmed"
}

// PollURL is where the status is asked for, and where the confirmed login is completed.
func (s ScanLoginStatus) PollURL() string { return "/admin/login/scan/" + s.Scene }

// RefreshURL opens a new request for the same destination.
func (s ScanLoginStatus) RefreshURL() string { return ScanLoginURL(s.Next) }

// ScanLoginURL is the scan tab for a post-login destination.
func ScanLoginURL(next string) string {
	if next == "" || next == "/admin/" {
		return "/admin/login/scan"
	}
	return "/admin/login/scan?next=" + url.QueryEscape(next)
}

// PasswordLoginURL is the password tab for a post-login destination.
func PasswordLoginURL(next string) string {
	if next == "" || next == "/admin/" {
		return "/admin/login"
	}
	return "/admin/login?next=" + url.QueryEscape(next)
}

// ListURL is the users list with the filter the change is over.
func (v BulkMenusView) ListURL() string {
	if q := v.Filter.Encode(); q != "" {
		return "/admin/users?" + q
	}
	return "/admin/users"
}

// FormField is a hidden field of a form.
type FormField struct{ Name, Value string }

// FilterFields are the filter as hidden fields, in name order, so that the form's POST acts
// on what the page counted.
func (v BulkMenusView) FilterFields() []FormField {
	var out []FormField
	for _, k := range slices.Sorted(maps.Keys(v.Filter)) {
		for _, val := range v.Filter[k] {
			out = append(out, FormField{Name: k, Value: val})
		}
	}
	return out
}

func menuRoleFormAction(id uint64) string {
	if id == 0 {
		return "/admin/menu-roles"
	}
	return "/admin/menu-roles/" + itoa(id)
}

// indent is the parent picker's prefix for a menu at depth.
func indent(depth int) string {
	if depth == 0 {
		return ""
	}
	return strings.Repeat("\u00a0\u00a0\u00a0", depth-1) + "\u00a0└\u00a0"
}

func itoaInt(n int) string { return strconv.Itoa(n) }

// invalidIf is aria-invalid for a field whose value was refused.
func invalidIf(errs map[string]string, field string) string {
	if errs[field] != "" {
		return "true"
	}
	return ""
}
