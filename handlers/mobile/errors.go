// Package mobile holds the mini-program's JSON API: each handler parses and checks its input,
// calls the account rules, and writes the contract the mini-program reads.
package mobile

import (
	"context"
	"errors"
	"net/http"

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
	c.AbortWithStatusJSON(f.status, errorBody{Code: f.code, Msg: f.msg, Reason: f.reason})
}

// badRequest answers a request the handler itself could not read.
func badRequest(c *gin.Context, status int, reason, msg string) {
	c.AbortWithStatusJSON(status, errorBody{Code: CodeFailed, Msg: msg, Reason: reason})
}
