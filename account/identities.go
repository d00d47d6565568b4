package account

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"
	"wxbind/models"
	"wxbind/wechat"
)

// UnbindAccount ends the account's WeChat binding through the same rule as the mini-program's
// own unbind: every token issued through it dies at once.
func (s *Service) UnbindAccount(ctx context.Context, actor Actor, accountID uint64) error {
	ident, err := s.store.IdentityOfAccount(ctx, s.AppID(), accountID)
	if errors.Is(err, models.ErrNotFound) {
		return ErrNotBoundAccount
	}
	if err != nil {
		return err
	}
	return s.Unbind(ctx, ident.ID, actor)
}

// Field limits, in characters.
const (
	MaxNicknameLen  = 64
	MaxAvatarURLLen = 1024
)

func pick(v *string, old string) string {
	if v == nil {
		return old
	}
	return *v
}

// validateProfile checks nickname and avatar URL as the mini-program sends them, and returns
// the avatar URL as it is stored (see avatarSource). Every character of a nickname is kept,
// emoji included; only the length is capped.
func (s *Service) validateProfile(nickName, avatarURL *string) (*string, error) {
	if nickName != nil {
		if !utf8.ValidString(*nickName) {
			return nil, invalid("nickName", "nickname is not valid UTF-8")
		}
		if n := utf8.RuneCountInString(*nickName); n > MaxNicknameLen {
			return nil, invalidKey("nickName", "input.nickName_too_long", map[string]any{"Max": MaxNicknameLen},
				"nickname is %d characters; at most %d are allowed", n, MaxNicknameLen)
		}
		if strings.ContainsFunc(*nickName, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return nil, invalid("nickName", "nickname contains control characters")
		}
	}
	if avatarURL == nil || *avatarURL == "" {
		return avatarURL, nil
	}
	stored, err := s.avatarSource(*avatarURL)
	return &stored, err
}

// recordIdentity stores what WeChat said about the user: every checkBind does, bound or not.
func (s *Service) recordIdentity(ctx context.Context, sess wechat.Session) (models.WechatIdentity, error) {
	sealed := s.keys.seal(sess.SessionKey, sess.OpenID)
	return s.store.UpsertIdentity(ctx, s.AppID(), sess.OpenID, sess.UnionID, sealed, s.clock())
}

// sessionKey opens the newest session_key WeChat gave for the identity.
func (s *Service) sessionKey(ident models.WechatIdentity) (string, error) {
	if ident.SessionKeySealed == "" {
		return "", errors.New("no session_key stored for this identity")
	}
	return s.keys.unseal(ident.SessionKeySealed, ident.OpenID)
}

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
	avatarURL, err := s.validateProfile(nickName, avatarURL)
	if err != nil {
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
		d := Detail{"OpenID": ident.OpenID}
		if ident.AccountID != nil {
			d["AccountID"] = *ident.AccountID
			if a, err := tx.AccountByID(ctx, *ident.AccountID); err == nil {
				d["Username"] = a.Username
				if actor.Name == "" && actor.AccountID != nil && *actor.AccountID == a.ID {
					actor.Name = a.Username // the mini-program's own unbind: named as the console names its admins
				}
			}
		}
		return s.writeAudit(ctx, tx, actor, ActionUnbind, IdentityTarget(ident.ID), d)
	})
}

// Identity is one WeChat user of the mini-program, bound or not.
type Identity struct {
	ID          uint64
	OpenID      string
	UnionID     string
	Nickname    string
	AvatarURL   string
	AccountID   *uint64 // nil while not bound
	Username    string  // the bound account's, where a list read it
	BoundAt     *time.Time
	UnboundAt   *time.Time
	LastLoginAt *time.Time
	FirstSeen   time.Time
	LastSeen    time.Time
}

func identityOf(w models.WechatIdentity) Identity {
	return Identity{ID: w.ID, OpenID: w.OpenID, UnionID: w.UnionID, Nickname: w.Nickname, AvatarURL: w.AvatarURL,
		AccountID: w.AccountID, BoundAt: w.BoundAt, UnboundAt: w.UnboundAt, LastLoginAt: w.LastLoginAt,
		FirstSeen: w.CreatedAt, LastSeen: w.LastSeenAt}
}

// AccountRef names an account as the audit log recorded it.
type AccountRef struct {
	ID       uint64
	Username string
}

// PastAccounts are, for each of identityIDs, the accounts it was ever bound to, by the audit
// log's bind entries, oldest first.
func (s *Service) PastAccounts(ctx context.Context, identityIDs []uint64) (map[uint64][]AccountRef, error) {
	targets := make([]string, len(identityIDs))
	byTarget := make(map[string]uint64, len(identityIDs))
	for i, id := range identityIDs {
		targets[i] = IdentityTarget(id)
		byTarget[targets[i]] = id
	}
	rows, err := s.store.BindingsOfTargets(ctx, targets)
	if err != nil {
		return nil, err
	}
	out := map[uint64][]AccountRef{}
	for _, r := range rows {
		id := byTarget[r.Target]
		out[id] = append(out[id], AccountRef{ID: r.AccountID, Username: r.Username})
	}
	return out, nil
}
