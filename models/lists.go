package models

import (
	"context"
	"math"
	"time"

	"gorm.io/gorm"
)

// Key is where a list page starts or ends: the sort value of a row (a time or a string, for a
// sort by id neither) and its id, which breaks ties.
type Key struct {
	Time time.Time
	Str  string
	ID   uint64
}

// Page is which page of a list to read, by keyset, never by OFFSET: a page costs the same at a
// million rows as at the first. With After it is the rows after that key in the list's order;
// with Before, the rows before it (the previous page), still returned in the list's order.
type Page struct {
	Desc   bool
	After  *Key
	Before *Key
	Limit  int
}

// backward reports whether the rows are read against the list's order (a previous page).
func (p Page) backward() bool { return p.Before != nil }

// cursor is the page's starting key, either way.
func (p Page) cursor() *Key {
	if p.Before != nil {
		return p.Before
	}
	return p.After
}

// readDesc is the direction the rows are read in.
func (p Page) readDesc() bool { return p.Desc != p.backward() }

// keyset orders q by col (then by idCol) in the page's reading direction and keeps the rows
// past the cursor; val is the cursor's value of col. An empty col sorts by idCol alone; a
// unique col needs no tie-break.
func (p Page) keyset(q *gorm.DB, col, idCol string, val any, unique bool) *gorm.DB {
	cmp, dir := ">", " ASC"
	if p.readDesc() {
		cmp, dir = "<", " DESC"
	}
	if k := p.cursor(); k != nil {
		switch {
		case col == "":
			q = q.Where(idCol+" "+cmp+" ?", k.ID)
		case unique:
			q = q.Where(col+" "+cmp+" ?", val)
		default:
			// col >= val (or <=) first, a range every engine reads from the index, then the
			// tie-break; a row comparison or a bare OR is not read from an index by MariaDB.
			q = q.Where(col+" "+cmp+"= ? AND ("+col+" "+cmp+" ? OR "+idCol+" "+cmp+" ?)", val, val, k.ID)
		}
	}
	if col != "" {
		q = q.Order(col + dir)
	}
	if col == "" || !unique {
		q = q.Order(idCol + dir)
	}
	// One more row than the page, so the caller knows whether there is another page.
	return q.Limit(limit(p.Limit) + 1)
}

// trim cuts rows read by keyset to the page and puts them in the list's order; more reports
// whether there were rows beyond the page in the reading direction.
func trim[T any](p Page, rows []T) (page []T, more bool) {
	n := limit(p.Limit)
	if len(rows) > n {
		rows, more = rows[:n], true
	}
	if p.backward() {
		for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
			rows[i], rows[j] = rows[j], rows[i]
		}
	}
	return rows, more
}

// Count is how many rows a filter matches: exact up to a bound that is cheap to count, past it
// an estimate.
type Count struct {
	N     int64
	Exact bool
	// AtLeast: more than N match, but the samples found too few matches to estimate how many
	// (a filter whose matches sit together, such as one day of a million rows).
	AtLeast bool
}

// minSampled is how many sampled matches, in at least minWindowsHit windows, an estimate
// needs to be worth showing.
const (
	minSampled    = 20
	minWindowsHit = 3
)

// exactCountBound is how many matching rows a list counts exactly; past it the count is
// estimated, since an exact count of a million filtered rows takes seconds on SQLite.
const exactCountBound = 10_000

// rangeCountBound is the bound instead for a date range that one index answers alone (no other
// condition, or one the index starts with). Its matches sit together in id order (one day of a
// million rows falls in one or two sampled windows), so the samples cannot estimate it; but
// counting index entries costs a few milliseconds per hundred thousand on both databases,
// against tens for rows reached through a join or an EXISTS.
const rangeCountBound = 100_000

// access is how a list's query reaches its main table, where the planner left alone chooses
// badly.
type access int

const (
	plannerChoice access = iota
	// byTime: a list page read in the order of a time index (first seen, written). MySQL is
	// made to read the range of that index that a date range or a cursor sets: MariaDB
	// otherwise reads the index from the end by its equality alone (appid, action), row by row
	// to the range (100–400 ms for a day of a million, 135–170 ms for a page from the middle).
	byTime
	// inWindow: an estimate's id window, read by primary key (SQLite: NOT INDEXED). Without
	// statistics — the server never runs ANALYZE — SQLite reads each window through the
	// filter's own index instead, the whole of it: 300–700 ms for ten windows at a million.
	inWindow
)

// table is "name AS alias" as a reaches it.
func (s *Store) table(name, alias string, a access) string {
	t := name + " AS " + alias
	if a == inWindow && s.db.Dialector.Name() == DriverSQLite {
		t += " NOT INDEXED"
	}
	return t
}

// ranged reports whether a [from, to) range has an end: a zero end is open.
func ranged(from, to time.Time) bool { return !from.IsZero() || !to.IsZero() }

// within keeps the rows of q whose col is in [from, to); a zero end leaves that side open.
func within(q *gorm.DB, col string, from, to time.Time) *gorm.DB {
	if !from.IsZero() {
		q = q.Where(col+" >= ?", from)
	}
	if !to.IsZero() {
		q = q.Where(col+" < ?", to)
	}
	return q
}

// notIndexed is col in a condition that must not choose the index, on SQLite (+col). Without
// statistics SQLite prefers an index on appid's equality to a search's prefix range: the
// unionid branch read every identity through (appid, account_id) (85 ms at a million, twice a
// page: list and total), the username and name branches of the WeChat users' search every
// identity through the login index (800 ms) instead of the accounts' prefix range.
func (s *Store) notIndexed(col string) string {
	if s.db.Dialector.Name() == DriverSQLite {
		return "+" + col
	}
	return col
}

// countUpTo counts the rows of q (a SELECT of one column), stopping at bound+1.
func countUpTo(q *gorm.DB, db *gorm.DB, bound int) (int64, error) {
	var n int64
	err := db.Raw("SELECT COUNT(*) FROM (?) AS capped", q.Limit(bound+1)).Scan(&n).Error
	return n, err
}

// countMatching counts the rows of q (a SELECT of one column) exactly up to bound, past it
// estimates them from table's id windows (matching(lo, hi) is the filter within ids [lo, hi]).
func (s *Store) countMatching(ctx context.Context, q *gorm.DB, bound int, table string, matching func(lo, hi uint64) *gorm.DB) (Count, error) {
	n, err := countUpTo(q, s.db.WithContext(ctx), bound)
	if err != nil || n <= int64(bound) {
		return Count{N: n, Exact: true}, err
	}
	return s.estimate(ctx, table, bound, matching)
}

// Estimating a count: estimateSamples windows of estimateWindow ids, spread evenly over the
// table's id range, are counted exactly and scaled up. Each window is a primary-key range, so
// the estimate reads a bounded number of rows however large the table.
const (
	estimateSamples = 10
	estimateWindow  = 2_000
)

// estimate scales the matches found in sampled id windows of table (matching(lo, hi) is the
// filter's query within ids [lo, hi]) to the table's id range; bound is how many were counted
// exactly, the "more than" when the samples say too little.
func (s *Store) estimate(ctx context.Context, table string, bound int, matching func(lo, hi uint64) *gorm.DB) (Count, error) {
	var span struct{ Lo, Hi uint64 }
	// Two subqueries: SQLite reads a lone MIN or MAX from the index end, but both in one SELECT
	// from the whole table (1.7 s at a million rows).
	if err := s.db.WithContext(ctx).Raw("SELECT COALESCE((SELECT MIN(id) FROM " + table + "), 0) AS lo, COALESCE((SELECT MAX(id) FROM " + table + "), 0) AS hi").Scan(&span).Error; err != nil {
		return Count{}, err
	}
	ids := span.Hi - span.Lo + 1
	if span.Hi == 0 || ids <= estimateSamples*estimateWindow {
		var n int64
		err := s.db.WithContext(ctx).Raw("SELECT COUNT(*) FROM (?) AS m", matching(span.Lo, span.Hi).Select("1")).Scan(&n).Error
		return Count{N: n, Exact: true}, err
	}
	step := ids / estimateSamples
	var found, hit int64
	for i := range uint64(estimateSamples) {
		// Each window at a different offset in its stretch (golden-ratio steps), so that gaps
		// in the ids that recur regularly — InnoDB leaves one after each bulk insert — cannot
		// line up with every window and bias the estimate.
		off := uint64(math.Mod(float64(i+1)*0.6180339887, 1) * float64(step-estimateWindow))
		lo := span.Lo + i*step + off
		var n int64
		if err := s.db.WithContext(ctx).Raw("SELECT COUNT(*) FROM (?) AS m", matching(lo, lo+estimateWindow-1).Select("1")).Scan(&n).Error; err != nil {
			return Count{}, err
		}
		found += n
		if n > 0 {
			hit++
		}
	}
	// Matches in only a window or two sit together (one day of a million rows): scaling them up
	// says nothing about the rest, so say only "more than".
	if found < minSampled || hit < minWindowsHit {
		return Count{N: int64(bound), AtLeast: true}, nil
	}
	est := float64(found) / float64(estimateSamples*estimateWindow) * float64(ids)
	return Count{N: roundSignificant(int64(est), 2), Exact: false}, nil
}

// roundSignificant keeps n's first digits: an estimate should not look precise.
func roundSignificant(n int64, digits int) int64 {
	scale := int64(1)
	for m := n; m >= pow10(digits); m /= 10 {
		scale *= 10
	}
	return (n + scale/2) / scale * scale
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}
