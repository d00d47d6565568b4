package account

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"wxbind/models"
)

func (s *Service) issueTicket(ident models.WechatIdentity) string {
	return s.keys.signTicket(BindTicket{
		ID: newTicketID(), IdentityID: ident.ID, OpenID: ident.OpenID,
		ExpiresAt: s.clock().Add(s.ticketTTL),
	})
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

// BindTicket is what checkBind hands a not-yet-bound WeChat user, so that the bind that follows
// proves the openid came from WeChat and not from the client.
type BindTicket struct {
	ID         string    `json:"n"` // random; spent once
	IdentityID uint64    `json:"i"`
	OpenID     string    `json:"o"`
	ExpiresAt  time.Time `json:"-"`
	Exp        int64     `json:"e"`
}

// maxTicketLen bounds what we try to parse.
const maxTicketLen = 512

func (k keys) signTicket(t BindTicket) string {
	t.Exp = t.ExpiresAt.Unix()
	payload, _ := json.Marshal(t)
	p := base64.RawURLEncoding.EncodeToString(payload)
	return p + "." + base64.RawURLEncoding.EncodeToString(k.ticketMAC(p))
}

func (k keys) ticketMAC(payload string) []byte {
	m := hmac.New(sha256.New, k.ticket)
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// verifyTicket checks the signature and expiry. It does not know whether the ticket was spent.
func (k keys) verifyTicket(s string, now time.Time) (BindTicket, error) {
	if s == "" || len(s) > maxTicketLen {
		return BindTicket{}, ErrTicketInvalid
	}
	p, sig, ok := strings.Cut(s, ".")
	if !ok {
		return BindTicket{}, ErrTicketInvalid
	}
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(mac, k.ticketMAC(p)) {
		return BindTicket{}, ErrTicketInvalid
	}
	payload, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return BindTicket{}, ErrTicketInvalid
	}
	var t BindTicket
	if err := json.Unmarshal(payload, &t); err != nil || t.ID == "" || t.IdentityID == 0 || t.OpenID == "" {
		return BindTicket{}, ErrTicketInvalid
	}
	t.ExpiresAt = time.Unix(t.Exp, 0).UTC()
	if !now.Before(t.ExpiresAt) {
		return BindTicket{}, ErrTicketExpired
	}
	return t, nil
}

// newTicketID is 128 random bits as 32 hex characters.
func newTicketID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
