// Package mobile holds the mini-program's JSON API: each handler parses and checks its input,
// calls the account rules, and writes the contract the mini-program reads.
package mobile

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"wxbind/account"
	"wxbind/i18n"
	"wxbind/web/requestinfo"
)

// Body codes the mini-program switches on.
const (
	CodeFailed       = 0
	CodeOK           = 1
	CodeNotBound     = 301
	CodeUnauthorized = 401
)

// failure is how one kind of error reaches the mini-program.
type failure struct {
	err    error
	status int
	code   int
	reason string // stable key clients may switch on
	msgKey string // the toast's catalog message, "mobile."+msgKey; default the reason
}

// failures is the one table from the rules' errors to responses; handlers never invent their own.
// The messages live in the i18n catalog, which keeps each within a toast's two lines.
var failures = []failure{
	{account.ErrWrongCredentials, http.StatusUnauthorized, CodeFailed, "wrong_password", ""},
	{account.ErrLoginThrottled, http.StatusTooManyRequests, CodeFailed, "too_many_attempts", ""},
	{account.ErrAccountDisabled, http.StatusForbidden, CodeFailed, "account_disabled", ""},
	{account.ErrIdentityBound, http.StatusConflict, CodeFailed, "wechat_already_bound", ""},
	{account.ErrAccountBound, http.StatusConflict, CodeFailed, "account_already_bound", ""},
	{account.ErrNotBound, http.StatusConflict, CodeFailed, "not_bound", ""},
	{account.ErrTicketExpired, http.StatusBadRequest, CodeFailed, "ticket_expired", ""},
	{account.ErrTicketUsed, http.StatusBadRequest, CodeFailed, "ticket_used", ""},
	{account.ErrTicketInvalid, http.StatusBadRequest, CodeFailed, "ticket_invalid", ""},
	{account.ErrOpenIDMismatch, http.StatusBadRequest, CodeFailed, "openid_mismatch", ""},
	{account.ErrUnauthenticated, http.StatusUnauthorized, CodeUnauthorized, "unauthenticated", ""},
	{account.ErrUsernameTaken, http.StatusConflict, CodeFailed, "username_taken", ""},
	{account.ErrWeChatCodeRejected, statusWeChat, CodeFailed, "wechat_code_invalid", ""},
	{account.ErrPhoneCodeRejected, http.StatusBadRequest, CodeFailed, "phone_code_invalid", ""},
	{account.ErrWeChatRiskyUser, statusWeChat, CodeFailed, "wechat_risky_user", ""},
	{account.ErrWeChatRateLimited, http.StatusTooManyRequests, CodeFailed, "wechat_rate_limited", ""},
	{account.ErrWeChatMisconfigured, statusWeChat, CodeFailed, "wechat_misconfigured", ""},
	{account.ErrWeChatRefused, statusWeChat, CodeFailed, "wechat_refused", ""},
	{account.ErrWeChatUnavailable, statusWeChat, CodeFailed, "wechat_busy", ""},
	{context.DeadlineExceeded, http.StatusServiceUnavailable, CodeFailed, "server_busy", ""},
	{context.Canceled, http.StatusServiceUnavailable, CodeFailed, "server_busy", ""},

	// Scan to log in to the console.
	{account.ErrNoConsoleAccess, http.StatusForbidden, CodeFailed, "no_console_access", ""},
	{account.ErrScanLoginNotFound, http.StatusNotFound, CodeFailed, "scan_login_not_found", ""},
	{account.ErrScanLoginExpired, http.StatusGone, CodeFailed, "scan_login_expired", ""},
	{account.ErrScanLoginUsed, http.StatusConflict, CodeFailed, "scan_login_used", ""},
	{account.ErrScanLoginTaken, http.StatusConflict, CodeFailed, "scan_login_taken", ""},
	{account.ErrScanLoginNotScanned, http.StatusConflict, CodeFailed, "scan_login_not_scanned", ""},

	// WeChat user data.
	{account.ErrSessionKeyMissing, http.StatusBadRequest, CodeFailed, "session_expired", ""},
	{account.ErrOpenDataInvalid, http.StatusBadRequest, CodeFailed, "decrypt_failed", ""},
	{account.ErrOpenDataForeign, http.StatusBadRequest, CodeFailed, "wrong_appid", ""},
	{account.ErrOpenDataExpired, http.StatusBadRequest, CodeFailed, "data_expired", ""},
	{account.ErrOpenDataOtherUser, http.StatusBadRequest, CodeFailed, "openid_mismatch", "data_other_user"},
	{account.ErrSignatureInvalid, http.StatusBadRequest, CodeFailed, "signature_invalid", ""},
	{account.ErrAvatarTooLarge, http.StatusRequestEntityTooLarge, CodeFailed, "file_too_large", ""},
	{account.ErrAvatarType, http.StatusUnsupportedMediaType, CodeFailed, "unsupported_image", ""},
	{account.ErrAvatarStorageUnset, http.StatusServiceUnavailable, CodeFailed, "avatar_storage_off", ""},
	{account.ErrDecodeBusy, http.StatusTooManyRequests, CodeFailed, "server_busy", ""},
}

// statusWeChat stands for the route group's status for a failure of WeChat's: 502 on the login
// routes (checkBind, bind: the API contract), 424 on the user-data routes, which never answer a
// WeChat failure with a 5xx.
const statusWeChat = -1

// serverFailure answers any error the table does not know, such as a database outage.
var serverFailure = failure{nil, http.StatusServiceUnavailable, CodeFailed, "server_error", ""}

// failureFor is err's row of the table; wechatStatus is the route group's status for statusWeChat.
func failureFor(err error, wechatStatus int) failure {
	var in *account.InputError
	if errors.As(err, &in) {
		return failure{err, http.StatusBadRequest, CodeFailed, "invalid_" + in.Field, ""}
	}
	for _, f := range failures {
		if errors.Is(err, f.err) {
			if f.status == statusWeChat {
				f.status = wechatStatus
			}
			return f
		}
	}
	return serverFailure
}

// errorBody is every failure's JSON.
type errorBody struct {
	Code   int    `json:"code"`
	Msg    string `json:"msg"`
	Reason string `json:"reason"`
}

// fail answers err and records it on the request for the access log, which has the request id.
func fail(c *gin.Context, err error) { answerFailure(c, failureFor(err, http.StatusBadGateway), err) }

// failUserData is fail for the WeChat user-data routes (phone, checkSession, avatar).
func failUserData(c *gin.Context, err error) {
	answerFailure(c, failureFor(err, http.StatusFailedDependency), err)
}

func answerFailure(c *gin.Context, f failure, err error) {
	_ = c.Error(err)
	requestinfo.SetOutcome(c, f.reason)
	switch f.err {
	case account.ErrLoginThrottled:
		c.Header("Retry-After", strconv.Itoa(int(account.LockoutRetryAfter().Seconds())))
	case account.ErrDecodeBusy:
		c.Header("Retry-After", strconv.Itoa(int(account.AvatarBusyRetryAfter.Seconds())))
	}
	c.AbortWithStatusJSON(f.status, errorBody{Code: f.code, Msg: message(c, f, err), Reason: f.reason})
}

// message is the failure's toast in the request's language.
func message(c *gin.Context, f failure, err error) string {
	tr := i18n.FromContext(c)
	var in *account.InputError
	if errors.As(err, &in) {
		return tr.InputMessage(in.Key, in.Field, in.Data, "input.")
	}
	key := f.msgKey
	if key == "" {
		key = f.reason
	}
	return tr.T("mobile." + key)
}

// badRequest answers a request the handler itself could not read, with the catalog message
// "mobile."+msgKey.
func badRequest(c *gin.Context, status int, reason, msgKey string) {
	refuse(c, status, CodeFailed, reason, i18n.FromContext(c).T("mobile."+msgKey))
}

// refuse answers a failure whose message is already in the request's language.
func refuse(c *gin.Context, status, code int, reason, msg string) {
	requestinfo.SetOutcome(c, reason)
	c.AbortWithStatusJSON(status, errorBody{Code: code, Msg: msg, Reason: reason})
}
