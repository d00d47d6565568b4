package account

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"wxbind/models"
)

// Audit actions written by the login rules.
const (
	ActionBind   = "bind"
	ActionUnbind = "unbind"
)

// Field limits, in characters.
const (
	MaxNicknameLen  = 64
	MaxAvatarURLLen = 1024
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
// bound; otherwise it hands out a bind ticket for the bind that follows.
func (s *Service) CheckBind(ctx context.Context, code string) (CheckBindResult, error) {
	sess, err := s.exchange(ctx, code)
	if err != nil {
		return CheckBindResult{}, err
	}
	ident, err := s.recordIdentity(ctx, sess)
	if err != nil {
		return CheckBindResult{}, err
	}
	if ident.AccountID == nil {
		return CheckBindResult{OpenID: ident.OpenID, BindTicket: s.issueTicket(ident)}, nil
	}
	acct, err := s.store.AccountByID(ctx, *ident.AccountID)
	if err != nil {
		return CheckBindResult{}, err
	}
	if acct.Status != models.StatusActive {
		return CheckBindResult{}, ErrAccountDisabled
	}
	// The upsert above already recorded this login on the identity, so issuing the token is a
	// single insert: four statements in all for a bound user's checkBind.
	login, err := s.issueLogin(ctx, s.store, acct, ident)
	if err != nil {
		return CheckBindResult{}, err
	}
	if err := s.fillMenus(ctx, login); err != nil {
		return CheckBindResult{}, err
	}
	return CheckBindResult{Login: login}, nil
}

func (s *Service) issueTicket(ident models.WechatIdentity) string {
	return s.keys.signTicket(BindTicket{
		ID: newTicketID(), IdentityID: ident.ID, OpenID: ident.OpenID,
		ExpiresAt: s.clock().Add(s.ticketTTL),
	})
}

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
	if err := validateProfile(req.NickName, req.AvatarURL); err != nil {
		return nil, err
	}
	ident, ticket, err := s.bindingIdentity(ctx, req)
	if err != nil {
		return nil, err
	}
	if err := s.passwordLockout(ctx, req.Username, actor.IP); err != nil {
		return nil, err
	}
	acct, err := s.verifyPassword(ctx, req.Username, req.Password)
	if errors.Is(err, ErrWrongCredentials) {
		s.audit(ctx, s.store, Actor{Name: req.Username, IP: actor.IP}, ActionBindFailed, loginTarget(req.Username), IdentityTarget(ident.ID))
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
			IdentityTarget(ident.ID), "mini-program bind as "+acct.Username)
	})
	if err != nil {
		return nil, err
	}
	if err := s.fillMenus(ctx, login); err != nil {
		return nil, err
	}
	return login, nil
}

// bindingIdentity finds the WeChat identity a bind is for, from its ticket or a fresh code.
func (s *Service) bindingIdentity(ctx context.Context, req BindRequest) (models.WechatIdentity, *BindTicket, error) {
	switch {
	case req.BindTicket != "":
		t, err := s.keys.verifyTicket(req.BindTicket, s.clock())
		if err != nil {
			return models.WechatIdentity{}, nil, err
		}
		if req.OpenID != "" && req.OpenID != t.OpenID {
			return models.WechatIdentity{}, nil, ErrOpenIDMismatch
		}
		ident, err := s.store.IdentityByID(ctx, t.IdentityID)
		if errors.Is(err, models.ErrNotFound) || (err == nil && (ident.OpenID != t.OpenID || ident.AppID != s.AppID())) {
			return models.WechatIdentity{}, nil, ErrTicketInvalid
		}
		return ident, &t, err
	case req.Code != "":
		sess, err := s.exchange(ctx, req.Code)
		if err != nil {
			return models.WechatIdentity{}, nil, err
		}
		if req.OpenID != "" && req.OpenID != sess.OpenID {
			return models.WechatIdentity{}, nil, ErrOpenIDMismatch
		}
		ident, err := s.recordIdentity(ctx, sess)
		return ident, nil, err
	}
	return models.WechatIdentity{}, nil, invalid("bindTicket", "send the bindTicket from checkBind, or a fresh wx.login code")
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

// issueLogin creates a token for the bound identity. The menus are filled in after the
// transaction, so that it stays short.
func (s *Service) issueLogin(ctx context.Context, tx *models.Store, acct models.Account, ident models.WechatIdentity) (*Login, error) {
	token, hash := newToken()
	now := s.clock()
	row := models.LoginToken{TokenHash: hash, AccountID: acct.ID, IdentityID: ident.ID, CreatedAt: now, ExpiresAt: now.Add(s.tokenTTL)}
	if err := tx.CreateLoginToken(ctx, &row); err != nil {
		return nil, fmt.Errorf("storing login token: %w", err)
	}
	return &Login{Token: token, ExpiresIn: int64(s.tokenTTL.Seconds()), UserInfo: userInfo(acct, ident)}, nil
}

func (s *Service) fillMenus(ctx context.Context, login *Login) error {
	menus, err := s.MenuTree(ctx, login.UserInfo.UserID)
	login.MenuList = menus
	return err
}

func userInfo(acct models.Account, ident models.WechatIdentity) UserInfo {
	return UserInfo{
		UserID: acct.ID, Username: acct.Username, Name: acct.Name,
		NickName: ident.Nickname, AvatarURL: ident.AvatarURL, OpenID: ident.OpenID,
		Phone: acct.Phone, CountryCode: acct.PhoneCountryCode,
	}
}

func pick(v *string, old string) string {
	if v == nil {
		return old
	}
	return *v
}

// validateProfile checks nickname and avatar URL as the mini-program sends them. Every
// character is kept, emoji included; only the length is capped.
func validateProfile(nickName, avatarURL *string) error {
	if nickName != nil {
		if !utf8.ValidString(*nickName) {
			return invalid("nickName", "nickname is not valid UTF-8")
		}
		if n := utf8.RuneCountInString(*nickName); n > MaxNicknameLen {
			return invalidKey("nickName", "input.nickName_too_long", map[string]any{"Max": MaxNicknameLen},
				"nickname is %d characters; at most %d are allowed", n, MaxNicknameLen)
		}
		if strings.ContainsFunc(*nickName, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return invalid("nickName", "nickname contains control characters")
		}
	}
	if avatarURL != nil && *avatarURL != "" {
		if len(*avatarURL) > MaxAvatarURLLen {
			return invalid("avatarUrl", "avatar URL is longer than %d characters", MaxAvatarURLLen)
		}
		u, err := url.Parse(*avatarURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return invalid("avatarUrl", "avatar URL must be an http(s) URL")
		}
	}
	return nil
}
