package wechat

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Open data (encryptedData from getUserInfo/getPhoneNumber, rawData + signature) is checked
// here, with the user's session_key, without calling WeChat.

// Why an open-data payload was refused. None of them carries the key or the plaintext.
var (
	// ErrDecrypt means the payload does not decrypt under the session_key: bad base64, wrong
	// length, wrong key, tampered bytes or bad padding. Usually the session_key is stale.
	ErrDecrypt = errors.New("encrypted data does not decrypt under the session_key")
	// ErrWatermarkAppID means the payload was made for another mini-program.
	ErrWatermarkAppID = errors.New("encrypted data watermark names another appid")
	// ErrWatermarkExpired means the payload is older than the accepted window (or dated in
	// the future beyond clock skew).
	ErrWatermarkExpired = errors.New("encrypted data watermark is outside the accepted window")
	// ErrSignature means rawData's signature does not match sha1(rawData + session_key).
	ErrSignature = errors.New("rawData signature mismatch")
)

// MaxEncryptedDataLen bounds the base64 text we try to decrypt; WeChat's are under 2 KB.
const MaxEncryptedDataLen = 16 << 10

// MaxRawDataLen bounds rawData; WeChat's user info is a few hundred bytes.
const MaxRawDataLen = 8 << 10

// watermarkSkew tolerates WeChat's clock being slightly ahead of ours.
const watermarkSkew = 2 * time.Minute

// Watermark is the appid and time WeChat stamps into every encrypted payload.
type Watermark struct {
	AppID     string `json:"appid"`
	Timestamp int64  `json:"timestamp"`
}

// DecryptOpenData decrypts encryptedData with AES-128-CBC under the base64 session_key and iv,
// removing PKCS#7 padding strictly. The plaintext must be a JSON object.
func DecryptOpenData(sessionKey, encryptedData, iv string) ([]byte, error) {
	if len(encryptedData) > MaxEncryptedDataLen {
		return nil, fmt.Errorf("%w: longer than %d characters", ErrDecrypt, MaxEncryptedDataLen)
	}
	key, err := base64.StdEncoding.DecodeString(sessionKey)
	if err != nil || len(key) != 16 {
		return nil, fmt.Errorf("%w: session_key is not 16 bytes of base64", ErrDecrypt)
	}
	ivb, err := base64.StdEncoding.DecodeString(iv)
	if err != nil || len(ivb) != aes.BlockSize {
		return nil, fmt.Errorf("%w: iv is not %d bytes of base64", ErrDecrypt, aes.BlockSize)
	}
	ct, err := base64.StdEncoding.DecodeString(encryptedData)
	if err != nil {
		return nil, fmt.Errorf("%w: encryptedData is not base64", ErrDecrypt)
	}
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: encryptedData is not a whole number of blocks", ErrDecrypt)
	}
	block, _ := aes.NewCipher(key) // 16 bytes always make a cipher
	plain := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, ivb).CryptBlocks(plain, ct)
	plain, err = unpadPKCS7(plain, aes.BlockSize)
	if err != nil {
		return nil, err
	}
	// CBC has no integrity check: altered bytes decrypt to garbage, which is caught here as
	// invalid UTF-8 or JSON; what survives is then held to the watermark.
	if !utf8.Valid(plain) || !json.Valid(plain) || !bytes.HasPrefix(bytes.TrimSpace(plain), []byte("{")) {
		return nil, fmt.Errorf("%w: plaintext is not a JSON object", ErrDecrypt)
	}
	return plain, nil
}

// unpadPKCS7 accepts only padding of 1..blockSize bytes that all equal the pad length; anything
// else means a wrong key or altered bytes. The check runs over the whole last block alike, so
// its time does not tell which byte was wrong.
func unpadPKCS7(b []byte, blockSize int) ([]byte, error) {
	n := int(b[len(b)-1])
	if n == 0 || n > blockSize {
		return nil, fmt.Errorf("%w: bad padding", ErrDecrypt)
	}
	last := b[len(b)-blockSize:]
	bad := 0
	for i, c := range last {
		inPad := subtle.ConstantTimeLessOrEq(blockSize-n, i)
		bad |= inPad & (1 ^ subtle.ConstantTimeByteEq(c, byte(n)))
	}
	if bad != 0 {
		return nil, fmt.Errorf("%w: bad padding", ErrDecrypt)
	}
	return b[:len(b)-n], nil
}

// EncryptOpenData is DecryptOpenData's inverse, as WeChat does it. The server never needs it;
// the sandbox and tests use it to make payloads.
func EncryptOpenData(sessionKey string, plain []byte, iv []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(sessionKey)
	if err != nil || len(key) != 16 {
		return "", errors.New("session_key is not 16 bytes of base64")
	}
	if len(iv) != aes.BlockSize {
		return "", errors.New("iv must be 16 bytes")
	}
	n := aes.BlockSize - len(plain)%aes.BlockSize
	padded := append(bytes.Clone(plain), bytes.Repeat([]byte{byte(n)}, n)...)
	block, _ := aes.NewCipher(key)
	ct := make([]byte, len(padded))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, padded)
	return base64.StdEncoding.EncodeToString(ct), nil
}

// CheckWatermark refuses a decrypted payload that is not stamped for appid or whose stamp is
// older than window before now.
func CheckWatermark(plain []byte, appid string, now time.Time, window time.Duration) (Watermark, error) {
	var env struct {
		Watermark *Watermark `json:"watermark"`
	}
	if err := json.Unmarshal(plain, &env); err != nil || env.Watermark == nil {
		return Watermark{}, fmt.Errorf("%w: no watermark", ErrWatermarkAppID)
	}
	wm := *env.Watermark
	if subtle.ConstantTimeCompare([]byte(wm.AppID), []byte(appid)) != 1 {
		return wm, ErrWatermarkAppID
	}
	stamped := time.Unix(wm.Timestamp, 0)
	if wm.Timestamp <= 0 || now.Sub(stamped) > window || stamped.Sub(now) > watermarkSkew {
		return wm, ErrWatermarkExpired
	}
	return wm, nil
}

// OpenData decrypts encryptedData and checks its watermark in one step.
func OpenData(sessionKey, encryptedData, iv, appid string, now time.Time, window time.Duration) ([]byte, error) {
	plain, err := DecryptOpenData(sessionKey, encryptedData, iv)
	if err != nil {
		return nil, err
	}
	if _, err := CheckWatermark(plain, appid, now, window); err != nil {
		return nil, err
	}
	return plain, nil
}

// RawDataSignature is sha1(rawData + session_key) in hex, as wx.getUserInfo signs rawData.
func RawDataSignature(rawData, sessionKey string) string {
	sum := sha1.Sum([]byte(rawData + sessionKey))
	return hex.EncodeToString(sum[:])
}

// VerifyRawData checks rawData's signature in constant time.
func VerifyRawData(rawData, signature, sessionKey string) error {
	if len(rawData) > MaxRawDataLen {
		return fmt.Errorf("%w: rawData longer than %d bytes", ErrSignature, MaxRawDataLen)
	}
	want := RawDataSignature(rawData, sessionKey)
	if !hmac.Equal([]byte(strings.ToLower(strings.TrimSpace(signature))), []byte(want)) {
		return ErrSignature
	}
	return nil
}

// SessionSignature is what wxa/checksession expects with sig_method=hmac_sha256: the HMAC of
// an empty message keyed with the session_key's base64 text itself.
func SessionSignature(sessionKey string) string {
	m := hmac.New(sha256.New, []byte(sessionKey))
	return hex.EncodeToString(m.Sum(nil))
}
