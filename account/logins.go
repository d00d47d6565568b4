package account

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"wxbind/models"
)

// UserInfo is what the mini-program is told about its logged-in user.
type UserInfo struct {
	UserID    uint64 `json:"userId"`
	Username  string `json:"username"`
	Name      string `json:"name"`
	NickName  string `json:"nickName"`
	AvatarURL string `json:"avatarUrl"`
	OpenID    string `json:"openId"`
	// Phone is the number the user shared through getPhoneNumber (digits, no country code);
	// empty until then.
	Phone       string `json:"phone"`
	CountryCode string `json:"countryCode"`
}

// Login is a freshly issued login token with what the mini-program shows after login.
type Login struct {
	Token     string
	ExpiresIn int64 // seconds
	UserInfo  UserInfo
	MenuList  []MenuNode
	// JSON is UserInfo and MenuList encoded, as the answer carries them.
	JSON InfoJSON
}

// CheckBindResult is either a Login (bound) or an OpenID with a BindTicket (not bound).
type CheckBindResult struct {
	Login      *Login
	OpenID     string
	BindTicket string
}

// Bound reports whether the WeChat user was already bound.
func (r CheckBindResult) Bound() bool { return r.Login != nil }

// CheckBind trades a wx.login code with WeChat and logs the user in when the WeChat identity is
// bound; otherwise it hands out a bind ticket for the bind that follows. Its writes (the
// identity with WeChat's new session_key, the token) go through the login batches: one
// transaction for all the checkBinds that arrive together, committed before any is answered.
// The user's info and menus are read in that transaction too, for the whole batch; so a
// checkBind costs no statement of its own.
func (s *Service) CheckBind(ctx context.Context, code string) (CheckBindResult, error) {
	sess, err := s.exchange(ctx, code)
	if err != nil {
		return CheckBindResult{}, err
	}
	if len(sess.OpenID) > maxOpenIDLen || len(sess.UnionID) > maxOpenIDLen {
		return CheckBindResult{}, fmt.Errorf("%w: its openid or unionid is longer than %d bytes", ErrWeChatUnavailable, maxOpenIDLen)
	}
	secret := newTokenSecret()
	w, err := s.logins.write(ctx, models.LoginWrite{
		OpenID: sess.OpenID, UnionID: sess.UnionID, SessionKeySealed: s.keys.seal(sess.SessionKey, sess.OpenID),
		TokenHash: hashToken(secret),
	})
	if err != nil {
		return CheckBindResult{}, err
	}
	if w.Identity.AccountID == nil {
		return CheckBindResult{OpenID: w.Identity.OpenID, BindTicket: s.issueTicket(w.Identity)}, nil
	}
	if w.TokenID == 0 { // bound to an account that is not active
		return CheckBindResult{}, ErrAccountDisabled
	}
	login := &Login{
		Token:     strconv.FormatUint(w.TokenID, 10) + "." + secret,
		ExpiresIn: int64(s.tokenTTL.Seconds()),
		UserInfo:  userInfo(w.Account, w.Identity),
	}
	login.MenuList = menuTree(w.Menus)
	// Read with the counters, in one transaction: the view is what they stand for, and Info
	// on this instance can answer from it.
	login.JSON = s.infoViews.put(w.Check, Principal{
		AccountID: w.Account.ID, IdentityID: w.Identity.ID, Role: w.Account.Role, User: login.UserInfo}, login.MenuList)
	return CheckBindResult{Login: login}, nil
}

// maxOpenIDLen is the widest openid or unionid the schema stores (VARCHAR(128)); WeChat's are
// 28 characters. Checked before the login batches, where such a row would fail its batch.
const maxOpenIDLen = 128

// BindRequest is a bind as the mini-program's login page sends it. The openid comes from
// BindTicket or from a fresh Code, never from OpenID alone.
type BindRequest struct {
	BindTicket string
	Code       string
	OpenID     string // optional; must agree with the ticket or code
	Username   string
	Password   string
	NickName   *string
	AvatarURL  *string
}

// Bind binds the WeChat user to the account whose username and password were given, and logs
// them in. A wrong password leaves the ticket usable until it expires.
func (s *Service) Bind(ctx context.Context, req BindRequest, actor Actor) (*Login, error) {
	if req.Username == "" || req.Password == "" {
		return nil, invalidKey("username", "input.credentials_missing", nil, "username and password are both required")
	}
	avatar, err := s.validateProfile(req.NickName, req.AvatarURL)
	if err != nil {
		return nil, err
	}
	req.AvatarURL = avatar
	ident, ticket, err := s.bindingIdentity(ctx, req)
	if err != nil {
		return nil, err
	}
	if err := s.passwordLockout(ctx, req.Username, actor.IP); err != nil {
		return nil, err
	}
	acct, err := s.verifyPassword(ctx, req.Username, req.Password)
	if errors.Is(err, ErrWrongCredentials) {
		s.audit(ctx, s.store, Actor{Name: req.Username, IP: actor.IP}, ActionBindFailed, loginTarget(req.Username),
			Detail{"Username": req.Username, "IdentityID": ident.ID, "OpenID": ident.OpenID})
	}
	if err != nil {
		return nil, err
	}

	var login *Login
	err = s.store.Transaction(ctx, func(tx *models.Store) error {
		now := s.clock()
		if ticket != nil {
			if err := tx.SpendBindTicket(ctx, ticket.ID, ticket.ExpiresAt, now); err != nil {
				if errors.Is(err, models.ErrDuplicate) {
					return ErrTicketUsed
				}
				return err
			}
		}
		if other, err := tx.IdentityOfAccount(ctx, ident.AppID, acct.ID); err == nil && other.ID != ident.ID {
			return ErrAccountBound
		} else if err != nil && !errors.Is(err, models.ErrNotFound) {
			return err
		}
		bound, err := tx.BindIdentity(ctx, ident.ID, acct.ID, now)
		if errors.Is(err, models.ErrDuplicate) {
			return ErrAccountBound // a concurrent bind of this account won
		}
		if err != nil {
			return err
		}
		if !bound {
			return ErrIdentityBound
		}
		ident.AccountID = &acct.ID
		if err := s.giveDefaultMenuRole(ctx, tx, acct); err != nil {
			return err
		}
		if req.NickName != nil || req.AvatarURL != nil {
			ident.Nickname, ident.AvatarURL = pick(req.NickName, ident.Nickname), pick(req.AvatarURL, ident.AvatarURL)
			if err := tx.UpdateIdentityProfile(ctx, ident.ID, ident.Nickname, ident.AvatarURL, now); err != nil {
				return err
			}
		}
		if login, err = s.issueLogin(ctx, tx, acct, ident); err != nil {
			return err
		}
		return s.writeAudit(ctx, tx, Actor{AccountID: &acct.ID, Name: acct.Username, IP: actor.IP}, ActionBind,
			IdentityTarget(ident.ID), Detail{"AccountID": acct.ID, "Username": acct.Username, "OpenID": ident.OpenID})
	})
	if err != nil {
		return nil, err
	}
	if err := s.fillMenus(ctx, login); err != nil {
		return nil, err
	}
	return login, nil
}

// verifyPassword checks the credentials in constant-ish time and the account's status.
func (s *Service) verifyPassword(ctx context.Context, username, password string) (models.Account, error) {
	acct, err := s.store.AccountByUsername(ctx, username)
	if errors.Is(err, models.ErrNotFound) {
		_ = bcrypt.CompareHashAndPassword(s.dummyHash(), []byte(password))
		return models.Account{}, ErrWrongCredentials
	}
	if err != nil {
		return models.Account{}, err
	}
	if bcrypt.CompareHashAndPassword([]byte(acct.PasswordHash), []byte(password)) != nil {
		return models.Account{}, ErrWrongCredentials
	}
	if acct.Status != models.StatusActive {
		return models.Account{}, ErrAccountDisabled
	}
	return acct, nil
}

func (s *Service) fillMenus(ctx context.Context, login *Login) error {
	menus, err := s.MenuTree(ctx, login.UserInfo.UserID)
	login.MenuList, login.JSON = menus, encodeInfo(login.UserInfo, menus)
	return err
}

func userInfo(acct models.Account, ident models.WechatIdentity) UserInfo {
	return UserInfo{
		UserID: acct.ID, Username: acct.Username, Name: acct.Name,
		NickName: ident.Nickname, AvatarURL: ident.AvatarURL, OpenID: ident.OpenID,
		Phone: acct.Phone, CountryCode: acct.PhoneCountryCode,
	}
}

// ConsoleLogin checks a console login. Role user and disabled accounts are refused exactly like
// a wrong password; failures are audited with their real reason and, past the limits of
// passwordLockout, refused or slowed before the password is even checked. While the policy
// requires scan login (ConsolePolicy), only the break-glass admin's password is checked.
func (s *Service) ConsoleLogin(ctx context.Context, username, password, ip string) (Account, error) {
	username = strings.TrimSpace(username)
	if username == "" || password == "" {
		return Account{}, invalidKey("username", "input.credentials_missing", nil, "enter both username and password")
	}
	if tooLongForUsername(username) || len(password) > MaxPasswordLen {
		return Account{}, ErrWrongCredentials
	}
	// While scan login is required only the break-glass admin's password is checked at all:
	// everyone else gets the same answer, which tells a guesser nothing about the account or
	// the password, and spends no lockout budget of the break-glass admin's address.
	if !s.isBreakGlass(username) {
		if p, err := s.ConsolePolicy(ctx); err != nil || p.ScanLoginRequired {
			return Account{}, cmp.Or(err, ErrScanLoginRequired)
		}
	}
	if err := s.passwordLockout(ctx, username, ip); err != nil {
		return Account{}, err
	}
	row, err := s.verifyPassword(ctx, username, password)
	acct := accountOf(row)
	if err == nil && !acct.MayUseConsole() {
		err = ErrNoConsoleAccess
	}
	if err == nil {
		err = s.passwordAllowed(ctx, acct)
	}
	if err != nil {
		if reason := consoleLoginRefusal(err); reason != "" {
			// The audit keeps the real reason; the guesser hears "wrong", so a right password
			// of an account that may not use the console tells them nothing.
			s.audit(ctx, s.store, Actor{IP: ip, Name: username}, ActionConsoleLoginFailed, loginTarget(username), Detail{"Username": username, "Reason": reason})
			err = ErrWrongCredentials
		}
		return Account{}, err
	}
	s.audit(ctx, s.store, Actor{AccountID: &acct.ID, Name: acct.Username, IP: ip}, ActionConsoleLogin, AccountTarget(acct.ID), Detail{"Method": LoginMethodPassword})
	return acct, nil
}

// consoleLoginRefusal names a refused console login for the audit log; "" for a failure that
// is not a refusal, such as a database outage.
func consoleLoginRefusal(err error) string {
	switch {
	case errors.Is(err, ErrWrongCredentials):
		return "wrong_credentials"
	case errors.Is(err, ErrAccountDisabled):
		return "account_disabled"
	case errors.Is(err, ErrNoConsoleAccess):
		return "no_console_access"
	case errors.Is(err, ErrScanLoginRequired):
		return "scan_login_required"
	}
	return ""
}

// ConsoleLogout records the end of the console session of accountID.
func (s *Service) ConsoleLogout(ctx context.Context, accountID uint64, ip string) {
	actor := Actor{AccountID: &accountID, IP: ip}
	if a, err := s.store.AccountByID(ctx, accountID); err == nil {
		actor.Name = a.Username
	}
	s.audit(ctx, s.store, actor, ActionConsoleLogout, AccountTarget(accountID), nil)
}

// ConsoleAccount loads the account behind a console session and checks it may still use the
// console: active, staff or admin, and the same credentials the session was opened with.
func (s *Service) ConsoleAccount(ctx context.Context, id uint64, stamp string) (Account, error) {
	row, err := s.store.AccountByID(ctx, id)
	if errors.Is(err, models.ErrNotFound) {
		return Account{}, ErrUnauthenticated
	}
	if err != nil {
		return Account{}, err
	}
	acct := accountOf(row)
	if acct.Status != StatusActive || acct.CredentialStamp() != stamp {
		return Account{}, ErrUnauthenticated
	}
	if !acct.MayUseConsole() {
		return acct, ErrNoConsoleAccess
	}
	return acct, nil
}
