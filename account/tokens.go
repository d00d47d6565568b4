package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
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
	if !wellFormedToken(token) {
		return Principal{}, ErrUnauthenticated
	}
	l, err := s.store.ActiveLoginByTokenHash(ctx, hashToken(token), s.clock())
	if errors.Is(err, models.ErrNotFound) {
		return Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, err
	}
	return principalOf(l), nil
}

// Info authenticates token and reads the user's info and menus with it, in one statement: the
// mini-program's most frequent call, and as fresh as every other.
func (s *Service) Info(ctx context.Context, token string) (Principal, []MenuNode, error) {
	if !wellFormedToken(token) {
		return Principal{}, nil, ErrUnauthenticated
	}
	l, menus, err := s.store.ActiveLoginWithMenus(ctx, hashToken(token), s.clock())
	if errors.Is(err, models.ErrNotFound) {
		return Principal{}, nil, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, nil, err
	}
	return principalOf(l), menuTree(menus), nil
}

func principalOf(l models.ActiveLogin) Principal {
	return Principal{TokenID: l.TokenID, AccountID: l.AccountID, IdentityID: l.IdentityID, Role: l.Role, User: UserInfo{
		UserID: l.AccountID, Username: l.Username, Name: l.Name, NickName: l.Nickname, AvatarURL: l.AvatarURL,
		OpenID: l.OpenID, Phone: l.Phone, CountryCode: l.PhoneCountryCode,
	}}
}

// Info is the logged-in user's info and menus.

// Logout kills the token the request came with.
func (s *Service) Logout(ctx context.Context, p Principal) error {
	return s.store.RevokeLoginToken(ctx, p.TokenID, s.clock())
}

// Prune forgets tokens that ended over a month ago, tickets past their expiry and expired
// console sessions.
func (s *Service) Prune(ctx context.Context) error {
	now := s.clock()
	if _, err := s.store.PruneSpentBindTickets(ctx, now); err != nil {
		return err
	}
	if _, err := s.store.PruneConsoleSessions(ctx, now); err != nil {
		return err
	}
	_, err := s.store.PruneLoginTokens(ctx, now.Add(-30*24*time.Hour))
	return err
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

// Login tokens are 256 random bits; only their SHA-256 is stored, so a database read does not
// yield a usable token.
const tokenBytes = 32

// MaxTokenLen bounds what is accepted as a token before any lookup.
const MaxTokenLen = 128

func newToken() (token, hash string) {
	b := make([]byte, tokenBytes)
	rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// wellFormedToken rejects anything that newToken could not have made, before the database.
func wellFormedToken(token string) bool {
	if len(token) != base64.RawURLEncoding.EncodedLen(tokenBytes) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(token)
	return err == nil
}
