package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// fakeWeChat answers jscode2session like WeChat for the demo users: the code "demo:<n>" is the
// WeChat user with openid "demo-openid-<n>", which `server demo` binds to demo<n>. Codes are not
// spent on use, so any number of logins can be replayed; everything else is errcode 40029.
type fakeWeChat struct {
	appID, secret string
	calls         atomic.Int64
	conns         atomic.Int64 // connections the server opened to it: few if it reuses them
	srv           *http.Server
	url           string
}

func startFakeWeChat(appID, secret string) (*fakeWeChat, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &fakeWeChat{appID: appID, secret: secret, url: "http://" + ln.Addr().String()}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sns/jscode2session", f.jscode2session)
	f.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second,
		ConnState: func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				f.conns.Add(1)
			}
		}}
	go f.srv.Serve(ln)
	return f, nil
}

func (f *fakeWeChat) close() { f.srv.Close() }

func (f *fakeWeChat) jscode2session(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	q := r.URL.Query()
	reply := map[string]any{}
	switch n, ok := strings.CutPrefix(q.Get("js_code"), "demo:"); {
	case q.Get("appid") != f.appID:
		reply = map[string]any{"errcode": 40013, "errmsg": "invalid appid"}
	case q.Get("secret") != f.secret:
		reply = map[string]any{"errcode": 40125, "errmsg": "invalid appsecret"}
	case !ok || n == "":
		reply = map[string]any{"errcode": 40029, "errmsg": "invalid code"}
	default:
		sum := sha256.Sum256([]byte("loadtest session_key/" + n))
		reply = map[string]any{"openid": "demo-openid-" + n, "session_key": base64.StdEncoding.EncodeToString(sum[:16])}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(reply)
}
