package account

import (
	"context"
	"errors"
	"strconv"

	"wxbind/models"
)

// settingScanLoginRequired is the console_settings row of ConsolePolicy.ScanLoginRequired.
const settingScanLoginRequired = "scan_login_required"

// ConsolePolicy is how staff and admins may log in to the console.
type ConsolePolicy struct {
	// ScanLoginRequired refuses password logins of staff and admins: they scan with the
	// mini-program they are bound in. The break-glass admin (Config.BreakGlassAdmin) is exempt.
	ScanLoginRequired bool
	// BreakGlassAdmin is that admin's username; "" when none is configured.
	BreakGlassAdmin string
}

// ConsolePolicy reads the policy in force.
func (s *Service) ConsolePolicy(ctx context.Context) (ConsolePolicy, error) {
	v, err := s.store.ConsoleSettingValue(ctx, settingScanLoginRequired)
	if err != nil {
		return ConsolePolicy{}, err
	}
	required, _ := strconv.ParseBool(v)
	return ConsolePolicy{ScanLoginRequired: required, BreakGlassAdmin: s.breakGlass}, nil
}

// SetConsolePolicy changes the policy, audited. Every server instance reads it per login.
// Requiring scan login needs a break-glass admin, so a WeChat outage or a lost phone cannot
// lock every admin out.
func (s *Service) SetConsolePolicy(ctx context.Context, actor Actor, p ConsolePolicy) error {
	if p.ScanLoginRequired && s.breakGlass == "" {
		return ErrBreakGlassUnset
	}
	return s.store.Transaction(ctx, func(tx *models.Store) error {
		if err := tx.SetConsoleSetting(ctx, settingScanLoginRequired, strconv.FormatBool(p.ScanLoginRequired), s.clock()); err != nil {
			return err
		}
		return s.writeAudit(ctx, tx, actor, ActionConsolePolicy, "console", Detail{"ScanLoginRequired": p.ScanLoginRequired})
	})
}

// passwordAllowed refuses a password login the policy forbids: a staff member or admin while
// scan login is required, unless it is the break-glass admin.
func (s *Service) passwordAllowed(ctx context.Context, acct Account) error {
	if !acct.MayUseConsole() || (s.isBreakGlass(acct.Username) && acct.Role == RoleAdmin) {
		return nil
	}
	p, err := s.ConsolePolicy(ctx)
	if err != nil {
		return err
	}
	if p.ScanLoginRequired {
		return ErrScanLoginRequired
	}
	return nil
}

// isBreakGlass reports whether username names the break-glass admin, as usernames are compared
// everywhere (Unicode NFKC, case folded).
func (s *Service) isBreakGlass(username string) bool {
	return s.breakGlass != "" && models.UsernameKey(username) == models.UsernameKey(s.breakGlass)
}

// LastConsoleLogin is how and when an account last logged in to the console.
type LastConsoleLogin struct {
	Method string // LoginMethodPassword or LoginMethodScan
	Entry  AuditEntry
}

// lastConsoleLogin reads it from the audit log; nil when the account never logged in. Logins
// recorded before the method was, were password logins: there was no other way.
func (s *Service) lastConsoleLogin(ctx context.Context, id uint64) (*LastConsoleLogin, error) {
	e, err := s.store.LatestAuditEntry(ctx, ActionConsoleLogin, AccountTarget(id))
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	entry := auditEntryOf(e)
	method, _ := entry.Detail["Method"].(string)
	if method == "" {
		method = LoginMethodPassword
	}
	return &LastConsoleLogin{Method: method, Entry: entry}, nil
}
