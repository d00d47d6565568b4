package wechattest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"wxbind/wechat"
)

// The user-data endpoints of the fake:
//
//	POST /cgi-bin/stable_token      a token per appid+secret; the same one until it expires
//	                                unless force_refresh, which issues a new one and kills the old
//	POST /wxa/business/getuserphonenumber
//	                                code "phone:NAME:NUMBER:N" (see PhoneCode) answers NUMBER once
//	                                (40163 after), or 40029 when the openid sent is not NAME's;
//	                                "err:N", "garbage", "http500", "slow", "noinfo" as for login
//	GET  /wxa/checksession          errcode 0 when the hmac_sha256 signature is of NAME's current
//	                                session_key, else 87009 (see ExpireSession)
//
// The access_token is checked on the last two: unknown or killed tokens answer 40001, expired
// ones 42001. Inject makes the next calls to a path answer something else.

// Paths of the user-data endpoints, for Inject and CallsTo.
const (
	PathStableToken  = "/cgi-bin/stable_token"
	PathPhoneNumber  = "/wxa/business/getuserphonenumber"
	PathCheckSession = "/wxa/checksession"
)

type issuedToken struct {
	expiresAt time.Time
	killed    bool
}

type userData struct {
	// TokenLifetime is the expires_in stable_token gives new tokens; default 7200 s.
	TokenLifetime atomic.Int64

	udMu        sync.Mutex
	tokens      map[string]*issuedToken
	tokenOrder  []string
	current     string
	sessions    map[string]string // openid → current session_key
	phoneSpent  map[string]bool
	injected    map[string][]string
	pathCalls   map[string]int64
	forcedCalls int64
}

func newUserData() userData {
	return userData{
		tokens: map[string]*issuedToken{}, sessions: map[string]string{}, phoneSpent: map[string]bool{},
		injected: map[string][]string{}, pathCalls: map[string]int64{},
	}
}

func (f *Fake) routeUserData(mux *http.ServeMux) {
	mux.HandleFunc("POST "+PathStableToken, f.stableToken)
	mux.HandleFunc("POST "+PathPhoneNumber, f.phoneNumber)
	mux.HandleFunc("GET "+PathCheckSession, f.checkSession)
}

// ClientWithCache is a real wechat.Client pointed at the fake, sharing its access_token
// through cache (nil: this client only).
func (f *Fake) ClientWithCache(t testing.TB, timeout time.Duration, cache wechat.TokenCache) *wechat.Client {
	t.Helper()
	c, err := wechat.NewClient(wechat.ClientConfig{BaseURL: f.Server.URL, AppID: f.AppID, Secret: f.Secret, Timeout: timeout, TokenCache: cache})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Inject makes the next len(replies) calls to path answer, in order: "errcode:N" (that
// errcode), "garbage" (200, not JSON), "http500", "slow" (stalls until the client gives up),
// or "noinfo" (errcode 0 without the data).
func (f *Fake) Inject(path string, replies ...string) {
	f.udMu.Lock()
	defer f.udMu.Unlock()
	f.injected[path] = append(f.injected[path], replies...)
}

// CallsTo counts requests to path.
func (f *Fake) CallsTo(path string) int64 {
	f.udMu.Lock()
	defer f.udMu.Unlock()
	return f.pathCalls[path]
}

// ForcedRefreshes counts stable_token calls with force_refresh.
func (f *Fake) ForcedRefreshes() int64 {
	f.udMu.Lock()
	defer f.udMu.Unlock()
	return f.forcedCalls
}

// AccessTokens is every access_token the fake has issued, oldest first.
func (f *Fake) AccessTokens() []string {
	f.udMu.Lock()
	defer f.udMu.Unlock()
	return append([]string(nil), f.tokenOrder...)
}

// KillAccessTokens makes every token issued so far answer 40001, as when another party
// forced a refresh.
func (f *Fake) KillAccessTokens() {
	f.udMu.Lock()
	defer f.udMu.Unlock()
	for _, t := range f.tokens {
		t.killed = true
	}
}

// ExpireAccessTokens makes every token issued so far answer 42001.
func (f *Fake) ExpireAccessTokens() {
	f.udMu.Lock()
	defer f.udMu.Unlock()
	past := time.Now().Add(-time.Second)
	for _, t := range f.tokens {
		t.expiresAt = past
	}
}

// ExpireSession makes WeChat forget name's session_key, as when the user logs in elsewhere or
// the key times out: checksession answers 87009 until name logs in again.
func (f *Fake) ExpireSession(name string) {
	f.udMu.Lock()
	defer f.udMu.Unlock()
	delete(f.sessions, OpenID(name))
}

func (f *Fake) startSession(name string) {
	f.udMu.Lock()
	defer f.udMu.Unlock()
	f.sessions[OpenID(name)] = SessionKey(name)
}

var phoneSeq atomic.Int64

// PhoneCode returns a fresh getPhoneNumber code for the WeChat user name's number.
func PhoneCode(name, number string) string {
	return fmt.Sprintf("phone:%s:%s:%d", name, number, phoneSeq.Add(1))
}

// EncryptFor makes an encryptedData/iv pair as WeChat would for name: payload plus a watermark
// for appid stamped at, encrypted under name's session_key.
func EncryptFor(t testing.TB, name, appid string, at time.Time, payload map[string]any) (encryptedData, iv string) {
	t.Helper()
	return Encrypt(t, SessionKey(name), appid, at, payload)
}

// Encrypt is EncryptFor with any session_key.
func Encrypt(t testing.TB, sessionKey, appid string, at time.Time, payload map[string]any) (encryptedData, iv string) {
	t.Helper()
	body := map[string]any{}
	for k, v := range payload {
		body[k] = v
	}
	body["watermark"] = map[string]any{"appid": appid, "timestamp": at.Unix()}
	plain, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	ivb := make([]byte, 16)
	rand.Read(ivb)
	ct, err := wechat.EncryptOpenData(sessionKey, plain, ivb)
	if err != nil {
		t.Fatal(err)
	}
	return ct, base64.StdEncoding.EncodeToString(ivb)
}

// takeInjected pops the next injected reply for path and counts the call.
func (f *Fake) takeInjected(path string) string {
	f.udMu.Lock()
	defer f.udMu.Unlock()
	f.pathCalls[path]++
	q := f.injected[path]
	if len(q) == 0 {
		return ""
	}
	f.injected[path] = q[1:]
	return q[0]
}

// answerInjected writes an injected reply; it reports false for "".
func answerInjected(w http.ResponseWriter, r *http.Request, reply string) bool {
	switch {
	case reply == "":
		return false
	case strings.HasPrefix(reply, "errcode:"):
		n, _ := strconv.Atoi(strings.TrimPrefix(reply, "errcode:"))
		writeJSON(w, map[string]any{"errcode": n, "errmsg": "fake error, rid: fake"})
	case reply == "garbage":
		w.Write([]byte("<html>not json"))
	case reply == "http500":
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte("<html>500 Internal Server Error</html>"))
	case reply == "slow":
		stall(r)
	default: // noinfo
		writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok"})
	}
	return true
}

func stall(r *http.Request) {
	// The server notices the client hanging up only once the body has been read.
	io.Copy(io.Discard, r.Body)
	select {
	case <-r.Context().Done():
	case <-time.After(30 * time.Second):
	}
}

func (f *Fake) stableToken(w http.ResponseWriter, r *http.Request) {
	if answerInjected(w, r, f.takeInjected(PathStableToken)) {
		return
	}
	var req struct {
		GrantType    string `json:"grant_type"`
		AppID        string `json:"appid"`
		Secret       string `json:"secret"`
		ForceRefresh bool   `json:"force_refresh"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, map[string]any{"errcode": 47001, "errmsg": "data format error, rid: fake"})
		return
	}
	switch {
	case req.GrantType != "client_credential":
		writeJSON(w, map[string]any{"errcode": 40002, "errmsg": "invalid grant_type"})
		return
	case req.AppID != f.AppID:
		writeJSON(w, map[string]any{"errcode": 40013, "errmsg": "invalid appid"})
		return
	case req.Secret != f.Secret:
		writeJSON(w, map[string]any{"errcode": 40125, "errmsg": "invalid appsecret"})
		return
	}
	lifetime := time.Duration(f.TokenLifetime.Load()) * time.Second
	if lifetime <= 0 {
		lifetime = 7200 * time.Second
	}
	f.udMu.Lock()
	defer f.udMu.Unlock()
	now := time.Now()
	if req.ForceRefresh {
		f.forcedCalls++
	}
	// Like WeChat, the current token is handed out again while it has a good part of its life left.
	if cur, ok := f.tokens[f.current]; ok && !req.ForceRefresh && !cur.killed && cur.expiresAt.Sub(now) > lifetime/4 {
		writeJSON(w, map[string]any{"access_token": f.current, "expires_in": int64(cur.expiresAt.Sub(now).Seconds())})
		return
	}
	if cur, ok := f.tokens[f.current]; ok && req.ForceRefresh {
		cur.killed = true
	}
	b := make([]byte, 12)
	rand.Read(b)
	token := "fake-access-token-" + hex.EncodeToString(b)
	f.tokens[token] = &issuedToken{expiresAt: now.Add(lifetime)}
	f.tokenOrder = append(f.tokenOrder, token)
	f.current = token
	writeJSON(w, map[string]any{"access_token": token, "expires_in": int64(lifetime.Seconds())})
}

// checkToken answers 40001/42001 itself and reports false when the request's token is bad.
func (f *Fake) checkToken(w http.ResponseWriter, r *http.Request) bool {
	f.udMu.Lock()
	var t issuedToken
	p, ok := f.tokens[r.URL.Query().Get("access_token")]
	if ok {
		t = *p
	}
	f.udMu.Unlock()
	switch {
	case !ok || t.killed:
		writeJSON(w, map[string]any{"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest, rid: fake"})
		return false
	case !time.Now().Before(t.expiresAt):
		writeJSON(w, map[string]any{"errcode": 42001, "errmsg": "access_token expired, rid: fake"})
		return false
	}
	return true
}

func (f *Fake) phoneNumber(w http.ResponseWriter, r *http.Request) {
	if answerInjected(w, r, f.takeInjected(PathPhoneNumber)) || !f.checkToken(w, r) {
		return
	}
	var req struct {
		Code   string `json:"code"`
		OpenID string `json:"openid"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, map[string]any{"errcode": 47001, "errmsg": "data format error, rid: fake"})
		return
	}
	code := req.Code
	switch {
	case strings.HasPrefix(code, "phone:"):
		parts := strings.Split(code, ":")
		if len(parts) < 3 {
			break
		}
		name, number := parts[1], parts[2]
		if req.OpenID != "" && req.OpenID != OpenID(name) {
			writeJSON(w, map[string]any{"errcode": 40029, "errmsg": "invalid code, code not belong to openid, rid: fake"})
			return
		}
		f.udMu.Lock()
		used := f.phoneSpent[code]
		f.phoneSpent[code] = true
		f.udMu.Unlock()
		if used {
			writeJSON(w, map[string]any{"errcode": 40163, "errmsg": "code been used, rid: fake"})
			return
		}
		writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "phone_info": map[string]any{
			"phoneNumber": number, "purePhoneNumber": number, "countryCode": 86,
			"watermark": map[string]any{"timestamp": time.Now().Unix(), "appid": f.AppID},
		}})
		return
	case strings.HasPrefix(code, "err:"):
		n, _ := strconv.Atoi(strings.TrimPrefix(code, "err:"))
		writeJSON(w, map[string]any{"errcode": n, "errmsg": "fake error, rid: fake"})
		return
	case code == "garbage", code == "http500", code == "slow", code == "noinfo":
		answerInjected(w, r, code)
		return
	}
	writeJSON(w, map[string]any{"errcode": 40029, "errmsg": "invalid code, rid: fake"})
}

func (f *Fake) checkSession(w http.ResponseWriter, r *http.Request) {
	if answerInjected(w, r, f.takeInjected(PathCheckSession)) || !f.checkToken(w, r) {
		return
	}
	q := r.URL.Query()
	if q.Get("sig_method") != "hmac_sha256" {
		writeJSON(w, map[string]any{"errcode": 87009, "errmsg": "invalid signature, rid: fake"})
		return
	}
	f.udMu.Lock()
	key, ok := f.sessions[q.Get("openid")]
	f.udMu.Unlock()
	if !ok || q.Get("signature") != wechat.SessionSignature(key) {
		writeJSON(w, map[string]any{"errcode": 87009, "errmsg": "invalid signature, rid: fake"})
		return
	}
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok"})
}
