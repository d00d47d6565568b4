package wechat_test

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"wxbind/wechat"
)

// WeChat's published WXBizDataCrypt demo vector (the sample in its open-data decryption docs).
const (
	demoAppID      = "wx4f4bc4dec97d474b"
	demoSessionKey = "tiihtNczf5v6AKRyjwEUhQ=="
	demoIV         = "r7BXXKkLb8qrSNn05n0qiA=="
	demoEncrypted  = "CiyLU1Aw2KjvrjMdj8YKliAjtP4gsMZMQmRzooG2xrDcvSnxIMXFufNstNGTyaGS9uT5geRa0W4oTOb1WT7fJlAC+oNPdbB+3hVbJSRgv+4lGOETKUQz6OYStslQ142dNCuabNPGBzlooOmB231qMM85d2/fV6ChevvXvQP8Hkue1poOFtnEtpyxVLW1zAo6/1Xx1COxFvrc2d7UL/lmHInNlxuacJXwu0fjpXfz/YqYzBIBzD6WUfTIF9GRHpOn/Hz7saL8xz+W//FRAUid1OksQaQx4CMs8LOddcQhULW4ucetDf96JcR3g0gfRK4PC7E/r7Z6xNrXd2UIeorGj5Ef7b1pJAYB6Y5anaHqZ9J6nKEBvB4DnNLIVWSgARns/8wR2SiRS7MNACwTyrGvt9ts8p12PKFdlqYTopNHR1Vf7XjfhQlVsAJdNiKdYmYVoKlaRv85IfVunYzO0IKXsyl7JCUjCpoG20f0a04COwfneQAGGwd5oa+T8yO5hzuyDb/XcxxmK01EpqOyuxINew=="
	demoTimestamp  = 1477314187
)

func TestDecryptDemoVector(t *testing.T) {
	plain, err := wechat.DecryptOpenData(demoSessionKey, demoEncrypted, demoIV)
	if err != nil {
		t.Fatalf("demo vector: %v", err)
	}
	var got struct {
		OpenID    string `json:"openId"`
		NickName  string `json:"nickName"`
		Gender    int    `json:"gender"`
		City      string `json:"city"`
		AvatarURL string `json:"avatarUrl"`
		UnionID   string `json:"unionId"`
		Watermark wechat.Watermark
	}
	if err := json.Unmarshal(plain, &got); err != nil {
		t.Fatal(err)
	}
	if got.OpenID != "oGZUI0egBJY1zhBYw2KhdUfwVJJE" || got.NickName != "Band" || got.Gender != 1 ||
		got.City != "Guangzhou" || got.UnionID != "ocMvos6NjeKLIBqg5Mr9QjxrP1FA" ||
		!strings.HasPrefix(got.AvatarURL, "http://wx.qlogo.cn/mmopen/vi_32/") ||
		got.Watermark.AppID != demoAppID || got.Watermark.Timestamp != demoTimestamp {
		t.Fatalf("demo vector decrypted to something else: %s", plain)
	}

	stamped := time.Unix(demoTimestamp, 0)
	if _, err := wechat.OpenData(demoSessionKey, demoEncrypted, demoIV, demoAppID, stamped.Add(time.Minute), 5*time.Minute); err != nil {
		t.Fatalf("within the window: %v", err)
	}
	if _, err := wechat.OpenData(demoSessionKey, demoEncrypted, demoIV, "wx0000000000000000", stamped, 5*time.Minute); !errors.Is(err, wechat.ErrWatermarkAppID) {
		t.Fatalf("another appid: want ErrWatermarkAppID, got %v", err)
	}
	if _, err := wechat.OpenData(demoSessionKey, demoEncrypted, demoIV, demoAppID, stamped.Add(6*time.Minute), 5*time.Minute); !errors.Is(err, wechat.ErrWatermarkExpired) {
		t.Fatalf("older than the window: want ErrWatermarkExpired, got %v", err)
	}
	if _, err := wechat.OpenData(demoSessionKey, demoEncrypted, demoIV, demoAppID, stamped.Add(-time.Hour), 5*time.Minute); !errors.Is(err, wechat.ErrWatermarkExpired) {
		t.Fatalf("stamped an hour in the future: want ErrWatermarkExpired, got %v", err)
	}
	// Today the demo vector is years old.
	if _, err := wechat.OpenData(demoSessionKey, demoEncrypted, demoIV, demoAppID, time.Now(), 10*time.Minute); !errors.Is(err, wechat.ErrWatermarkExpired) {
		t.Fatalf("demo vector today: want ErrWatermarkExpired, got %v", err)
	}
}

func TestDecryptRefusesDamagedInput(t *testing.T) {
	ct, _ := base64.StdEncoding.DecodeString(demoEncrypted)
	flip := func(i int) string {
		b := append([]byte(nil), ct...)
		b[i] ^= 0x01
		return base64.StdEncoding.EncodeToString(b)
	}
	otherKey := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))
	cases := []struct {
		name, key, data, iv string
	}{
		{"last byte flipped (padding)", demoSessionKey, flip(len(ct) - 1), demoIV},
		{"middle byte flipped (garbles JSON)", demoSessionKey, flip(len(ct) / 2), demoIV},
		{"first block flipped", demoSessionKey, flip(3), demoIV},
		{"truncated by a block", demoSessionKey, base64.StdEncoding.EncodeToString(ct[:len(ct)-16]), demoIV},
		{"truncated mid-block", demoSessionKey, base64.StdEncoding.EncodeToString(ct[:len(ct)-5]), demoIV},
		{"empty", demoSessionKey, "", demoIV},
		{"not base64", demoSessionKey, "%%%not base64%%%", demoIV},
		{"wrong key", otherKey, demoEncrypted, demoIV},
		{"key not 16 bytes", base64.StdEncoding.EncodeToString([]byte("short")), demoEncrypted, demoIV},
		{"iv not 16 bytes", demoSessionKey, demoEncrypted, base64.StdEncoding.EncodeToString([]byte("short"))},
		{"iv not base64", demoSessionKey, demoEncrypted, "!!"},
		{"oversized", demoSessionKey, strings.Repeat("A", wechat.MaxEncryptedDataLen+4), demoIV},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plain, err := wechat.DecryptOpenData(c.key, c.data, c.iv)
			if !errors.Is(err, wechat.ErrDecrypt) {
				t.Fatalf("want ErrDecrypt, got %v (plaintext %q)", err, plain)
			}
			if strings.Contains(err.Error(), c.key) {
				t.Fatalf("error names the key: %v", err)
			}
		})
	}
}

// TestDecryptStrictPadding encrypts blocks whose padding is wrong in each way a lax unpadder
// accepts: zero, longer than a block, or bytes that disagree with the length.
func TestDecryptStrictPadding(t *testing.T) {
	key := []byte("0123456789abcdef")
	iv := []byte("fedcba9876543210")
	sk := base64.StdEncoding.EncodeToString(key)
	ivs := base64.StdEncoding.EncodeToString(iv)
	encrypt := func(padded []byte) string {
		block, _ := aes.NewCipher(key)
		out := make([]byte, len(padded))
		cipher.NewCBCEncrypter(block, iv).CryptBlocks(out, padded)
		return base64.StdEncoding.EncodeToString(out)
	}
	body := []byte(`{"a":"b"}`) // 9 bytes: 7 bytes of padding make a block
	good := append(append([]byte(nil), body...), 7, 7, 7, 7, 7, 7, 7)
	if plain, err := wechat.DecryptOpenData(sk, encrypt(good), ivs); err != nil || string(plain) != string(body) {
		t.Fatalf("well padded: %q %v", plain, err)
	}
	full := append([]byte(`{"abcdefghij":1}`), []byte(strings.Repeat("\x10", 16))...) // a whole block of padding
	if plain, err := wechat.DecryptOpenData(sk, encrypt(full), ivs); err != nil || string(plain) != `{"abcdefghij":1}` {
		t.Fatalf("full padding block: %q %v", plain, err)
	}
	bad := map[string][]byte{
		"zero pad":        append(append([]byte(nil), body...), 0, 0, 0, 0, 0, 0, 0),
		"pad over block":  append(append([]byte(nil), body...), 7, 7, 7, 7, 7, 7, 17),
		"inconsistent":    append(append([]byte(nil), body...), 7, 7, 7, 6, 7, 7, 7),
		"one short":       append(append([]byte(nil), body...), 1, 7, 7, 7, 7, 7, 7)[:16],
		"no pad, JSON ok": []byte(`{"abcdefghijk":1}` + "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02"),
	}
	for name, padded := range bad {
		if len(padded)%16 != 0 {
			t.Fatalf("%s: test data must be whole blocks, is %d bytes", name, len(padded))
		}
		if plain, err := wechat.DecryptOpenData(sk, encrypt(padded), ivs); !errors.Is(err, wechat.ErrDecrypt) {
			t.Errorf("%s: want ErrDecrypt, got %q %v", name, plain, err)
		}
	}
	notJSON := append([]byte("hello, world!!!"), 1)
	if _, err := wechat.DecryptOpenData(sk, encrypt(notJSON), ivs); !errors.Is(err, wechat.ErrDecrypt) {
		t.Errorf("plaintext not JSON: want ErrDecrypt, got %v", err)
	}
}

func TestEncryptRoundTrip(t *testing.T) {
	plain := []byte(`{"phoneNumber":"13800138000","watermark":{"appid":"wxa","timestamp":1}}`)
	iv := []byte("0000000000000000")
	ct, err := wechat.EncryptOpenData(demoSessionKey, plain, iv)
	if err != nil {
		t.Fatal(err)
	}
	got, err := wechat.DecryptOpenData(demoSessionKey, ct, base64.StdEncoding.EncodeToString(iv))
	if err != nil || string(got) != string(plain) {
		t.Fatalf("round trip: %q %v", got, err)
	}
}

func TestRawDataSignature(t *testing.T) {
	raw := `{"nickName":"Band","gender":1,"language":"zh_CN","city":"Guangzhou","province":"Guangdong","country":"CN","avatarUrl":"http://wx.qlogo.cn/x/0"}`
	sig := wechat.RawDataSignature(raw, demoSessionKey)
	// sha1 hex of rawData followed by the session_key's base64 text, computed independently:
	// printf '%s' "$raw$key" | sha1sum
	if want := "95e29eb65ebf58a898e80ece8119dd8ca8784596"; sig != want {
		t.Fatalf("signature %q, want %q", sig, want)
	}
	if err := wechat.VerifyRawData(raw, sig, demoSessionKey); err != nil {
		t.Fatalf("own signature: %v", err)
	}
	if err := wechat.VerifyRawData(raw, strings.ToUpper(sig), demoSessionKey); err != nil {
		t.Fatalf("upper-case hex: %v", err)
	}
	if err := wechat.VerifyRawData(raw+" ", sig, demoSessionKey); !errors.Is(err, wechat.ErrSignature) {
		t.Fatalf("changed rawData: want ErrSignature, got %v", err)
	}
	if err := wechat.VerifyRawData(raw, sig, "AAAAAAAAAAAAAAAAAAAAAA=="); !errors.Is(err, wechat.ErrSignature) {
		t.Fatalf("other key: want ErrSignature, got %v", err)
	}
	if err := wechat.VerifyRawData(raw, "", demoSessionKey); !errors.Is(err, wechat.ErrSignature) {
		t.Fatalf("empty signature: want ErrSignature, got %v", err)
	}
}

func TestSessionSignature(t *testing.T) {
	// printf '' | openssl dgst -sha256 -hmac 'tiihtNczf5v6AKRyjwEUhQ=='
	want := "7154f9f8b4b76b92f541cbf0e37d48840fa06e5e42da92a6f80168a1516a4735"
	if got := wechat.SessionSignature(demoSessionKey); got != want {
		t.Fatalf("checksession signature %q, want %q", got, want)
	}
}

func BenchmarkOpenDataDemoVector(b *testing.B) {
	now := time.Unix(demoTimestamp, 0)
	for b.Loop() {
		if _, err := wechat.OpenData(demoSessionKey, demoEncrypted, demoIV, demoAppID, now, time.Minute); err != nil {
			b.Fatal(err)
		}
	}
}
