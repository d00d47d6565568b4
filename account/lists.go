package account

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"wxbind/models"
)

// The console's lists (accounts, WeChat users, audit log) share how a page is asked for and
// answered: a keyset cursor either way, a page size, and a total that is exact when it is cheap
// to count and estimated when it is not. Their filters are read from, and written back to, the
// list's URL, so a filtered page can be bookmarked and Back works.

// Page sizes a list offers.
var PageSizes = []int{20, 50, 100}

// DefaultPageSize is a list's page size unless the URL asks another of PageSizes.
const DefaultPageSize = 50

// maxQueryLen bounds a search term, in characters.
const maxQueryLen = 64

// ListPage is which page of a list to show: the one after or before a cursor the previous
// answer handed out, or the first.
type ListPage struct {
	After  string
	Before string
	Size   int
}

// ParseListPage reads after=, before= and size= (one of PageSizes).
func ParseListPage(v url.Values) ListPage {
	p := ListPage{After: v.Get("after"), Before: v.Get("before"), Size: DefaultPageSize}
	if p.Before != "" {
		p.After = ""
	}
	if n, err := strconv.Atoi(v.Get("size")); err == nil {
		for _, s := range PageSizes {
			if n == s {
				p.Size = n
			}
		}
	}
	return p
}

// page is p for the store; a cursor that does not decode is the first page.
func (p ListPage) page(desc bool) models.Page {
	out := models.Page{Desc: desc, Limit: p.Size}
	if k, ok := decodeCursor(p.Before); ok {
		out.Before = &k
	} else if k, ok := decodeCursor(p.After); ok {
		out.After = &k
	}
	return out
}

// Cursors are where the previous and next pages start; "" when there is none.
type Cursors struct {
	Prev string
	Next string
}

// cursors of a page read as p asked, whose first and last rows have keys first and last; more
// is whether the store found rows beyond the page in the direction it read.
func cursors(p models.Page, n int, first, last models.Key, more bool) Cursors {
	if n == 0 {
		// Past either end: offer the way back.
		var c Cursors
		if p.After != nil {
			c.Prev = encodeCursor(*p.After)
		}
		if p.Before != nil {
			c.Next = encodeCursor(*p.Before)
		}
		return c
	}
	var c Cursors
	switch {
	case p.Before != nil: // read backwards: more means an earlier page; a later one is where we came from
		c.Next = encodeCursor(last)
		if more {
			c.Prev = encodeCursor(first)
		}
	default:
		if p.After != nil {
			c.Prev = encodeCursor(first)
		}
		if more {
			c.Next = encodeCursor(last)
		}
	}
	return c
}

// A cursor is a row's sort key, opaque to the reader: base64url of its JSON.
type cursorKey struct {
	T  *time.Time `json:"t,omitempty"`
	S  string     `json:"s,omitempty"`
	ID uint64     `json:"i"`
}

func encodeCursor(k models.Key) string {
	c := cursorKey{S: k.Str, ID: k.ID}
	if !k.Time.IsZero() {
		t := k.Time.UTC()
		c.T = &t
	}
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (models.Key, bool) {
	if s == "" || len(s) > 512 {
		return models.Key{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return models.Key{}, false
	}
	var c cursorKey
	if json.Unmarshal(b, &c) != nil || c.ID == 0 {
		return models.Key{}, false
	}
	k := models.Key{Str: c.S, ID: c.ID}
	if c.T != nil {
		k.Time = *c.T
	}
	return k, true
}

// Total is how many rows a list's filter matches; an estimate unless Exact.
type Total struct {
	N       int64
	Exact   bool
	AtLeast bool // more than N; too few samples to say how many more
}

// DateRange is a range of whole days in the console's time zone, as typed (YYYY-MM-DD); either
// end may be open. To is inclusive: the range ends at the end of that day.
type DateRange struct {
	From, To string
	zone     *time.Location
}

const dayLayout = "2006-01-02"

// parseDateRange reads fromKey and toKey; a date that does not parse is dropped.
func parseDateRange(v url.Values, fromKey, toKey string, zone *time.Location) DateRange {
	r := DateRange{zone: zone}
	if _, err := time.ParseInLocation(dayLayout, v.Get(fromKey), zone); err == nil {
		r.From = v.Get(fromKey)
	}
	if _, err := time.ParseInLocation(dayLayout, v.Get(toKey), zone); err == nil {
		r.To = v.Get(toKey)
	}
	return r
}

// bounds are the range as [from, to) instants; zero where open.
func (r DateRange) bounds() (from, to time.Time) {
	zone := r.zone
	if zone == nil {
		zone = time.UTC
	}
	if t, err := time.ParseInLocation(dayLayout, r.From, zone); err == nil {
		from = t.UTC()
	}
	if t, err := time.ParseInLocation(dayLayout, r.To, zone); err == nil {
		to = t.AddDate(0, 0, 1).UTC()
	}
	return from, to
}

func (r DateRange) set(v url.Values, fromKey, toKey string) {
	if r.From != "" {
		v.Set(fromKey, r.From)
	}
	if r.To != "" {
		v.Set(toKey, r.To)
	}
}

// SearchTerm is a search box's text, trimmed, valid text, cut to maxQueryLen characters.
func SearchTerm(q string) string {
	q = strings.TrimSpace(q)
	if !utf8.ValidString(q) {
		return ""
	}
	if utf8.RuneCountInString(q) > maxQueryLen {
		q = string([]rune(q)[:maxQueryLen])
	}
	return q
}

// Account list sorts and orders.
const (
	SortCreated   = models.SortCreated
	SortLastLogin = models.SortLastLogin
	SortUsername  = models.SortUsername
	OrderAsc      = "asc"
	OrderDesc     = "desc"
)

// AccountSorts are the sorts the users list offers.
var AccountSorts = []string{SortCreated, SortLastLogin, SortUsername}

// AccountFilter is which accounts a console list shows, exports or acts on, in which order:
// one type for the users list, its CSV export and bulk actions over it, read from the list's URL
// by ParseAccountFilter and written back by Values.
type AccountFilter struct {
	Query   string // prefix of username, name, nickname, openid or unionid; a whole openid too
	Role    string // empty for any
	Status  string // empty for any
	Bind    string // BindAny, BindBound or BindUnbound
	Created DateRange
	Login   DateRange // last WeChat login; a range keeps only bound accounts
	Sort    string    // one of AccountSorts; SortLastLogin lists bound accounts only
	Order   string    // OrderAsc or OrderDesc; "" is the sort's natural order

	// MenuRole is the id of a menu role the accounts have; 0 for any. One that no longer exists
	// matches nobody, in the list, its count, its export and bulk changes alike.
	MenuRole uint64
}

// ParseAccountFilter reads the users list's filter from its URL: q, role, status, bind,
// menu_role (a menu role's id), created_from, created_to, login_from, login_to (days in zone), sort and order. A value that is
// not one the list offers is dropped rather than refused: a stale bookmark still opens.
func ParseAccountFilter(v url.Values, zone *time.Location) AccountFilter {
	f := AccountFilter{Query: SearchTerm(v.Get("q")), Role: v.Get("role"), Status: v.Get("status"), Bind: v.Get("bind"),
		Created: parseDateRange(v, "created_from", "created_to", zone), Login: parseDateRange(v, "login_from", "login_to", zone),
		Sort: v.Get("sort"), Order: v.Get("order")}
	if !ValidRole(f.Role) {
		f.Role = ""
	}
	if f.Status != StatusActive && f.Status != StatusDisabled {
		f.Status = ""
	}
	if f.Bind != BindBound && f.Bind != BindUnbound {
		f.Bind = BindAny
	}
	if id, err := strconv.ParseUint(v.Get("menu_role"), 10, 64); err == nil {
		f.MenuRole = id
	}
	if f.Sort != SortLastLogin && f.Sort != SortUsername || f.Sort == SortLastLogin && f.Bind == BindUnbound {
		f.Sort = SortCreated // unbound accounts have no last login to sort by
	}
	if f.Order != OrderAsc && f.Order != OrderDesc {
		f.Order = ""
	}
	return f
}

// Values is the filter as the list's URL carries it: only what differs from the default.
func (f AccountFilter) Values() url.Values {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("q", f.Query)
	set("role", f.Role)
	set("status", f.Status)
	set("bind", f.Bind)
	if f.MenuRole != 0 {
		v.Set("menu_role", strconv.FormatUint(f.MenuRole, 10))
	}
	f.Created.set(v, "created_from", "created_to")
	f.Login.set(v, "login_from", "login_to")
	if f.Sort != SortCreated {
		set("sort", f.Sort)
	}
	set("order", f.Order)
	return v
}

// Desc reports whether the list runs from the greatest value down: newest and latest login
// first by default, usernames A to Z.
func (f AccountFilter) Desc() bool {
	if f.Order != "" {
		return f.Order == OrderDesc
	}
	return f.Sort != SortUsername
}

func (f AccountFilter) store(appid string) models.AccountFilter {
	out := models.AccountFilter{AppID: appid, Query: f.Query, Role: f.Role, Status: f.Status, Bind: f.Bind, MenuRoleID: f.MenuRole}
	if f.Sort == SortLastLogin {
		// Only bound accounts have a last login, so that order lists only them: the total,
		// the export and a bulk change over the filter count the same accounts.
		out.Bind = BindBound
	}
	out.CreatedFrom, out.CreatedTo = f.Created.bounds()
	out.LoginFrom, out.LoginTo = f.Login.bounds()
	return out
}

// AccountList is a page of the users list.
type AccountList struct {
	Rows []AccountSummary
	Cursors
}

// ListAccounts is a page of the accounts matching f, in f's order.
func (s *Service) ListAccounts(ctx context.Context, f AccountFilter, p ListPage) (AccountList, error) {
	page := p.page(f.Desc())
	rows, more, err := s.store.ListAccounts(ctx, f.store(s.AppID()), models.AccountPage{Page: page, Sort: f.Sort})
	if err != nil {
		return AccountList{}, err
	}
	out := AccountList{Rows: make([]AccountSummary, len(rows))}
	for i, r := range rows {
		out.Rows[i] = accountSummaryOf(r)
	}
	var first, last models.Key
	if len(rows) > 0 {
		first, last = models.AccountKey(rows[0], f.Sort), models.AccountKey(rows[len(rows)-1], f.Sort)
	}
	out.Cursors = cursors(page, len(rows), first, last, more)
	return out, nil
}

// CountAccounts is how many accounts match f.
func (s *Service) CountAccounts(ctx context.Context, f AccountFilter) (Total, error) {
	c, err := s.store.CountAccountsMatching(ctx, f.store(s.AppID()))
	return Total{N: c.N, Exact: c.Exact, AtLeast: c.AtLeast}, err
}

// IdentityFilter is which WeChat users the console lists: q, bind, seen_from, seen_to (first
// seen, days in the console's zone).
type IdentityFilter struct {
	Query string
	Bind  string
	Seen  DateRange
}

// ParseIdentityFilter reads the WeChat users list's filter from its URL.
func ParseIdentityFilter(v url.Values, zone *time.Location) IdentityFilter {
	f := IdentityFilter{Query: SearchTerm(v.Get("q")), Bind: v.Get("bind"), Seen: parseDateRange(v, "seen_from", "seen_to", zone)}
	if f.Bind != BindBound && f.Bind != BindUnbound {
		f.Bind = BindAny
	}
	return f
}

// Values is the filter as the list's URL carries it.
func (f IdentityFilter) Values() url.Values {
	v := url.Values{}
	if f.Query != "" {
		v.Set("q", f.Query)
	}
	if f.Bind != "" {
		v.Set("bind", f.Bind)
	}
	f.Seen.set(v, "seen_from", "seen_to")
	return v
}

func (f IdentityFilter) store(appid string) models.IdentityFilter {
	out := models.IdentityFilter{AppID: appid, Query: f.Query, Bind: f.Bind}
	out.SeenFrom, out.SeenTo = f.Seen.bounds()
	return out
}

// IdentityList is a page of the WeChat users list.
type IdentityList struct {
	Rows []Identity
	Cursors
}

// ListIdentities is a page of the WeChat users seen, bound or not, newest first.
func (s *Service) ListIdentities(ctx context.Context, f IdentityFilter, p ListPage) (IdentityList, error) {
	page := p.page(true)
	rows, more, err := s.store.ListIdentities(ctx, f.store(s.AppID()), page)
	if err != nil {
		return IdentityList{}, err
	}
	out := IdentityList{Rows: make([]Identity, len(rows))}
	for i, r := range rows {
		out.Rows[i] = identityOf(r.WechatIdentity)
		out.Rows[i].Username = r.Username
	}
	var first, last models.Key
	if len(rows) > 0 {
		first, last = models.IdentityKey(rows[0]), models.IdentityKey(rows[len(rows)-1])
	}
	out.Cursors = cursors(page, len(rows), first, last, more)
	return out, nil
}

// CountIdentities is how many WeChat users match f.
func (s *Service) CountIdentities(ctx context.Context, f IdentityFilter) (Total, error) {
	c, err := s.store.CountIdentitiesMatching(ctx, f.store(s.AppID()))
	return Total{N: c.N, Exact: c.Exact, AtLeast: c.AtLeast}, err
}

// exportBatch is how many accounts an export reads per query: memory stays bounded by it
// however many rows the filter matches.
const exportBatch = 500

// ExportAccounts hands row every account matching f, in f's order, a batch at a time, and
// audits the export with its filter and the number of rows handed out (also when row or the
// database stopped it early).
func (s *Service) ExportAccounts(ctx context.Context, actor Actor, f AccountFilter, row func(AccountSummary) error) (int64, error) {
	var n int64
	err := s.eachAccount(ctx, f, func(a AccountSummary) error {
		n++
		return row(a)
	})
	// The download may have been cut off by the reader: the rows sent are still recorded.
	s.audit(context.WithoutCancel(ctx), s.store, actor, ActionUsersExport, "", Detail{"Filter": f.Values().Encode(), "Rows": n})
	return n, err
}

func (s *Service) eachAccount(ctx context.Context, f AccountFilter, fn func(AccountSummary) error) error {
	sf := f.store(s.AppID())
	p := models.AccountPage{Page: models.Page{Desc: f.Desc(), Limit: exportBatch}, Sort: f.Sort}
	for {
		rows, more, err := s.store.ListAccounts(ctx, sf, p)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if err := fn(accountSummaryOf(r)); err != nil {
				return err
			}
		}
		if !more || len(rows) == 0 {
			return nil
		}
		k := models.AccountKey(rows[len(rows)-1], f.Sort)
		p.After = &k
	}
}
