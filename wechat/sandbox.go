package wechat

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
)

// SandboxAppID is the appid identities get while WeChat runs in sandbox mode, so they never
// mix with a real mini-program's users.
const SandboxAppID = "wx-sandbox"

// SandboxCodePrefix marks a code that names a sandbox user: "sandbox:alice" is always alice.
const SandboxCodePrefix = "sandbox:"

// Sandbox answers like WeChat without calling it, for development and demos.
// A code "sandbox:NAME" always maps to the same openid for NAME; any other non-empty code maps
// to an openid derived from the code.
type Sandbox struct{}

// AppID implements API.
func (Sandbox) AppID() string { return SandboxAppID }

// Code2Session implements API.
func (Sandbox) Code2Session(_ context.Context, code string) (Session, error) {
	seed := code
	if name, ok := strings.CutPrefix(code, SandboxCodePrefix); ok {
		if strings.TrimSpace(name) == "" {
			return Session{}, &Error{API: "jscode2session", Code: 40029, Msg: "sandbox: empty name after sandbox:"}
		}
		seed = "name:" + name
	}
	if code == "" {
		return Session{}, &Error{API: "jscode2session", Code: 40029, Msg: "sandbox: empty code"}
	}
	openid := "sbx-" + digest("openid", seed, 21)
	return Session{
		OpenID:     openid,
		UnionID:    "sbxu-" + digest("unionid", seed, 21),
		SessionKey: SandboxSessionKey(openid),
	}, nil
}

// SandboxSessionKey is the session_key the sandbox gives the user openid, so that its
// checksession can tell a current key from any other.
func SandboxSessionKey(openid string) string {
	return base64.StdEncoding.EncodeToString([]byte(digest("session_key", openid, 16))[:16])
}

// digest derives a stable URL-safe string of n characters from seed.
func digest(purpose, seed string, n int) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("wxbind-sandbox/%s/%s", purpose, seed)))
	return base64.RawURLEncoding.EncodeToString(sum[:])[:n]
}
