package wechat_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"

	"wxbind/wechat"
)

// FuzzDecryptOpenData: any input either decrypts to a JSON object or fails with ErrDecrypt —
// never a panic — and what EncryptOpenData sealed always opens to the same bytes.
func FuzzDecryptOpenData(f *testing.F) {
	key := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))
	iv := []byte("fedcba9876543210")
	good, _ := wechat.EncryptOpenData(key, []byte(`{"phoneNumber":"13800138000","watermark":{"appid":"wx1","timestamp":1}}`), iv)
	f.Add(key, good, base64.StdEncoding.EncodeToString(iv), []byte(nil))
	f.Add(key, good[:len(good)-4], base64.StdEncoding.EncodeToString(iv), []byte(`{}`))
	f.Add("", "", "", []byte(`{"a":1}`))
	f.Add(key, "AAAAAAAAAAAAAAAAAAAAAA==", "AAAAAAAAAAAAAAAAAAAAAA==", []byte("not json"))
	f.Add("tiihtNczf5v6AKRyjwEUhQ==", "////", "r7BXXKkLb8qrSNn05n0qiA==", []byte(`{"x":"😀"}`))
	f.Fuzz(func(t *testing.T, sessionKey, encryptedData, iv string, plain []byte) {
		out, err := wechat.DecryptOpenData(sessionKey, encryptedData, iv)
		if err != nil && !errors.Is(err, wechat.ErrDecrypt) {
			t.Fatalf("error outside ErrDecrypt: %v", err)
		}
		if err == nil && !bytes.HasPrefix(bytes.TrimSpace(out), []byte("{")) {
			t.Fatalf("accepted a non-object: %q", out)
		}
		ct, err := wechat.EncryptOpenData(key, plain, iv16(iv))
		if err != nil {
			t.Fatal(err)
		}
		back, err := wechat.DecryptOpenData(key, ct, base64.StdEncoding.EncodeToString(iv16(iv)))
		isObject := bytes.HasPrefix(bytes.TrimSpace(plain), []byte("{")) && validJSON(plain)
		if isObject && (err != nil || !bytes.Equal(back, plain)) {
			t.Fatalf("round trip of %q: %q %v", plain, back, err)
		}
	})
}

func iv16(s string) []byte {
	b := make([]byte, 16)
	copy(b, s)
	return b
}

func validJSON(b []byte) bool { return utf8.Valid(b) && json.Valid(b) }
