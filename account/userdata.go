package account

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"wxbind/models"
	"wxbind/wechat"
)

// DefaultWatermarkWindow is how old an encrypted payload's watermark may be. The mini-program
// sends the payload right after WeChat makes it, so minutes are plenty.
const DefaultWatermarkWindow = 10 * time.Minute

// sessionOf loads the caller's identity and opens its newest session_key.
func (s *Service) sessionOf(ctx context.Context, p Principal) (models.WechatIdentity, string, error) {
	ident, err := s.store.IdentityByID(ctx, p.IdentityID)
	if err != nil {
		return ident, "", err
	}
	key, err := s.sessionKey(ident)
	if err != nil {
		// None stored, or sealed under another SECRET_KEY: the user must log in again.
		return ident, "", fmt.Errorf("%w: %v", ErrSessionKeyMissing, err)
	}
	return ident, key, nil
}

// openData decrypts a payload with the caller's session_key and checks its watermark.
func (s *Service) openData(ctx context.Context, p Principal, encryptedData, iv string) (models.WechatIdentity, []byte, error) {
	if encryptedData == "" || iv == "" {
		return models.WechatIdentity{}, nil, invalid("encryptedData", "send both encryptedData and iv")
	}
	ident, key, err := s.sessionOf(ctx, p)
	if err != nil {
		return ident, nil, err
	}
	plain, err := wechat.OpenData(key, encryptedData, iv, s.AppID(), s.clock(), s.watermarkWindow)
	switch {
	case errors.Is(err, wechat.ErrWatermarkAppID):
		return ident, nil, ErrOpenDataForeign
	case errors.Is(err, wechat.ErrWatermarkExpired):
		return ident, nil, ErrOpenDataExpired
	case err != nil:
		return ident, nil, fmt.Errorf("%w: %w", ErrOpenDataInvalid, err)
	}
	return ident, plain, nil
}

// wechatUserInfo is what getUserInfo's encrypted data and rawData hold.
type wechatUserInfo struct {
	OpenID    string `json:"openId"`
	UnionID   string `json:"unionId"`
	NickName  string `json:"nickName"`
	AvatarURL string `json:"avatarUrl"`
}

// ProfileFromEncryptedData sets nickname and avatar (and the unionid, when WeChat includes
// it) from getUserInfo's encryptedData and iv.
func (s *Service) ProfileFromEncryptedData(ctx context.Context, p Principal, encryptedData, iv string) (UserInfo, error) {
	ident, plain, err := s.openData(ctx, p, encryptedData, iv)
	if err != nil {
		return UserInfo{}, err
	}
	var info wechatUserInfo
	if err := json.Unmarshal(plain, &info); err != nil {
		return UserInfo{}, fmt.Errorf("%w: user info is not the expected JSON", ErrOpenDataInvalid)
	}
	if info.OpenID != "" && info.OpenID != ident.OpenID {
		return UserInfo{}, ErrOpenDataOtherUser
	}
	if info.UnionID != "" && info.UnionID != ident.UnionID {
		if err := s.store.SetIdentityUnionID(ctx, ident.ID, info.UnionID, s.clock()); err != nil {
			return UserInfo{}, err
		}
	}
	return s.applyProfile(ctx, p, info)
}

// ProfileFromRawData sets nickname and avatar from getUserInfo's rawData, after checking its
// signature against the caller's session_key.
func (s *Service) ProfileFromRawData(ctx context.Context, p Principal, rawData, signature string) (UserInfo, error) {
	if rawData == "" || signature == "" {
		return UserInfo{}, invalid("rawData", "send both rawData and signature")
	}
	_, key, err := s.sessionOf(ctx, p)
	if err != nil {
		return UserInfo{}, err
	}
	if err := wechat.VerifyRawData(rawData, signature, key); err != nil {
		return UserInfo{}, ErrSignatureInvalid
	}
	var info wechatUserInfo
	if err := json.Unmarshal([]byte(rawData), &info); err != nil {
		return UserInfo{}, invalid("rawData", "rawData is not the user info JSON WeChat signed")
	}
	return s.applyProfile(ctx, p, info)
}

func (s *Service) applyProfile(ctx context.Context, p Principal, info wechatUserInfo) (UserInfo, error) {
	var nick, avatar *string
	if info.NickName != "" {
		nick = &info.NickName
	}
	if info.AvatarURL != "" {
		avatar = &info.AvatarURL
	}
	if nick == nil && avatar == nil {
		return s.userInfo(ctx, p) // nothing new; unionid may have been stored
	}
	return s.UpdateProfile(ctx, p, nick, avatar)
}

// PhoneNumber is a phone number as the mini-program receives it.
type PhoneNumber struct {
	Phone       string `json:"phone"`       // digits, no country code
	CountryCode string `json:"countryCode"` // e.g. "86"
}

// MaxPhoneCodeLen bounds a getPhoneNumber code.
const MaxPhoneCodeLen = 128

var (
	phoneDigits   = regexp.MustCompile(`^[0-9]{5,20}$`)
	countryDigits = regexp.MustCompile(`^[0-9]{1,4}$`)
)

// PhoneByCode trades a getPhoneNumber code with WeChat, which checks the code was issued to
// the caller's openid, and stores the number on the caller's account.
func (s *Service) PhoneByCode(ctx context.Context, p Principal, code string, actor Actor) (PhoneNumber, error) {
	if code == "" {
		return PhoneNumber{}, invalid("code", "the getPhoneNumber code is missing")
	}
	if len(code) > MaxPhoneCodeLen {
		return PhoneNumber{}, invalid("code", "the getPhoneNumber code is longer than %d characters", MaxPhoneCodeLen)
	}
	// The openid came with the login check, so WeChat can tell the code is this user's.
	phone, err := s.wechat.PhoneNumber(ctx, code, p.User.OpenID)
	if err != nil {
		return PhoneNumber{}, wechatError(err, ErrPhoneCodeRejected)
	}
	return s.storePhone(ctx, p, phone, actor)
}

// PhoneFromEncryptedData reads the number from the legacy getPhoneNumber encryptedData and
// stores it on the caller's account.
func (s *Service) PhoneFromEncryptedData(ctx context.Context, p Principal, encryptedData, iv string, actor Actor) (PhoneNumber, error) {
	_, plain, err := s.openData(ctx, p, encryptedData, iv)
	if err != nil {
		return PhoneNumber{}, err
	}
	var info wechat.PhoneInfo
	if err := json.Unmarshal(plain, &info); err != nil || info.PurePhoneNumber == "" {
		return PhoneNumber{}, fmt.Errorf("%w: not a phone number payload", ErrOpenDataInvalid)
	}
	return s.storePhone(ctx, p, info.Phone(), actor)
}

func (s *Service) storePhone(ctx context.Context, p Principal, phone wechat.Phone, actor Actor) (PhoneNumber, error) {
	n := PhoneNumber{Phone: strings.TrimSpace(phone.PurePhoneNumber), CountryCode: strings.TrimPrefix(strings.TrimSpace(phone.CountryCode), "+")}
	if n.CountryCode == "" {
		n.CountryCode = "86"
	}
	if !phoneDigits.MatchString(n.Phone) || !countryDigits.MatchString(n.CountryCode) {
		return PhoneNumber{}, fmt.Errorf("%w: phone number is not digits", ErrWeChatUnavailable)
	}
	err := s.store.Transaction(ctx, func(tx *models.Store) error {
		now := s.clock()
		if err := tx.SetAccountPhone(ctx, p.AccountID, n.Phone, n.CountryCode, now); err != nil {
			return err
		}
		id := p.AccountID
		actor.AccountID = &id
		return s.writeAudit(ctx, tx, actor, ActionPhone, AccountTarget(p.AccountID), Detail{"Phone": MaskPhone(n.Phone)})
	})
	if err != nil {
		return PhoneNumber{}, err
	}
	return n, nil
}

// MaskPhone keeps the first three and last four digits: 138****8000.
func MaskPhone(phone string) string {
	if len(phone) <= 7 {
		return strings.Repeat("*", len(phone))
	}
	return phone[:3] + strings.Repeat("*", len(phone)-7) + phone[len(phone)-4:]
}

// CheckSession asks WeChat whether the caller's stored session_key is still current. false
// means the mini-program should call wx.login (and checkBind) again.
func (s *Service) CheckSession(ctx context.Context, p Principal) (bool, error) {
	ident, key, err := s.sessionOf(ctx, p)
	if errors.Is(err, ErrSessionKeyMissing) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	valid, err := s.wechat.CheckSession(ctx, ident.OpenID, key)
	if err != nil {
		return false, wechatError(err, ErrWeChatRefused)
	}
	return valid, nil
}
