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
	msg    string // short enough for a wx.showToast
}

// failures is the one table from the rules' errors to responses; handlers never invent their own.
// Messages stay within a toast's two lines.
var failures = []failure{
	{account.ErrWrongCredentials, http.StatusUnauthorized, CodeFailed, "wrong_password", "Wrong username or password"},
	{account.ErrLoginThrottled, http.StatusTooManyRequests, CodeFailed, "too_many_attempts", "Too many tries; wait 15 minutes"},
	{account.ErrAccountDisabled, http.StatusForbidden, CodeFailed, "account_disabled", "This account is disabled"},
	{account.ErrIdentityBound, http.StatusConflict, CodeFailed, "wechat_already_bound", "WeChat already bound; reopen the app"},
	{account.ErrAccountBound, http.StatusConflict, CodeFailed, "account_already_bound", "Account bound to another WeChat user"},
	{account.ErrNotBound, http.StatusConflict, CodeFailed, "not_bound", "This WeChat user is not bound"},
	{account.ErrTicketExpired, http.StatusBadRequest, CodeFailed, "ticket_expired", "Login timed out; reopen the app"},
	{account.ErrTicketUsed, http.StatusBadRequest, CodeFailed, "ticket_used", "Login already used; reopen the app"},
	{account.ErrTicketInvalid, http.StatusBadRequest, CodeFailed, "ticket_invalid", "Login invalid; reopen the app"},
	{account.ErrOpenIDMismatch, http.StatusBadRequest, CodeFailed, "openid_mismatch", "Login mismatch; reopen the app"},
	{account.ErrUnauthenticated, http.StatusUnauthorized, CodeUnauthorized, "unauthenticated", "Please log in again"},
	{account.ErrUsernameTaken, http.StatusConflict, CodeFailed, "username_taken", "Username already taken"},
	{account.ErrWeChatCodeRejected, http.StatusBadGateway, CodeFailed, "wechat_code_invalid", "Login code expired; please retry"},
	{account.ErrWeChatRiskyUser, http.StatusBadGateway, CodeFailed, "wechat_risky_user", "WeChat blocked this login"},
	{account.ErrWeChatRateLimited, http.StatusTooManyRequests, CodeFailed, "wechat_rate_limited", "Too many logins; retry in a minute"},
	{account.ErrWeChatMisconfigured, http.StatusBadGateway, CodeFailed, "wechat_misconfigured", "Login unavailable; contact support"},
	{account.ErrWeChatUnavailable, http.StatusBadGateway, CodeFailed, "wechat_busy", "WeChat is busy; please retry"},
	{context.DeadlineExceeded, http.StatusServiceUnavailable, CodeFailed, "server_busy", "Server busy; please retry"},

	// WeChat user data. A WeChat failure here is 424 (never 5xx): the client shows msg.
	{account.ErrSessionKeyMissing, http.StatusBadRequest, CodeFailed, "session_expired", "Session expired; please log in again"},
	{account.ErrOpenDataInvalid, http.StatusBadRequest, CodeFailed, "decrypt_failed", "Could not read WeChat data; log in again"},
	{account.ErrOpenDataForeign, http.StatusBadRequest, CodeFailed, "wrong_appid", "Data is from another mini-program"},
	{account.ErrOpenDataExpired, http.StatusBadRequest, CodeFailed, "data_expired", "Data expired; please try again"},
	{account.ErrOpenDataOtherUser, http.StatusBadRequest, CodeFailed, "openid_mismatch", "Data belongs to another WeChat user"},
	{account.ErrSignatureInvalid, http.StatusBadRequest, CodeFailed, "signature_invalid", "Signature invalid; log in again"},
	{account.ErrPhoneCodeRejected, http.StatusBadRequest, CodeFailed, "phone_code_invalid", "Phone code expired; tap again"},
	{account.ErrWeChatQuota, http.StatusTooManyRequests, CodeFailed, "wechat_rate_limited", "Too many requests; retry in a minute"},
	{account.ErrWeChatBusy, http.StatusFailedDependency, CodeFailed, "wechat_busy", "WeChat is busy; please retry"},
	{account.ErrWeChatRefused, http.StatusFailedDependency, CodeFailed, "wechat_refused", "WeChat refused; please retry later"},
	{account.ErrWeChatNotSetUp, http.StatusFailedDependency, CodeFailed, "wechat_misconfigured", "Unavailable now; contact support"},
	{account.ErrAvatarTooLarge, http.StatusRequestEntityTooLarge, CodeFailed, "file_too_large", "Image over 2 MB; pick a smaller one"},
	{account.ErrAvatarType, http.StatusUnsupportedMediaType, CodeFailed, "unsupported_image", "Use a PNG, JPEG or WebP image"},
	{account.ErrAvatarStorageUnset, http.StatusServiceUnavailable, CodeFailed, "avatar_storage_off", "Avatar upload is not available"},
}

// serverFailure answers any error the table does not know, such as a database outage.
var serverFailure = failure{nil, http.StatusServiceUnavailable, CodeFailed, "server_error", "Server error; please retry"}

func failureFor(err error) failure {
	var in *account.InputError
	if errors.As(err, &in) {
		return failure{err, http.StatusBadRequest, CodeFailed, "invalid_" + in.Field, in.Msg}
	}
	for _, f := range failures {
		if errors.Is(err, f.err) {
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
func fail(c *gin.Context, err error) {
	f := failureFor(err)
	_ = c.Error(err)
	c.Set(OutcomeKey, f.reason)
	if f.err == account.ErrLoginThrottled {
		c.Header("Retry-After", strconv.Itoa(int(account.LockoutRetryAfter().Seconds())))
	}
	c.AbortWithStatusJSON(f.status, errorBody{Code: f.code, Msg: f.msg, Reason: f.reason})
}

// badRequest answers a request the handler itself could not read.
func badRequest(c *gin.Context, status int, reason, msg string) {
	c.Set(OutcomeKey, reason)
	c.AbortWithStatusJSON(status, errorBody{Code: CodeFailed, Msg: msg, Reason: reason})
}
