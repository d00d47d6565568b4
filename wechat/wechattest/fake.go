// Package wechattest is a fake WeChat API server for tests, answering over real HTTP with
// WeChat's real errcodes, garbage and stalls, chosen by the login code:
//
//	"ok:NAME"      a fresh code for the WeChat user NAME (same openid every time); spent once,
//	               a second use answers 40163 like WeChat
//	"err:ERRCODE"  WeChat answers that errcode, e.g. "err:45011"
//	"garbage"      a 200 whose body is not JSON
//	"http500"      a 500 with an HTML body
//	"noopenid"     errcode 0 but no openid
//	"slow"         stalls until the client gives up (or 30 s)
//
// Any other code answers 40029 (invalid code). A wrong appid or secret answers 40013/40125.
//
// It also serves cgi-bin/stable_token, wxa/business/getuserphonenumber and wxa/checksession
// (see userdata.go), and wxa/getwxacodeunlimit (see wxacode.go).
package wechattest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"wxbind/wechat"
)

// Fake is a running fake WeChat.
type Fake struct {
	Server *httptest.Server
	AppID  string
	Secret string

	calls atomic.Int64
	mu    sync.Mutex
	spent map[string]bool

	userData // access tokens, phone codes, sessions and injected replies
	codes    wxaCodes
}

// Start runs a fake WeChat until t ends.
func Start(t testing.TB) *Fake {
	t.Helper()
	f := &Fake{AppID: "wxfake0123456789", Secret: "fake-secret-0123456789abcdef", spent: map[string]bool{}}
	f.userData = newUserData()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sns/jscode2session", f.jscode2session)
	f.routeUserData(mux)
	mux.HandleFunc("POST "+PathWxaCode, f.wxaCode)
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Server.Close)
	return f
}

// Client is a real wechat.Client pointed at the fake.
func (f *Fake) Client(t testing.TB, timeout time.Duration) *wechat.Client {
	t.Helper()
	c, err := wechat.NewClient(wechat.ClientConfig{BaseURL: f.Server.URL, AppID: f.AppID, Secret: f.Secret, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Calls counts requests the fake has served.
func (f *Fake) Calls() int64 { return f.calls.Load() }

var codeSeq atomic.Int64

// Code returns a fresh, unspent login code for the WeChat user name.
func Code(name string) string {
	return fmt.Sprintf("ok:%s:%d", name, codeSeq.Add(1))
}

// OpenID is the openid the fake gives the WeChat user name.
func OpenID(name string) string { return "o" + derive("openid", name, 27) }

// UnionID is the unionid the fake gives the WeChat user name.
func UnionID(name string) string { return "u" + derive("unionid", name, 27) }

// SessionKey is the session_key the fake gives the WeChat user name: base64 of 16 bytes.
func SessionKey(name string) string {
	sum := sha256.Sum256([]byte("session_key/" + name))
	return base64.StdEncoding.EncodeToString(sum[:16])
}

func derive(purpose, name string, n int) string {
	sum := sha256.Sum256([]byte(purpose + "/" + name))
	return base64.RawURLEncoding.EncodeToString(sum[:])[:n]
}

func (f *Fake) jscode2session(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	q := r.URL.Query()
	switch {
	case q.Get("appid") != f.AppID:
		writeJSON(w, map[string]any{"errcode": 40013, "errmsg": "invalid appid"})
		return
	case q.Get("secret") != f.Secret:
		writeJSON(w, map[string]any{"errcode": 40125, "errmsg": "invalid appsecret"})
		return
	case q.Get("grant_type") != "authorization_code":
		writeJSON(w, map[string]any{"errcode": 40002, "errmsg": "invalid grant_type"})
		return
	}
	code := q.Get("js_code")
	switch {
	case strings.HasPrefix(code, "ok:"):
		f.mu.Lock()
		used := f.spent[code]
		f.spent[code] = true
		f.mu.Unlock()
		if used {
			writeJSON(w, map[string]any{"errcode": 40163, "errmsg": "code been used, rid: fake"})
			return
		}
		name := strings.SplitN(strings.TrimPrefix(code, "ok:"), ":", 2)[0]
		f.startSession(name)
		writeJSON(w, map[string]any{"openid": OpenID(name), "unionid": UnionID(name), "session_key": SessionKey(name)})
	case strings.HasPrefix(code, "err:"):
		answerInjected(w, r, "errcode:"+strings.TrimPrefix(code, "err:"))
	case code == "garbage", code == "http500", code == "noopenid", code == "slow":
		answerInjected(w, r, code) // noopenid: errcode 0 and nothing else
	default:
		writeJSON(w, map[string]any{"errcode": 40029, "errmsg": "invalid code, rid: fake"})
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	// WeChat answers JSON as text/plain.
	w.Header().Set("Content-Type", "text/plain")
	json.NewEncoder(w).Encode(v)
}
