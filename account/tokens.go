package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"wxbind/models"
)

// Principal is the logged-in mini-program user a token stands for.
type Principal struct {
	TokenID    uint64
	AccountID  uint64
	IdentityID uint64
	Role       string
	User       UserInfo // as of the token check, read in the same statement
}

// Authenticate resolves a login token. Every check is a database read, so a logout, unbind or
// disable on any server instance is honoured by all of them at once.
func (s *Service) Authenticate(ctx context.Context, token string) (Principal, error) {
	p, j, err := s.Info(ctx, token)
	if err == nil && p.User.UserID == 0 { // from a view, which keeps the user's info as JSON only
		err = json.Unmarshal([]byte(j.UserInfo), &p.User)
	}
	return p, err
}

// Info authenticates token and gives the user's info and menus, encoded: the mini-program's most
// frequent call. The token is read by its primary key in one statement with the counters of what
// the user's info shows (see models.LoginCheck); when this instance's cached view of the user
// carries the same counters it is used, else info and menus are read again. So every answer is
// as fresh as the database, on every instance, and most cost one primary-key read and no
// encoding. An answer from a view leaves the Principal's User empty (it is in the JSON);
// Authenticate fills it.
func (s *Service) Info(ctx context.Context, token string) (Principal, InfoJSON, error) {
	id, secret, ok := parseToken(token)
	if !ok {
		return Principal{}, InfoJSON{}, ErrUnauthenticated
	}
	if id == 0 { // a token from before tokens carried their id
		return s.infoByHash(ctx, hashToken(secret))
	}
	now := s.clock()
	chk, err := s.store.LoginByID(ctx, id, now)
	if errors.Is(err, models.ErrNotFound) {
		return Principal{}, InfoJSON{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, InfoJSON{}, err
	}
	if subtle.ConstantTimeCompare([]byte(chk.TokenHash), []byte(hashToken(secret))) != 1 {
		return Principal{}, InfoJSON{}, ErrUnauthenticated
	}
	if v, ok := s.infoViews.get(chk); ok {
		return Principal{TokenID: id, AccountID: chk.AccountID, IdentityID: chk.IdentityID, Role: v.role}, v.json, nil
	}
	l, menus, err := s.store.ActiveLoginByID(ctx, id, now)
	if errors.Is(err, models.ErrNotFound) {
		return Principal{}, InfoJSON{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, InfoJSON{}, err
	}
	// Read after the counters: if a change slipped in between, this view is newer than they
	// say, and the next request, seeing the new counters, reads again.
	p := principalOf(l)
	j := s.infoViews.put(chk, p, menuTree(menus))
	return p, j, nil
}

func (s *Service) infoByHash(ctx context.Context, hash string) (Principal, InfoJSON, error) {
	l, menus, err := s.store.ActiveLoginWithMenus(ctx, hash, s.clock())
	if errors.Is(err, models.ErrNotFound) {
		return Principal{}, InfoJSON{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, InfoJSON{}, err
	}
	p := principalOf(l)
	return p, encodeInfo(p.User, menuTree(menus)), nil
}

func principalOf(l models.ActiveLogin) Principal {
	return Principal{TokenID: l.TokenID, AccountID: l.AccountID, IdentityID: l.IdentityID, Role: l.Role, User: UserInfo{
		UserID: l.AccountID, Username: l.Username, Name: l.Name, NickName: l.Nickname, AvatarURL: l.AvatarURL,
		OpenID: l.OpenID, Phone: l.Phone, CountryCode: l.PhoneCountryCode,
	}}
}

// InfoJSON is a user's info and menus as the mini-program is sent them: the JSON of the
// userInfo and menuList members of the answer. A cached view keeps them encoded, so an answer
// from it costs no encoding, and users with the same menus share one copy of their JSON.
type InfoJSON struct {
	UserInfo string // {"userId":…}
	MenuList string // […]; never null
}

func encodeInfo(u UserInfo, menus []MenuNode) InfoJSON {
	if menus == nil {
		menus = []MenuNode{}
	}
	user, err := json.Marshal(u)
	if err != nil {
		panic(err) // strings and numbers only: cannot fail
	}
	list, err := json.Marshal(menus)
	if err != nil {
		panic(err)
	}
	return InfoJSON{UserInfo: string(user), MenuList: string(list)}
}

// infoView is what Info answers for one user through one WeChat identity, as of the counters
// it was read under.
type infoView struct {
	infoVersion, menusVersion uint64
	role                      string
	json                      InfoJSON
}

// DefaultInfoCacheSize is how many users' info views an instance keeps by default. A full cache
// of 65,536 took the server to 125 MiB resident at a million users (views of about 500 bytes,
// their menus shared, and the collector's headroom), past the 100 MB target; 32,768 full, with
// the serving process's soft memory limit, 88.5 MiB (docs/benchmarks.md).
const DefaultInfoCacheSize = 32768

// maxSharedMenuLists bounds how many distinct menu lists the views share; past it the list of
// shared ones starts again (views keep theirs), so menus that changed do not linger.
const maxSharedMenuLists = 1024

// infoViews caches info views by account and identity, at most max of them; when full, an
// arbitrary one makes room (Go's map order), which keeps the cost of a miss, not of a hit.
type infoViews struct {
	mu    sync.RWMutex
	max   int
	views map[[2]uint64]infoView
	menus map[string]string // each menu list's JSON, once: most users share a role's menus
}

func newInfoViews(max int) *infoViews {
	return &infoViews{max: max, views: make(map[[2]uint64]infoView), menus: make(map[string]string)}
}

func (c *infoViews) get(chk models.LoginCheck) (infoView, bool) {
	if c.max <= 0 {
		return infoView{}, false
	}
	c.mu.RLock()
	v, ok := c.views[[2]uint64{chk.AccountID, chk.IdentityID}]
	c.mu.RUnlock()
	ok = ok && v.infoVersion == chk.InfoVersion && v.menusVersion == chk.MenusVersion
	return v, ok
}

// put encodes a view of p and menus read under chk's counters, keeps it and returns its JSON.
func (c *infoViews) put(chk models.LoginCheck, p Principal, menus []MenuNode) InfoJSON {
	j := encodeInfo(p.User, menus)
	if c.max <= 0 {
		return j
	}
	key := [2]uint64{chk.AccountID, chk.IdentityID}
	c.mu.Lock()
	defer c.mu.Unlock()
	if shared, ok := c.menus[j.MenuList]; ok {
		j.MenuList = shared
	} else {
		if len(c.menus) >= maxSharedMenuLists {
			clear(c.menus)
		}
		c.menus[j.MenuList] = j.MenuList
	}
	if _, ok := c.views[key]; !ok && len(c.views) >= c.max {
		for k := range c.views {
			delete(c.views, k)
			break
		}
	}
	c.views[key] = infoView{infoVersion: chk.InfoVersion, menusVersion: chk.MenusVersion, role: internRole(p.Role), json: j}
	return j
}

// internRole gives the roles there are as constants, so that views do not each hold a copy.
func internRole(r string) string {
	for _, known := range []string{models.RoleUser, models.RoleStaff, models.RoleAdmin} {
		if r == known {
			return known
		}
	}
	return r
}

// Logout kills the token the request came with.
func (s *Service) Logout(ctx context.Context, p Principal) error {
	return s.store.RevokeLoginToken(ctx, p.TokenID, s.clock())
}

// Prune forgets tokens that ended over a month ago, tickets past their expiry, expired console
// sessions and scan login requests an hour past theirs.
func (s *Service) Prune(ctx context.Context) error {
	now := s.clock()
	if _, err := s.store.PruneSpentBindTickets(ctx, now); err != nil {
		return err
	}
	if _, err := s.store.PruneConsoleSessions(ctx, now); err != nil {
		return err
	}
	if _, err := s.store.PruneScanLogins(ctx, now.Add(-time.Hour)); err != nil {
		return err
	}
	_, err := s.store.PruneLoginTokens(ctx, now.Add(-30*24*time.Hour))
	return err
}

// issueLogin creates a token for the bound identity. The menus are filled in after the
// transaction, so that it stays short.
func (s *Service) issueLogin(ctx context.Context, tx *models.Store, acct models.Account, ident models.WechatIdentity) (*Login, error) {
	secret := newTokenSecret()
	now := s.clock()
	row := models.LoginToken{TokenHash: hashToken(secret), AccountID: acct.ID, IdentityID: ident.ID, CreatedAt: now, ExpiresAt: now.Add(s.tokenTTL)}
	if err := tx.CreateLoginToken(ctx, &row); err != nil {
		return nil, fmt.Errorf("storing login token: %w", err)
	}
	return &Login{Token: strconv.FormatUint(row.ID, 10) + "." + secret, ExpiresIn: int64(s.tokenTTL.Seconds()), UserInfo: userInfo(acct, ident)}, nil
}

// A login token is its row's id, a dot and 256 random bits: the id finds the row by primary key
// (the token check is every authenticated request's first read), the random part proves the
// token; only its SHA-256 is stored, so a database read does not yield a usable token. Tokens
// made before ids were added are the random part alone, looked up by their hash.
const tokenBytes = 32

// MaxTokenLen bounds what is accepted as a token before any lookup.
const MaxTokenLen = 128

func newTokenSecret() string {
	b := make([]byte, tokenBytes)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// parseToken splits a token into its row id (0 for a token without one) and its secret, and
// rejects anything issueLogin could not have made before the database sees it.
func parseToken(token string) (id uint64, secret string, ok bool) {
	if len(token) > MaxTokenLen {
		return 0, "", false
	}
	if i := strings.IndexByte(token, '.'); i >= 0 {
		n, err := strconv.ParseUint(token[:i], 10, 64)
		if err != nil || n == 0 || token[:i] != strconv.FormatUint(n, 10) {
			return 0, "", false
		}
		id, token = n, token[i+1:]
	}
	if len(token) != base64.RawURLEncoding.EncodedLen(tokenBytes) {
		return 0, "", false
	}
	if _, err := base64.RawURLEncoding.DecodeString(token); err != nil {
		return 0, "", false
	}
	return id, token, true
}
