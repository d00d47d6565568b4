package account

import (
	"context"
	"errors"
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
	return principalOf(l), BuildMenuTree(menus), nil
}

func principalOf(l models.ActiveLogin) Principal {
	return Principal{TokenID: l.TokenID, AccountID: l.AccountID, IdentityID: l.IdentityID, Role: l.Role, User: UserInfo{
		UserID: l.AccountID, Username: l.Username, Name: l.Name, NickName: l.Nickname, AvatarURL: l.AvatarURL,
		OpenID: l.OpenID, Phone: l.Phone, CountryCode: l.PhoneCountryCode,
	}}
}

// Info is the logged-in user's info and menus.

func (s *Service) userInfo(ctx context.Context, p Principal) (UserInfo, error) {
	acct, err := s.store.AccountByID(ctx, p.AccountID)
	if err != nil {
		return UserInfo{}, err
	}
	ident, err := s.store.IdentityByID(ctx, p.IdentityID)
	if err != nil {
		return UserInfo{}, err
	}
	return userInfo(acct, ident), nil
}

// UpdateProfile sets the nickname and/or avatar URL of the logged-in user's WeChat identity;
// a nil field is left as it is.
func (s *Service) UpdateProfile(ctx context.Context, p Principal, nickName, avatarURL *string) (UserInfo, error) {
	if nickName == nil && avatarURL == nil {
		return UserInfo{}, invalidKey("nickName", "input.nickName_missing", nil, "send nickName and/or avatarUrl")
	}
	if err := validateProfile(nickName, avatarURL); err != nil {
		return UserInfo{}, err
	}
	ident, err := s.store.IdentityByID(ctx, p.IdentityID)
	if err != nil {
		return UserInfo{}, err
	}
	if err := s.store.UpdateIdentityProfile(ctx, ident.ID, pick(nickName, ident.Nickname), pick(avatarURL, ident.AvatarURL), s.clock()); err != nil {
		return UserInfo{}, err
	}
	return s.userInfo(ctx, p)
}

// Logout kills the token the request came with.
func (s *Service) Logout(ctx context.Context, p Principal) error {
	return s.store.RevokeLoginToken(ctx, p.TokenID, s.clock())
}

// Unbind ends the identity's binding and kills every token issued through it, at once. The
// history stays in the identity's unbound time and the audit log. The mini-program's own
// unbind and the console's both come here.
func (s *Service) Unbind(ctx context.Context, identityID uint64, actor Actor) error {
	return s.store.Transaction(ctx, func(tx *models.Store) error {
		ident, err := tx.IdentityByID(ctx, identityID)
		if errors.Is(err, models.ErrNotFound) {
			return ErrNotBound
		}
		if err != nil {
			return err
		}
		now := s.clock()
		unbound, err := tx.UnbindIdentity(ctx, identityID, now)
		if err != nil {
			return err
		}
		if !unbound {
			return ErrNotBound
		}
		if _, err := tx.RevokeLoginTokensOfIdentity(ctx, identityID, now); err != nil {
			return err
		}
		if actor.Name == "" && actor.AccountID != nil {
			// The mini-program's own unbind: name its user in the audit log, as the console does.
			if a, err := tx.AccountByID(ctx, *actor.AccountID); err == nil {
				actor.Name = a.Username
			}
		}
		detail := "unbound from account"
		if ident.AccountID != nil {
			detail = "unbound from account " + itoa(*ident.AccountID)
		}
		return s.writeAudit(ctx, tx, actor, ActionUnbind, IdentityTarget(ident.ID), detail)
	})
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
