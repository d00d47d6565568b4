package mobile_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/metrics"
	"strings"
	"syscall"
	"testing"
	"time"

	"wxbind/account/avatartest"
	"wxbind/models"
	"wxbind/models/modelstest"
	"wxbind/web"
	"wxbind/web/webtest"
	"wxbind/wechat"
	"wxbind/wechat/wechattest"
)

// TestUserDataFlow walks what a mini-program does after login: fill nickname and avatar, get
// the phone number by code and by legacy encryptedData, send legacy user info, and check its
// session; then it scans every response and log line for the session_key and access_token.
func TestUserDataFlow(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		acct := app.CreateAccount(t, "alice", "correct-horse", "user")
		token := app.BindNew(t, "alice-phone", "alice", "correct-horse")
		var raws [][]byte
		call := func(method, path string, body any) webtest.Response {
			t.Helper()
			r := app.Authed(t, method, path, token, body)
			raws = append(raws, r.Raw)
			return r
		}

		// Nickname and avatar, as the fill-in component gives them.
		if r := call(http.MethodPost, "/mobileApi/user/profile", map[string]any{"nickName": "Alice 🌸"}); r.Code() != 1 {
			t.Fatalf("profile nickname: %d %s", r.Status, r.Raw)
		}
		up := upload(t, app, token, "tmp_avatar.png", pngImage(t, 64, 64, nil))
		raws = append(raws, up.Raw)
		if up.Status != 200 || up.Code() != 1 {
			t.Fatalf("avatar upload: %d %s", up.Status, up.Raw)
		}
		avatarURL := up.String("avatarUrl")
		if !strings.HasPrefix(avatarURL, app.URL+"/avatars/") || !strings.HasSuffix(avatarURL, ".png") {
			t.Fatalf("avatarUrl %q: want %s/avatars/HASH.png", avatarURL, app.URL)
		}
		img := fetchAvatar(t, app, avatarURL, "image/png")
		if b := img.Bounds(); b.Dx() != 64 || b.Dy() != 64 {
			t.Fatalf("served avatar is %v, want 64×64", b)
		}
		info := call(http.MethodGet, "/mobileApi/user/info", nil)
		user := info.Body["userInfo"].(map[string]any)
		if user["avatarUrl"] != avatarURL || user["nickName"] != "Alice 🌸" {
			t.Fatalf("info after profile and avatar: %s", info.Raw)
		}

		// Phone number by code: WeChat is asked with the user's openid.
		r := call(http.MethodPost, "/mobileApi/user/phone", map[string]any{"code": wechattest.PhoneCode("alice-phone", "13800138000")})
		if r.Status != 200 || r.Code() != 1 || r.String("phone") != "13800138000" || r.String("countryCode") != "86" {
			t.Fatalf("phone by code: %d %s", r.Status, r.Raw)
		}
		if got := accountPhone(t, app, acct.ID); got != "86 13800138000" {
			t.Fatalf("stored phone %q", got)
		}
		// Phone number by the legacy encryptedData.
		ed, iv := wechattest.EncryptFor(t, "alice-phone", app.WeChat.AppID, time.Now(), map[string]any{
			"phoneNumber": "+852 51234567", "purePhoneNumber": "51234567", "countryCode": "852",
		})
		r = call(http.MethodPost, "/mobileApi/user/phone", map[string]any{"encryptedData": ed, "iv": iv})
		if r.Code() != 1 || r.String("phone") != "51234567" || r.String("countryCode") != "852" {
			t.Fatalf("phone by encryptedData: %d %s", r.Status, r.Raw)
		}
		if got := accountPhone(t, app, acct.ID); got != "852 51234567" {
			t.Fatalf("stored phone %q", got)
		}
		info = call(http.MethodGet, "/mobileApi/user/info", nil)
		if u := info.Body["userInfo"].(map[string]any); u["phone"] != "51234567" || u["countryCode"] != "852" {
			t.Fatalf("userInfo after sharing the phone: %s", info.Raw)
		}

		// Legacy wx.getUserInfo: encryptedData (with unionId) and rawData + signature.
		ed, iv = wechattest.EncryptFor(t, "alice-phone", app.WeChat.AppID, time.Now(), map[string]any{
			"openId": wechattest.OpenID("alice-phone"), "nickName": "Alice (legacy)", "avatarUrl": "https://thirdwx.qlogo.cn/mmopen/a/132",
			"unionId": "union-from-encrypted-data",
		})
		r = call(http.MethodPost, "/mobileApi/user/profile", map[string]any{"encryptedData": ed, "iv": iv})
		if r.Code() != 1 || r.Body["userInfo"].(map[string]any)["nickName"] != "Alice (legacy)" {
			t.Fatalf("profile by encryptedData: %d %s", r.Status, r.Raw)
		}
		// stored, and found by the console's search
		idents, _, err := app.Store.ListIdentities(context.Background(), models.IdentityFilter{AppID: app.Accounts.AppID(), Query: "union-from-encrypted-data"}, models.Page{})
		if err != nil || len(idents) != 1 || idents[0].OpenID != wechattest.OpenID("alice-phone") {
			t.Fatalf("unionid from encrypted data not stored/searchable: %v %v", idents, err)
		}
		rawData := `{"nickName":"Alice raw","gender":0,"language":"en","city":"","province":"","country":"","avatarUrl":"https://thirdwx.qlogo.cn/mmopen/b/132"}`
		sig := wechat.RawDataSignature(rawData, wechattest.SessionKey("alice-phone"))
		r = call(http.MethodPost, "/mobileApi/user/profile", map[string]any{"rawData": rawData, "signature": sig})
		if r.Code() != 1 || r.Body["userInfo"].(map[string]any)["nickName"] != "Alice raw" {
			t.Fatalf("profile by rawData: %d %s", r.Status, r.Raw)
		}

		// checkSession: valid, then invalid once WeChat forgets the key, valid after wx.login.
		if r := call(http.MethodGet, "/mobileApi/user/checkSession", nil); r.Code() != 1 || r.Body["valid"] != true {
			t.Fatalf("checkSession: %d %s", r.Status, r.Raw)
		}
		app.WeChat.ExpireSession("alice-phone")
		if r := call(http.MethodGet, "/mobileApi/user/checkSession", nil); r.Code() != 1 || r.Body["valid"] != false {
			t.Fatalf("checkSession after expiry: want valid false, got %d %s", r.Status, r.Raw)
		}
		relogin := app.CheckBind(t, wechattest.Code("alice-phone"))
		if relogin.Code() != 1 {
			t.Fatalf("checkBind again: %s", relogin.Raw)
		}
		if r := call(http.MethodGet, "/mobileApi/user/checkSession", nil); r.Body["valid"] != true {
			t.Fatalf("checkSession after a new wx.login: %s", r.Raw)
		}

		// The access_token was fetched once for all of it, never per request.
		if n := app.WeChat.CallsTo(wechattest.PathStableToken); n != 1 {
			t.Fatalf("stable_token called %d times, want 1", n)
		}
		assertNoSecrets(t, app, raws)
	})
}

// assertNoSecrets fails when any response or log line holds the session_key (in base64, as
// sealed-key plaintext would appear) or any access_token the fake issued.
func assertNoSecrets(t *testing.T, app *webtest.App, raws [][]byte) {
	t.Helper()
	secrets := append([]string{wechattest.SessionKey("alice-phone"), app.WeChat.Secret}, app.WeChat.AccessTokens()...)
	if len(app.WeChat.AccessTokens()) == 0 {
		t.Fatal("no access_token was issued: the scan would prove nothing")
	}
	logs := app.Logs.String()
	if !strings.Contains(logs, "/mobileApi/user/phone") {
		t.Fatal("the server logged no requests: the scan would prove nothing")
	}
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Fatalf("the server's log holds a secret (%.6s…)", s)
		}
		for _, raw := range raws {
			if bytes.Contains(raw, []byte(s)) {
				t.Fatalf("a response holds a secret (%.6s…): %s", s, raw)
			}
		}
	}
}

func accountPhone(t *testing.T, app *webtest.App, id uint64) string {
	t.Helper()
	a, err := app.Store.AccountByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if a.PhoneUpdatedAt == nil {
		t.Fatal("phone_updated_at not set")
	}
	return a.PhoneCountryCode + " " + a.Phone
}

// TestUserDataWeChatFailures drives every WeChat failure through the API: each must reach the
// client as code 0 with a message, never as a 5xx, and never take longer than the timeouts.
func TestUserDataWeChatFailures(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver, WeChatTimeout: 500 * time.Millisecond})
		app.CreateAccount(t, "bob", "correct-horse", "user")
		token := app.BindNew(t, "bob-phone", "bob", "correct-horse")
		auth := []string{"Authorization", "Bearer " + token}
		used := wechattest.PhoneCode("bob-phone", "13900139000")
		if r := app.Authed(t, http.MethodPost, "/mobileApi/user/phone", token, map[string]any{"code": used}); r.Code() != 1 {
			t.Fatalf("phone: %s", r.Raw)
		}
		phone := func(code string) any { return map[string]any{"code": code} }
		scenarios := []scenario{
			{name: "40029 invalid code", method: "POST", path: "/mobileApi/user/phone", body: phone("err:40029"), wantStatus: 400, wantReason: "phone_code_invalid"},
			{name: "unknown code", method: "POST", path: "/mobileApi/user/phone", body: phone("whatever"), wantStatus: 400, wantReason: "phone_code_invalid"},
			{name: "40163 used code", method: "POST", path: "/mobileApi/user/phone", body: phone(used), wantStatus: 400, wantReason: "phone_code_invalid"},
			{name: "another user's code", method: "POST", path: "/mobileApi/user/phone", body: phone(wechattest.PhoneCode("mallory-phone", "13700137000")), wantStatus: 400, wantReason: "phone_code_invalid"},
			{name: "45011 quota", method: "POST", path: "/mobileApi/user/phone", body: phone("err:45011"), wantStatus: 429, wantReason: "wechat_rate_limited"},
			{name: "-1 busy", method: "POST", path: "/mobileApi/user/phone", body: phone("err:-1"), wantStatus: 424, wantReason: "wechat_busy"},
			{name: "40226 risky user", method: "POST", path: "/mobileApi/user/phone", body: phone("err:40226"), wantStatus: 424, wantReason: "wechat_risky_user"},
			{name: "garbage", method: "POST", path: "/mobileApi/user/phone", body: phone("garbage"), wantStatus: 424, wantReason: "wechat_busy"},
			{name: "http 500", method: "POST", path: "/mobileApi/user/phone", body: phone("http500"), wantStatus: 424, wantReason: "wechat_busy"},
			{name: "no phone_info", method: "POST", path: "/mobileApi/user/phone", body: phone("noinfo"), wantStatus: 424, wantReason: "wechat_busy"},
			{name: "timeout", method: "POST", path: "/mobileApi/user/phone", body: phone("slow"), wantStatus: 424, wantReason: "wechat_busy"},
			{name: "no code", method: "POST", path: "/mobileApi/user/phone", body: map[string]any{}, wantStatus: 400, wantReason: "invalid_code"},
			{name: "oversized code", method: "POST", path: "/mobileApi/user/phone", body: phone(strings.Repeat("x", 200)), wantStatus: 400, wantReason: "invalid_code"},
		}
		for _, s := range scenarios {
			t.Run(s.name, func(t *testing.T) {
				s.headers = auth
				start := time.Now()
				s.run(t, app)
				if d := time.Since(start); d > 5*time.Second {
					t.Fatalf("took %v", d)
				}
			})
		}

		// checkSession failures, injected at WeChat.
		for _, tc := range []struct{ inject, reason string }{
			{"errcode:-1", "wechat_busy"}, {"errcode:45011", "wechat_rate_limited"}, {"garbage", "wechat_busy"},
			{"http500", "wechat_busy"}, {"slow", "wechat_busy"}, {"errcode:40013", "wechat_misconfigured"},
		} {
			t.Run("checkSession "+tc.inject, func(t *testing.T) {
				app.WeChat.Inject(wechattest.PathCheckSession, tc.inject)
				status := 424
				if tc.reason == "wechat_rate_limited" {
					status = 429
				}
				scenario{method: "GET", path: "/mobileApi/user/checkSession", headers: auth, wantStatus: status, wantReason: tc.reason}.run(t, app)
			})
		}

		// A token WeChat stops accepting (40001, 42001) is renewed once and the call retried.
		for _, disable := range []func(){app.WeChat.KillAccessTokens, app.WeChat.ExpireAccessTokens} {
			before := app.WeChat.ForcedRefreshes()
			disable()
			r := app.Authed(t, http.MethodGet, "/mobileApi/user/checkSession", token, nil)
			if r.Code() != 1 || r.Body["valid"] != true {
				t.Fatalf("checkSession after the access_token went bad: %d %s", r.Status, r.Raw)
			}
			if n := app.WeChat.ForcedRefreshes() - before; n != 1 {
				t.Fatalf("forced refreshes: %d, want 1", n)
			}
		}
		// A token refused even after renewal is the operator's problem, told without a 5xx.
		app.WeChat.Inject(wechattest.PathPhoneNumber, "errcode:40001", "errcode:40001")
		scenario{method: "POST", path: "/mobileApi/user/phone", body: phone(wechattest.PhoneCode("bob-phone", "13900139001")), headers: auth, wantStatus: 424, wantReason: "wechat_misconfigured"}.run(t, app)
		// stable_token itself failing.
		app.WeChat.KillAccessTokens()
		app.WeChat.Inject(wechattest.PathStableToken, "errcode:40125")
		scenario{method: "GET", path: "/mobileApi/user/checkSession", headers: auth, wantStatus: 424, wantReason: "wechat_misconfigured"}.run(t, app)
		app.WeChat.Inject(wechattest.PathStableToken, "slow")
		scenario{method: "GET", path: "/mobileApi/user/checkSession", headers: auth, wantStatus: 424, wantReason: "wechat_busy"}.run(t, app)

		for _, line := range strings.Split(app.Logs.String(), "\n") {
			if strings.Contains(line, "status=5") {
				t.Fatalf("a user-data failure was answered with a 5xx: %s", line)
			}
		}
	})
}

// TestOpenDataRefusals sends encrypted and signed data that must be refused.
func TestOpenDataRefusals(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver, WatermarkWindow: 5 * time.Minute})
		app.CreateAccount(t, "carol", "correct-horse", "user")
		token := app.BindNew(t, "carol-phone", "carol", "correct-horse")
		auth := []string{"Authorization", "Bearer " + token}
		appid := app.WeChat.AppID
		phoneData := map[string]any{"phoneNumber": "13800138000", "purePhoneNumber": "13800138000", "countryCode": "86"}
		enc := func(name, appid string, at time.Time, payload map[string]any) map[string]any {
			ed, iv := wechattest.EncryptFor(t, name, appid, at, payload)
			return map[string]any{"encryptedData": ed, "iv": iv}
		}
		tampered := enc("carol-phone", appid, time.Now(), phoneData)
		ct, _ := base64.StdEncoding.DecodeString(tampered["encryptedData"].(string))
		ct[len(ct)-1] ^= 0x55
		tampered["encryptedData"] = base64.StdEncoding.EncodeToString(ct)
		truncated := enc("carol-phone", appid, time.Now(), phoneData)
		truncated["encryptedData"] = truncated["encryptedData"].(string)[:20]

		rawData := `{"nickName":"Carol","avatarUrl":""}`
		scenarios := []scenario{
			{name: "phone for another appid", path: "/mobileApi/user/phone", body: enc("carol-phone", "wx0000000000000000", time.Now(), phoneData), wantStatus: 400, wantReason: "wrong_appid"},
			{name: "phone stamped 6 minutes ago", path: "/mobileApi/user/phone", body: enc("carol-phone", appid, time.Now().Add(-6*time.Minute), phoneData), wantStatus: 400, wantReason: "data_expired"},
			{name: "phone under another user's key", path: "/mobileApi/user/phone", body: enc("mallory-phone", appid, time.Now(), phoneData), wantStatus: 400, wantReason: "decrypt_failed"},
			{name: "phone tampered", path: "/mobileApi/user/phone", body: tampered, wantStatus: 400, wantReason: "decrypt_failed"},
			{name: "phone truncated", path: "/mobileApi/user/phone", body: truncated, wantStatus: 400, wantReason: "decrypt_failed"},
			{name: "phone without iv", path: "/mobileApi/user/phone", body: map[string]any{"encryptedData": tampered["encryptedData"]}, wantStatus: 400, wantReason: "invalid_encryptedData"},
			{name: "phone payload without a number", path: "/mobileApi/user/phone", body: enc("carol-phone", appid, time.Now(), map[string]any{"nickName": "x"}), wantStatus: 400, wantReason: "decrypt_failed"},
			{name: "profile about another openid", path: "/mobileApi/user/profile", body: enc("carol-phone", appid, time.Now(), map[string]any{"openId": "o-someone-else", "nickName": "X"}), wantStatus: 400, wantReason: "openid_mismatch"},
			{name: "profile for another appid", path: "/mobileApi/user/profile", body: enc("carol-phone", "wx0000000000000000", time.Now(), map[string]any{"nickName": "X"}), wantStatus: 400, wantReason: "wrong_appid"},
			{name: "rawData with a wrong signature", path: "/mobileApi/user/profile", body: map[string]any{"rawData": rawData, "signature": strings.Repeat("0", 40)}, wantStatus: 400, wantReason: "signature_invalid"},
			{name: "rawData signed with another key", path: "/mobileApi/user/profile", body: map[string]any{"rawData": rawData, "signature": wechat.RawDataSignature(rawData, wechattest.SessionKey("mallory-phone"))}, wantStatus: 400, wantReason: "signature_invalid"},
			{name: "rawData without signature", path: "/mobileApi/user/profile", body: map[string]any{"rawData": rawData}, wantStatus: 400, wantReason: "invalid_rawData"},
			{name: "signed rawData that is not JSON", path: "/mobileApi/user/profile", body: map[string]any{"rawData": "nope", "signature": wechat.RawDataSignature("nope", wechattest.SessionKey("carol-phone"))}, wantStatus: 400, wantReason: "invalid_rawData"},
			{name: "signed rawData with a javascript: avatar", path: "/mobileApi/user/profile", body: map[string]any{"rawData": `{"avatarUrl":"javascript:alert(1)"}`, "signature": wechat.RawDataSignature(`{"avatarUrl":"javascript:alert(1)"}`, wechattest.SessionKey("carol-phone"))}, wantStatus: 400, wantReason: "invalid_avatarUrl"},
		}
		for _, s := range scenarios {
			t.Run(s.name, func(t *testing.T) {
				s.method, s.headers = http.MethodPost, auth
				s.run(t, app)
			})
		}
		if a, _ := app.Store.AccountByUsername(context.Background(), "carol"); a.Phone != "" {
			t.Fatalf("a refused payload stored phone %q", a.Phone)
		}
	})
}

func TestSandboxUserData(t *testing.T) {
	app := webtest.Start(t, webtest.Options{Sandbox: true})
	app.CreateAccount(t, "dave", "correct-horse", "user")
	r := app.CheckBind(t, "sandbox:dave")
	b := app.Do(t, http.MethodPost, "/mobileApi/user/bind", map[string]any{"bindTicket": r.String("bindTicket"), "username": "dave", "password": "correct-horse"})
	token := b.String("token")
	if token == "" {
		t.Fatalf("bind: %s", b.Raw)
	}
	p := app.Authed(t, http.MethodPost, "/mobileApi/user/phone", token, map[string]any{"code": "sandbox:13800138000"})
	if p.Code() != 1 || p.String("phone") != "13800138000" || p.String("countryCode") != "86" {
		t.Fatalf("sandbox phone: %s", p.Raw)
	}
	if s := app.Authed(t, http.MethodGet, "/mobileApi/user/checkSession", token, nil); s.Body["valid"] != true {
		t.Fatalf("sandbox checkSession: %s", s.Raw)
	}
	if p := app.Authed(t, http.MethodPost, "/mobileApi/user/phone", token, map[string]any{"code": "not-a-sandbox-code"}); p.Status != 400 || p.String("reason") != "phone_code_invalid" {
		t.Fatalf("sandbox bad phone code: %d %s", p.Status, p.Raw)
	}
}

// ---- avatars

// pngImage encodes a w×h PNG; text, when given, goes into a tEXt chunk as metadata.
func pngImage(t testing.TB, w, h int, text []byte) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 4), 200, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if text == nil {
		return b
	}
	// Insert a tEXt chunk right after IHDR (8-byte signature + 25-byte IHDR chunk).
	chunk := pngChunk("tEXt", text)
	return append(append(append([]byte(nil), b[:33]...), chunk...), b[33:]...)
}

func pngChunk(kind string, data []byte) []byte {
	var c bytes.Buffer
	n := len(data)
	c.Write([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
	c.WriteString(kind)
	c.Write(data)
	crc := crc32.ChecksumIEEE(append([]byte(kind), data...))
	c.Write([]byte{byte(crc >> 24), byte(crc >> 16), byte(crc >> 8), byte(crc)})
	return c.Bytes()
}

// jpegWithExif encodes a JPEG and inserts an APP1 Exif segment holding marker.
func jpegWithExif(t testing.TB, marker string) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 48, 32))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	payload := append([]byte("Exif\x00\x00"), marker...)
	seg := []byte{0xFF, 0xE1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}
	seg = append(seg, payload...)
	b := buf.Bytes()
	return append(append(append([]byte(nil), b[:2]...), seg...), b[2:]...)
}

// webp32 is a 32×32 lossless WebP made with `cwebp -lossless` from a gradient.
const webp32 = "UklGRjoAAABXRUJQVlA4TC0AAAAvH8AHAAmAIAb8L1uI6H/qAiAI/+MWIvqfCiJtm8L7dz18MggDGBNA1QP1fwEA"

func multipartBody(t testing.TB, field, filename string, content []byte) (*bytes.Buffer, string) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	fw, err := w.CreateFormFile(field, filename)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(content)
	w.Close()
	return &body, w.FormDataContentType()
}

func upload(t testing.TB, app *webtest.App, token, filename string, content []byte) webtest.Response {
	t.Helper()
	body, ct := multipartBody(t, "file", filename, content)
	return app.Do(t, http.MethodPost, "/mobileApi/user/avatar", body.Bytes(), "Content-Type", ct, "Authorization", "Bearer "+token)
}

// fetchAvatar GETs an avatar URL and checks its headers; it returns the decoded image.
func fetchAvatar(t testing.TB, app *webtest.App, avatarURL, wantType string) image.Image {
	t.Helper()
	raw := fetchAvatarBytes(t, app, avatarURL, wantType)
	img, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("served avatar does not decode: %v", err)
	}
	return img
}

func fetchAvatarBytes(t testing.TB, app *webtest.App, avatarURL, wantType string) []byte {
	t.Helper()
	u, err := url.Parse(avatarURL)
	if err != nil {
		t.Fatal(err)
	}
	r := app.Do(t, http.MethodGet, u.Path, nil)
	if r.Status != 200 {
		t.Fatalf("GET %s: %d", u.Path, r.Status)
	}
	if got := r.Header.Get("Content-Type"); got != wantType {
		t.Fatalf("GET %s: Content-Type %q, want %q", u.Path, got, wantType)
	}
	if r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("GET %s: no X-Content-Type-Options: nosniff", u.Path)
	}
	return r.Raw
}

func TestAvatarUpload(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		app.CreateAccount(t, "erin", "correct-horse", "user")
		token := app.BindNew(t, "erin-phone", "erin", "correct-horse")

		t.Run("PNG metadata is stripped and the content names the file", func(t *testing.T) {
			withText := pngImage(t, 40, 40, []byte("Comment\x00SECRET-PNG-METADATA"))
			if !bytes.Contains(withText, []byte("SECRET-PNG-METADATA")) {
				t.Fatal("test image lacks its metadata")
			}
			r := upload(t, app, token, "a.jpg", withText) // the name lies; the content decides
			if r.Code() != 1 {
				t.Fatalf("upload: %d %s", r.Status, r.Raw)
			}
			served := fetchAvatarBytes(t, app, r.String("avatarUrl"), "image/png")
			u, _ := url.Parse(r.String("avatarUrl"))
			if h := app.Do(t, http.MethodHead, u.Path, nil); h.Status != 200 || h.Header.Get("Content-Type") != "image/png" || h.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Fatalf("HEAD %s: %d %v", u.Path, h.Status, h.Header)
			}
			if bytes.Contains(served, []byte("SECRET-PNG-METADATA")) || bytes.Contains(served, []byte("tEXt")) {
				t.Fatal("served PNG still holds the text chunk")
			}
			again := upload(t, app, token, "b.png", withText)
			if again.String("avatarUrl") != r.String("avatarUrl") {
				t.Fatalf("the same picture got two URLs: %s and %s", r.String("avatarUrl"), again.String("avatarUrl"))
			}
			entries, _ := os.ReadDir(app.DataDir + "/avatars")
			if len(entries) != 1 {
				t.Fatalf("avatar folder holds %d files, want 1", len(entries))
			}
		})
		t.Run("JPEG EXIF is stripped", func(t *testing.T) {
			j := jpegWithExif(t, "GPS-SECRET-LOCATION")
			r := upload(t, app, token, "photo.png", j)
			if r.Code() != 1 || !strings.HasSuffix(r.String("avatarUrl"), ".jpg") {
				t.Fatalf("upload: %d %s", r.Status, r.Raw)
			}
			served := fetchAvatarBytes(t, app, r.String("avatarUrl"), "image/jpeg")
			if bytes.Contains(served, []byte("GPS-SECRET-LOCATION")) || bytes.Contains(served, []byte("Exif")) {
				t.Fatal("served JPEG still holds EXIF")
			}
		})
		t.Run("WebP is accepted and stored as PNG", func(t *testing.T) {
			w, _ := base64.StdEncoding.DecodeString(webp32)
			w = append(w, []byte("TRAILING-SECRET")...)
			r := upload(t, app, token, "tmp.webp", w)
			if r.Code() != 1 {
				t.Fatalf("upload: %d %s", r.Status, r.Raw)
			}
			img := fetchAvatar(t, app, r.String("avatarUrl"), "image/png")
			if img.Bounds().Dx() != 32 {
				t.Fatalf("WebP came out %v", img.Bounds())
			}
		})
		t.Run("token in the query, as wx.uploadFile may send it", func(t *testing.T) {
			body, ct := multipartBody(t, "file", "x.png", pngImage(t, 20, 20, nil))
			r := app.Do(t, http.MethodPost, "/mobileApi/user/avatar?token="+token, body.Bytes(), "Content-Type", ct)
			if r.Code() != 1 {
				t.Fatalf("upload: %d %s", r.Status, r.Raw)
			}
		})

		gif := []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
		truncatedPNG := pngImage(t, 40, 40, nil)
		truncatedPNG = truncatedPNG[:len(truncatedPNG)-30]
		oversized := append(pngImage(t, 20, 20, nil), make([]byte, 2<<20)...)
		jsonBody, _ := json.Marshal(map[string]string{"file": "x"})
		auth := []string{"Authorization", "Bearer " + token}
		for _, tc := range []struct {
			name    string
			file    []byte
			field   string
			status  int
			reason  string
			rawBody []byte
			ct      string
		}{
			{name: "text named .png", file: []byte("this is not an image at all"), status: 415, reason: "unsupported_image"},
			{name: "HTML", file: []byte("<!doctype html><script>alert(1)</script>"), status: 415, reason: "unsupported_image"},
			{name: "GIF", file: gif, status: 415, reason: "unsupported_image"},
			{name: "empty file", file: []byte{}, status: 400, reason: "invalid_file"},
			{name: "truncated PNG", file: truncatedPNG, status: 400, reason: "invalid_file"},
			{name: "too wide", file: pngImage(t, 5000, 20, nil), status: 400, reason: "invalid_file"},
			{name: "too small", file: pngImage(t, 8, 8, nil), status: 400, reason: "invalid_file"},
			{name: "over 2 MB", file: oversized, status: 413, reason: "file_too_large"},
			{name: "body over the upload cap", file: make([]byte, 3<<20), status: 413, reason: "file_too_large"},
			{name: "wrong field name", file: pngImage(t, 20, 20, nil), field: "image", status: 400, reason: "invalid_file"},
			{name: "JSON instead of a form", rawBody: jsonBody, ct: "application/json", status: 415, reason: "invalid_body"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				body, ct := tc.rawBody, tc.ct
				if body == nil {
					field := tc.field
					if field == "" {
						field = "file"
					}
					b, c := multipartBody(t, field, "avatar.png", tc.file)
					body, ct = b.Bytes(), c
				}
				r := app.Do(t, http.MethodPost, "/mobileApi/user/avatar", body, append([]string{"Content-Type", ct}, auth...)...)
				if r.Status != tc.status || r.Code() != 0 || r.String("reason") != tc.reason || r.String("msg") == "" {
					t.Fatalf("want %d %s, got %d %s", tc.status, tc.reason, r.Status, r.Raw)
				}
			})
		}

		for _, path := range []string{"/avatars/../../etc/passwd", "/avatars/" + strings.Repeat("a", 64) + ".png", "/avatars/x.png", "/avatars/%2e%2e%2fapp.db"} {
			r := app.Do(t, http.MethodGet, path, nil)
			if r.Status != 404 {
				t.Fatalf("GET %s: want 404, got %d", path, r.Status)
			}
		}
		if r := app.Do(t, http.MethodPost, "/mobileApi/user/avatar", []byte("x"), "Content-Type", "multipart/form-data; boundary=x"); r.Status != 401 {
			t.Fatalf("upload without a token: want 401, got %d", r.Status)
		}
	})
}

// TestUserDataRateLimitPerAccount: one account's phone/checkSession/avatar calls share a budget;
// another account behind the same address keeps its own.
func TestUserDataRateLimitPerAccount(t *testing.T) {
	app := webtest.Start(t, webtest.Options{RateLimits: &web.RateLimits{UserData: web.Rate{PerSecond: 0.01, Burst: 2}}})
	app.CreateAccount(t, "gus", "correct-horse", "user")
	app.CreateAccount(t, "hal", "correct-horse", "user")
	gus := app.BindNew(t, "gus-phone", "gus", "correct-horse")
	hal := app.BindNew(t, "hal-phone", "hal", "correct-horse")
	if r := app.Authed(t, http.MethodGet, "/mobileApi/user/checkSession", gus, nil); r.Code() != 1 {
		t.Fatalf("first: %s", r.Raw)
	}
	if r := app.Authed(t, http.MethodPost, "/mobileApi/user/phone", gus, map[string]any{"code": wechattest.PhoneCode("gus-phone", "13800138000")}); r.Code() != 1 {
		t.Fatalf("second: %s", r.Raw)
	}
	calls := app.WeChat.CallsTo(wechattest.PathCheckSession)
	r := app.Authed(t, http.MethodGet, "/mobileApi/user/checkSession", gus, nil)
	if r.Status != 429 || r.Code() != 0 || r.String("reason") != "rate_limited" || r.Header.Get("Retry-After") == "" || r.String("msg") == "" {
		t.Fatalf("third call: want 429 rate_limited with Retry-After, got %d %v %s", r.Status, r.Header, r.Raw)
	}
	if app.WeChat.CallsTo(wechattest.PathCheckSession) != calls {
		t.Fatal("a refused call still reached WeChat")
	}
	// the avatar upload spends the same budget
	if r := upload(t, app, gus, "a.png", []byte("not read: refused before")); r.Status != 429 || r.String("reason") != "rate_limited" {
		t.Fatalf("avatar past the budget: want 429 rate_limited, got %d %s", r.Status, r.Raw)
	}
	if r := app.Authed(t, http.MethodGet, "/mobileApi/user/checkSession", hal, nil); r.Code() != 1 {
		t.Fatalf("another account from the same address: %d %s", r.Status, r.Raw)
	}
}

// TestAvatarDecodeBombs sends issue 11's decode bombs through the real upload path, several at
// once: a 4096×4096 progressive JPEG with 4,000 scans (≈ 27 s of CPU each before the fix), a
// 1024×1024 one with 20,000 scans (also with a stray byte before each scan), and a 4096×4096
// 16-bit PNG (128 MiB decoded). Each must be
// refused from its headers within a second, with the limit in the message, while the process's
// heap and CPU time stay flat, and nothing is stored.
func TestAvatarDecodeBombs(t *testing.T) {
	bombs := map[string]struct {
		file  []byte
		limit string
	}{
		"jpeg-4096-4000scans":  {avatartest.ProgressiveJPEG(4096, 4096, 4000), "1024"},
		"jpeg-1024-20000scans": {avatartest.ProgressiveJPEG(1024, 1024, 20000), "32"},
		// A stray byte before each scan, which the decoder skips: the count must not stop there.
		"jpeg-1024-20000scans-stray-bytes": {bytes.ReplaceAll(avatartest.ProgressiveJPEG(1024, 1024, 20000), []byte{0xFF, 0xDA}, []byte{0, 0xFF, 0xDA}), "32"},
		"png16-4096":                       {avatartest.PNG16(4096, 4096), "1024"},
	}
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		app.CreateAccount(t, "ivy", "correct-horse", "user")
		token := app.BindNew(t, "ivy-phone", "ivy", "correct-horse")
		type upload struct {
			name, ct, limit string
			body            []byte
		}
		var uploads []upload
		for name, b := range bombs {
			body, ct := multipartBody(t, "file", name+".jpg", b.file)
			for range 2 {
				uploads = append(uploads, upload{name, ct, b.limit, body.Bytes()})
			}
		}

		runtime.GC()
		heapBase := heapBytes()
		peak := make(chan uint64)
		stop := make(chan struct{})
		go func() { // the heap's high-water mark while the bombs are in flight
			high := heapBase
			for {
				select {
				case <-stop:
					peak <- high
					return
				case <-time.After(time.Millisecond):
					high = max(high, heapBytes())
				}
			}
		}()
		cpuBefore := cpuTime(t)
		results := make(chan string, len(uploads))
		for _, u := range uploads {
			go func() {
				start := time.Now()
				r := app.Do(t, http.MethodPost, "/mobileApi/user/avatar", u.body, "Content-Type", u.ct, "Authorization", "Bearer "+token)
				took := time.Since(start)
				switch {
				case took > time.Second:
					results <- fmt.Sprintf("%s answered after %v", u.name, took)
				case r.Status != 400 || r.String("reason") != "invalid_file" || !strings.Contains(r.String("msg"), u.limit):
					results <- fmt.Sprintf("%s: want 400 invalid_file naming %s, got %d %s", u.name, u.limit, r.Status, r.Raw)
				default:
					results <- ""
				}
			}()
		}
		for range uploads {
			if msg := <-results; msg != "" {
				t.Error(msg)
			}
		}
		cpu := cpuTime(t) - cpuBefore
		close(stop)
		grew := int64(<-peak) - int64(heapBase)
		t.Logf("%d bombs: heap grew at most %d KiB, CPU %v", len(uploads), grew>>10, cpu)
		if grew > 32<<20 {
			t.Errorf("heap grew by %d MiB while refusing the bombs; want under 32 MiB", grew>>20)
		}
		if cpu > time.Second {
			t.Errorf("refusing %d bombs took %v of CPU; want under a second", len(uploads), cpu)
		}
		if info := app.Authed(t, http.MethodGet, "/mobileApi/user/info", token, nil); info.Body["userInfo"].(map[string]any)["avatarUrl"] != "" {
			t.Fatalf("a refused bomb set the avatar: %s", info.Raw)
		}
		if entries, _ := os.ReadDir(app.DataDir + "/avatars"); len(entries) != 0 {
			t.Fatalf("refused bombs left %d files", len(entries))
		}
	})
}

// heapBytes is the memory held by live and not yet swept heap objects.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// cpuTime is the CPU this process has used, user and system.
func cpuTime(t testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestAvatarDecodeBusy: with one decode slot and almost no wait, uploads that arrive together
// find it taken and get 429 server_busy with Retry-After; the one holding it succeeds.
// (SQLite only: nothing here depends on the database.)
func TestAvatarDecodeBusy(t *testing.T) {
	// A minute per request: the upload that holds the slot decodes a 1024×1024 PNG, which under
	// the race detector on a loaded machine can take longer than the production 10 s.
	app := webtest.Start(t, webtest.Options{AvatarDecodes: 1, AvatarDecodeWait: time.Millisecond, RequestTimeout: time.Minute})
	app.CreateAccount(t, "jay", "correct-horse", "user")
	token := app.BindNew(t, "jay-phone", "jay", "correct-horse")
	body, ct := multipartBody(t, "file", "big.png", pngImage(t, 1024, 1024, nil))
	const n = 4
	answers := make(chan webtest.Response, n)
	start := make(chan struct{})
	for range n {
		go func() {
			<-start
			answers <- app.Do(t, http.MethodPost, "/mobileApi/user/avatar", body.Bytes(), "Content-Type", ct, "Authorization", "Bearer "+token)
		}()
	}
	close(start)
	ok, busy := 0, 0
	for range n {
		r := <-answers
		switch {
		case r.Status == 200 && r.Code() == 1:
			ok++
		case r.Status == 429 && r.Code() == 0 && r.String("reason") == "server_busy" && r.Header.Get("Retry-After") == "2" && r.String("msg") != "":
			busy++
		default:
			t.Fatalf("want 200 or 429 server_busy with Retry-After: 2, got %d %v %s", r.Status, r.Header, r.Raw)
		}
	}
	if ok == 0 || busy == 0 {
		t.Fatalf("%d succeeded, %d were told the server is busy; want both", ok, busy)
	}
}

// TestAvatarURLSources: an avatar URL is stored only when it is one of this server's uploads or
// on WeChat's avatar hosts (then as https), so the console never loads an image from a host a
// user chose; an upload's URL starts with PUBLIC_URL whatever Host header the request carried.
func TestAvatarURLSources(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		app := webtest.Start(t, webtest.Options{Driver: driver})
		app.CreateAccount(t, "kim", "correct-horse", "user")
		token := app.BindNew(t, "kim-phone", "kim", "correct-horse")

		body, ct := multipartBody(t, "file", "me.png", pngImage(t, 32, 32, nil))
		req, _ := http.NewRequest(http.MethodPost, app.URL+"/mobileApi/user/avatar", bytes.NewReader(body.Bytes()))
		req.Host = "evil.example" // a forged Host header never reaches the stored URL
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := app.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var up struct{ AvatarURL string }
		json.NewDecoder(resp.Body).Decode(&up)
		resp.Body.Close()
		if !strings.HasPrefix(up.AvatarURL, app.URL+"/avatars/") {
			t.Fatalf("upload with Host: evil.example answered avatarUrl %q; want it under %s/avatars/", up.AvatarURL, app.URL)
		}
		profile := func(avatarURL string) webtest.Response {
			return app.Authed(t, http.MethodPost, "/mobileApi/user/profile", token, map[string]any{"avatarUrl": avatarURL})
		}
		for sent, stored := range map[string]string{
			up.AvatarURL: up.AvatarURL,
			"https://thirdwx.qlogo.cn/mmopen/vi_32/a/132": "https://thirdwx.qlogo.cn/mmopen/vi_32/a/132",
			"http://wx.qlogo.cn/mmopen/vi_32/b/0":         "https://wx.qlogo.cn/mmopen/vi_32/b/0", // legacy getUserInfo
			"https://THIRDWX.qlogo.cn/mmopen/c/132":       "https://thirdwx.qlogo.cn/mmopen/c/132",
		} {
			r := profile(sent)
			if r.Code() != 1 || r.Body["userInfo"].(map[string]any)["avatarUrl"] != stored {
				t.Fatalf("avatarUrl %q: want stored as %q, got %d %s", sent, stored, r.Status, r.Raw)
			}
		}
		name := strings.TrimPrefix(up.AvatarURL, app.URL+"/avatars/")
		for _, refused := range []string{
			"https://example.com/a.png",
			"https://thirdwx.qlogo.cn.evil.example/a/132",
			"https://evil.example/avatars/" + name,
			"http://evil.example" + strings.TrimPrefix(up.AvatarURL, app.URL),
			app.URL + "/avatars/../app.db",
			app.URL + "/avatars/" + name + "?x=1",
			"https://user@thirdwx.qlogo.cn/a/132",
			"https://thirdwx.qlogo.cn:8443/a/132",
			"//thirdwx.qlogo.cn/a/132",
			"wxfile://tmp_avatar.png",
			"javascript:alert(1)",
		} {
			r := profile(refused)
			if r.Status != 400 || r.String("reason") != "invalid_avatarUrl" || r.String("msg") != "请先上传头像再保存" {
				t.Errorf("avatarUrl %q: want 400 invalid_avatarUrl with the catalog's message, got %d %s", refused, r.Status, r.Raw)
			}
		}
		// Bind takes the same rule.
		ticket := app.CheckBind(t, wechattest.Code("kim-tablet"))
		r := app.Do(t, http.MethodPost, "/mobileApi/user/bind", map[string]any{"bindTicket": ticket.String("bindTicket"), "username": "kim", "password": "correct-horse", "avatarUrl": "https://example.com/a.png"})
		if r.Status != 400 || r.String("reason") != "invalid_avatarUrl" {
			t.Fatalf("bind with a foreign avatarUrl: want 400 invalid_avatarUrl, got %d %s", r.Status, r.Raw)
		}
		info := app.Authed(t, http.MethodGet, "/mobileApi/user/info", token, nil)
		if got := info.Body["userInfo"].(map[string]any)["avatarUrl"]; got != "https://thirdwx.qlogo.cn/mmopen/c/132" && got != "https://wx.qlogo.cn/mmopen/vi_32/b/0" &&
			got != "https://thirdwx.qlogo.cn/mmopen/vi_32/a/132" && got != up.AvatarURL {
			t.Fatalf("a refused avatarUrl was stored: %v", got)
		}
	})
}

// TestAvatarURLSourcesConfigured: with PUBLIC_URL and AVATAR_HOSTS set, uploads answer under
// PUBLIC_URL and only the listed hosts are taken. (SQLite: the rule is the same on both.)
func TestAvatarURLSourcesConfigured(t *testing.T) {
	app := webtest.Start(t, webtest.Options{PublicURL: "https://api.example.com/", AvatarHosts: []string{"img.example.com"}})
	app.CreateAccount(t, "lou", "correct-horse", "user")
	token := app.BindNew(t, "lou-phone", "lou", "correct-horse")
	up := upload(t, app, token, "me.png", pngImage(t, 32, 32, nil))
	if !strings.HasPrefix(up.String("avatarUrl"), "https://api.example.com/avatars/") {
		t.Fatalf("upload answered %q; want it under PUBLIC_URL", up.String("avatarUrl"))
	}
	for avatarURL, want := range map[string]int{
		up.String("avatarUrl"):                                   200,
		"https://img.example.com/a.png":                          200,
		"https://thirdwx.qlogo.cn/mmopen/a/1":                    400, // not listed any more
		app.URL + "/avatars/" + strings.Repeat("a", 64) + ".png": 400, // not PUBLIC_URL
	} {
		if r := app.Authed(t, http.MethodPost, "/mobileApi/user/profile", token, map[string]any{"avatarUrl": avatarURL}); r.Status != want {
			t.Errorf("avatarUrl %q: want %d, got %d %s", avatarURL, want, r.Status, r.Raw)
		}
	}
}
