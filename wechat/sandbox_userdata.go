package wechat

import (
	"context"
	"regexp"
	"strings"
)

// sandboxPhone is "sandbox:13800138000" (mainland China) or "sandbox:+852-51234567".
var sandboxPhone = regexp.MustCompile(`^(?:\+([0-9]{1,4})-)?([0-9]{5,15})$`)

// PhoneNumber implements API: a code "sandbox:NUMBER" yields NUMBER, "sandbox:+CC-NUMBER" a
// foreign number; any other code is refused with 40029 as WeChat refuses a bad code.
func (Sandbox) PhoneNumber(_ context.Context, code, _ string) (Phone, error) {
	m := sandboxPhone.FindStringSubmatch(strings.TrimPrefix(code, SandboxCodePrefix))
	if !strings.HasPrefix(code, SandboxCodePrefix) || m == nil {
		return Phone{}, &Error{API: "getuserphonenumber", Code: 40029, Msg: "sandbox: use a phone code like sandbox:13800138000"}
	}
	cc, pure := m[1], m[2]
	if cc == "" {
		return Phone{PhoneNumber: pure, PurePhoneNumber: pure, CountryCode: "86"}, nil
	}
	return Phone{PhoneNumber: "+" + cc + " " + pure, PurePhoneNumber: pure, CountryCode: cc}, nil
}

// CheckSession implements API: the key is current when it is the one the sandbox gives openid.
func (Sandbox) CheckSession(_ context.Context, openid, sessionKey string) (bool, error) {
	return sessionKey != "" && sessionKey == SandboxSessionKey(openid), nil
}
