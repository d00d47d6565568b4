package account

import (
	"context"
	"fmt"
	"unicode/utf8"
	"wxbind/models"
)

// Audit actions written by the console.
const (
	ActionConsoleLogin       = "console_login"
	ActionConsoleLoginFailed = "console_login_failed"
	ActionConsoleLogout      = "console_logout"
	ActionAccountCreate      = "account_create"
	ActionAccountUpdate      = "account_update"
	ActionPasswordReset      = "password_reset"
	ActionMenuCreate         = "menu_create"
	ActionMenuUpdate         = "menu_update"
	ActionMenuDelete         = "menu_delete"
	ActionMenuReorder        = "menu_reorder"
	ActionMenusAssign        = "menus_assign"
)

// AccountTarget names an account in the audit log.
func AccountTarget(id uint64) string { return fmt.Sprintf("account:%d", id) }

// IdentityTarget names a WeChat identity in the audit log.
func IdentityTarget(id uint64) string { return fmt.Sprintf("wechat:%d", id) }

// MenuTarget names a menu in the audit log.
func MenuTarget(id uint64) string { return fmt.Sprintf("menu:%d", id) }

func loginTarget(username string) string { return "login:" + username }

// audit writes an entry and only logs a failure: the action it records has happened.
func (s *Service) audit(ctx context.Context, st *models.Store, actor Actor, action, target, detail string) {
	if err := s.writeAudit(ctx, st, actor, action, target, detail); err != nil {
		s.log.Warn("writing audit entry failed", "action", action, "target", target, "error", err)
	}
}

func (s *Service) writeAudit(ctx context.Context, st *models.Store, actor Actor, action, target, detail string) error {
	e := s.auditEntry(actor, action, target, detail)
	return st.AddAuditEntry(ctx, &e)
}

// auditEntry is an entry stamped now, its fields cut to their columns' sizes.
func (s *Service) auditEntry(actor Actor, action, target, detail string) models.AuditEntry {
	if utf8.RuneCountInString(detail) > 1000 {
		detail = string([]rune(detail)[:1000])
	}
	return models.AuditEntry{
		ActorAccountID: actor.AccountID, Actor: truncate(actor.Name, 64), Action: action, Target: truncate(target, 255),
		Detail: detail, IP: truncate(actor.IP, 64), CreatedAt: s.clock(),
	}
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// ActionBindFailed records a mini-program bind refused for a wrong username or password.
const ActionBindFailed = "bind_failed"

// Audit actions written by the login rules.
const (
	ActionBind   = "bind"
	ActionUnbind = "unbind"
)

// ActionPhone is the audit action of a user sharing their phone number.
const ActionPhone = "phone"
