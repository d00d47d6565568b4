package wechattest

import (
	"encoding/json"
	"net/http"
	"sync"

	"wxbind/wechat"
)

// PathWxaCode is the fake's wxa/getwxacodeunlimit: with a good access_token and a valid scene it
// answers a PNG (WxaCodePNG of the scene), else WeChat's errcode as JSON; "err:N", "garbage",
// "http500" and "slow" can be injected as for the other paths.
const PathWxaCode = "/wxa/getwxacodeunlimit"

// WxaCodeRequest is what a getwxacodeunlimit call asked for.
type WxaCodeRequest struct {
	Scene      string `json:"scene"`
	Page       string `json:"page"`
	CheckPath  bool   `json:"check_path"`
	EnvVersion string `json:"env_version"`
	Width      int    `json:"width"`
}

type wxaCodes struct {
	mu       sync.Mutex
	requests []WxaCodeRequest
}

// WxaCodePNG is the image the fake draws for scene: a QR code of "wxacode:" + scene, so a test
// can tell it from the sandbox's.
func WxaCodePNG(scene string) []byte {
	b, err := wechat.QRCodePNG("wxacode:"+scene, 280)
	if err != nil {
		panic(err) // a scene the fake accepted always encodes
	}
	return b
}

// WxaCodeRequests is every getwxacodeunlimit call the fake answered with an image, oldest first.
func (f *Fake) WxaCodeRequests() []WxaCodeRequest {
	f.codes.mu.Lock()
	defer f.codes.mu.Unlock()
	return append([]WxaCodeRequest(nil), f.codes.requests...)
}

func (f *Fake) wxaCode(w http.ResponseWriter, r *http.Request) {
	if answerInjected(w, r, f.takeInjected(PathWxaCode)) || !f.checkToken(w, r) {
		return
	}
	var req WxaCodeRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, map[string]any{"errcode": 47001, "errmsg": "data format error, rid: fake"})
		return
	}
	if !wechat.ScenePattern.MatchString(req.Scene) {
		writeJSON(w, map[string]any{"errcode": 40169, "errmsg": "invalid length for scene, or the data is not json string, rid: fake"})
		return
	}
	f.codes.mu.Lock()
	f.codes.requests = append(f.codes.requests, req)
	f.codes.mu.Unlock()
	w.Header().Set("Content-Type", "image/png")
	w.Write(WxaCodePNG(req.Scene))
}
