// Package wechat is a small client for the WeChat mini-program server API, and a sandbox that
// answers like it without a WeChat account. It never logs; its errors never hold a secret, a
// login code or a session_key.
package wechat

import (
	"context"
	"errors"
	"fmt"
)

// Session is what WeChat answers for a wx.login code.
type Session struct {
	OpenID     string
	UnionID    string // empty unless the mini-program is tied to an open platform account
	SessionKey string // base64 text as WeChat gives it; never leaves the server
}

// API is what the rest of the server needs from WeChat; Client and Sandbox both provide it.
type API interface {
	// AppID is the mini-program the identities belong to.
	AppID() string
	// Code2Session trades a wx.login code for the user's openid and session_key.
	Code2Session(ctx context.Context, code string) (Session, error)
	// PhoneNumber trades a getPhoneNumber code for the user's phone number. openid, when not
	// empty, makes WeChat check that the code was issued to that user.
	PhoneNumber(ctx context.Context, code, openid string) (Phone, error)
	// CheckSession asks WeChat whether sessionKey is still the user's current session_key.
	// An outdated key is (false, nil); an error means WeChat could not tell.
	CheckSession(ctx context.Context, openid, sessionKey string) (bool, error)
	// MiniProgramCode draws a mini-program code that opens a page with a scene.
	MiniProgramCode(ctx context.Context, r CodeRequest) (Image, error)
}

// Phone is a user's phone number as WeChat gives it.
type Phone struct {
	PhoneNumber     string // as shown to the user, with the country code for foreign numbers
	PurePhoneNumber string // digits only, without country code
	CountryCode     string // e.g. "86"
}

// ErrUnavailable means WeChat could not be reached, timed out, or answered something that is
// not a well-formed reply. The request may succeed later.
var ErrUnavailable = errors.New("wechat unavailable")

// Kind groups WeChat's errcodes by what the caller can do about them.
type Kind int

const (
	KindOther          Kind = iota
	KindInvalidCode         // the code is wrong, expired or already used: wx.login again
	KindRateLimited         // the appid's quota is spent for now: try later
	KindRiskyUser           // WeChat blocks this user as high-risk
	KindBusy                // WeChat's own system error: try again
	KindBadCredentials      // our appid or secret is wrong: the operator must fix config
	KindAccessToken         // the access_token is invalid or expired: refresh it and retry once
)

// Error is an errcode WeChat answered with.
type Error struct {
	API  string // which call, e.g. "jscode2session"
	Code int
	Msg  string // WeChat's errmsg; it holds a request id, never our secrets
}

func (e *Error) Error() string {
	return fmt.Sprintf("wechat %s: errcode %d: %s", e.API, e.Code, e.Msg)
}

// Kind tells what the errcode means for the caller.
func (e *Error) Kind() Kind {
	switch e.Code {
	case 40029, 40163:
		return KindInvalidCode
	case 45011, 45009: // 45009: the daily quota of an API such as getwxacodeunlimit
		return KindRateLimited
	case 40226:
		return KindRiskyUser
	case -1:
		return KindBusy
	case 40013, 40125, 41002, 41004, 40164:
		return KindBadCredentials
	case 40001, 42001, 40014:
		return KindAccessToken
	}
	return KindOther
}

// KindOf returns the Kind of a WeChat errcode in err's chain, or KindOther.
func KindOf(err error) Kind {
	var we *Error
	if errors.As(err, &we) {
		return we.Kind()
	}
	return KindOther
}
