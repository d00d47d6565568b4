package account

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
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

// GenerateSecretKey makes a fresh SECRET_KEY.
func GenerateSecretKey() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}
