package account

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// MinSecretKeyLen is the shortest SECRET_KEY accepted.
const MinSecretKeyLen = 32

// keys are derived from SECRET_KEY, one per purpose, so a leak of one use cannot forge another.
type keys struct {
	sessionKeys sealer // WeChat session_keys at rest
	ticket      []byte // bind ticket signatures
}

func deriveKeys(secret string) (keys, error) {
	sk, err := newSealer(secret, "wxbind session_key seal v1")
	if err != nil {
		return keys{}, err
	}
	ticketKey, err := hkdf.Key(sha256.New, []byte(secret), nil, "wxbind bind ticket v1", 32)
	if err != nil {
		return keys{}, err
	}
	return keys{sessionKeys: sk, ticket: ticketKey}, nil
}

// seal encrypts a session_key for storage. The openid is authenticated with it, so a sealed key
// copied onto another identity's row does not open.
func (k keys) seal(plain, openid string) string { return k.sessionKeys.seal(plain, openid) }

// unseal reverses seal.
func (k keys) unseal(sealed, openid string) (string, error) {
	return k.sessionKeys.open(sealed, openid)
}

// sealer encrypts secrets kept in the database (AES-256-GCM under a key derived from
// SECRET_KEY for one purpose), binding each to the row it belongs to.
type sealer struct {
	aead cipher.AEAD
}

func newSealer(secret, purpose string) (sealer, error) {
	if len(secret) < MinSecretKeyLen {
		return sealer{}, fmt.Errorf("SECRET_KEY must be at least %d characters", MinSecretKeyLen)
	}
	key, err := hkdf.Key(sha256.New, []byte(secret), nil, purpose, 32)
	if err != nil {
		return sealer{}, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return sealer{}, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return sealer{}, err
	}
	return sealer{aead: aead}, nil
}

// seal encrypts plain with owner (an openid, an appid) authenticated alongside.
func (s sealer) seal(plain, owner string) string {
	nonce := make([]byte, s.aead.NonceSize())
	rand.Read(nonce)
	return base64.RawStdEncoding.EncodeToString(s.aead.Seal(nonce, nonce, []byte(plain), []byte(owner)))
}

// open reverses seal; it fails for another owner or another SECRET_KEY.
func (s sealer) open(sealed, owner string) (string, error) {
	raw, err := base64.RawStdEncoding.DecodeString(sealed)
	n := s.aead.NonceSize()
	if err != nil || len(raw) < n {
		return "", errors.New("sealed value is malformed")
	}
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], []byte(owner))
	if err != nil {
		return "", errors.New("sealed value does not open under SECRET_KEY")
	}
	return string(plain), nil
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

// GenerateSecretKey makes a fresh SECRET_KEY.
func GenerateSecretKey() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}
