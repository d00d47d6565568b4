package account

import (
	"errors"
	"fmt"
)

// The rules' outcomes other than success. Callers map each to what their user sees; the
// wrapped cause (if any) is for the log only.
var (
	ErrInvalidInput     = errors.New("invalid input")
	ErrWrongCredentials = errors.New("wrong username or password")
	ErrAccountDisabled  = errors.New("account disabled")
	ErrIdentityBound    = errors.New("this WeChat user is already bound to an account")
	ErrAccountBound     = errors.New("this account is already bound to another WeChat user")
	ErrNotBound         = errors.New("this WeChat user is not bound")
	ErrTicketInvalid    = errors.New("bind ticket invalid")
	ErrTicketExpired    = errors.New("bind ticket expired")
	ErrTicketUsed       = errors.New("bind ticket already used")
	ErrOpenIDMismatch   = errors.New("openId does not match the bind ticket")
	ErrUnauthenticated  = errors.New("token missing, invalid, expired or revoked")
	ErrUsernameTaken    = errors.New("username taken")
)

// WeChat's failures, one family for every call; the mobile layer picks each route group's HTTP
// status for them.
var (
	ErrWeChatCodeRejected  = errors.New("wechat rejected the login code")
	ErrPhoneCodeRejected   = errors.New("wechat rejected the phone code")
	ErrWeChatRiskyUser     = errors.New("wechat refused a high-risk user")
	ErrWeChatRateLimited   = errors.New("wechat rate limit reached")
	ErrWeChatMisconfigured = errors.New("wechat refused our appid, secret, access_token or server IP")
	ErrWeChatRefused       = errors.New("wechat refused the request")
	ErrWeChatUnavailable   = errors.New("wechat did not answer, or not readably")
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

// Refusals of console changes.
var (
	ErrNoConsoleAccess = errors.New("this account has no console access: only staff and admins may log in")
	ErrLoginThrottled  = errors.New("too many failed logins; wait a few minutes and try again")
	ErrLastAdmin       = errors.New("this is the last active admin; make another admin first")
	ErrAccountNotFound = errors.New("no such account")
	ErrMenuNotFound    = errors.New("no such menu")
	ErrMenuHasChildren = errors.New("this menu has child menus; move or delete them first")
	ErrMenuCodeTaken   = errors.New("another menu already has this code")
	// ErrMenuRoleNotFound and ErrMenuRoleNameTaken refuse changes of menu roles.
	ErrMenuRoleNotFound  = errors.New("no such menu role")
	ErrMenuRoleNameTaken = errors.New("another menu role already has this name")
	ErrNotBoundAccount   = errors.New("this account is not bound to a WeChat user")
	ErrWrongPassword     = errors.New("the current password is wrong")
)

// The outcomes of the WeChat user-data rules other than success.
var (
	ErrSessionKeyMissing  = errors.New("no session_key stored for this WeChat user")
	ErrOpenDataInvalid    = errors.New("encrypted data does not decrypt under the session_key")
	ErrOpenDataForeign    = errors.New("encrypted data was made for another mini-program")
	ErrOpenDataExpired    = errors.New("encrypted data is older than the watermark window")
	ErrOpenDataOtherUser  = errors.New("encrypted data is about another WeChat user")
	ErrSignatureInvalid   = errors.New("rawData signature does not match")
	ErrAvatarTooLarge     = errors.New("avatar file too large")
	ErrAvatarType         = errors.New("avatar is not a PNG, JPEG or WebP image")
	ErrAvatarStorageUnset = errors.New("avatar storage is not configured")
)
