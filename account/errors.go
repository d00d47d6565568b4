package account

import (
	"errors"
	"fmt"
)

// The rules' outcomes other than success. Callers map each to what their user sees; the
// wrapped cause (if any) is for the log only.
var (
	ErrInvalidInput        = errors.New("invalid input")
	ErrWrongCredentials    = errors.New("wrong username or password")
	ErrAccountDisabled     = errors.New("account disabled")
	ErrIdentityBound       = errors.New("this WeChat user is already bound to an account")
	ErrAccountBound        = errors.New("this account is already bound to another WeChat user")
	ErrNotBound            = errors.New("this WeChat user is not bound")
	ErrTicketInvalid       = errors.New("bind ticket invalid")
	ErrTicketExpired       = errors.New("bind ticket expired")
	ErrTicketUsed          = errors.New("bind ticket already used")
	ErrOpenIDMismatch      = errors.New("openId does not match the bind ticket")
	ErrUnauthenticated     = errors.New("token missing, invalid, expired or revoked")
	ErrUsernameTaken       = errors.New("username taken")
	ErrWeChatCodeRejected  = errors.New("wechat rejected the login code")
	ErrWeChatRiskyUser     = errors.New("wechat refused a high-risk user")
	ErrWeChatRateLimited   = errors.New("wechat rate limit reached")
	ErrWeChatMisconfigured = errors.New("wechat rejected the appid or secret")
	ErrWeChatUnavailable   = errors.New("wechat unavailable")
)

// InputError is an ErrInvalidInput with a message a person can act on. Msg is English, for logs
// and developers; Key (default "input.<Field>") and Data pick the message people read from the
// i18n catalog.
type InputError struct {
	Field string
	Msg   string
	Key   string
	Data  map[string]any
}

func (e *InputError) Error() string        { return fmt.Sprintf("invalid %s: %s", e.Field, e.Msg) }
func (e *InputError) Is(target error) bool { return target == ErrInvalidInput }

func invalid(field, format string, args ...any) error {
	return &InputError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// invalidKey is invalid with a catalog message of its own.
func invalidKey(field, key string, data map[string]any, format string, args ...any) error {
	return &InputError{Field: field, Msg: fmt.Sprintf(format, args...), Key: key, Data: data}
}
