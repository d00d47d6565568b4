package account

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

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

// Console errors; each has a message fit to show as it is.
var (
	ErrNoConsoleAccess = errors.New("this account has no console access: only staff and admins may log in")
	ErrLoginThrottled  = errors.New("too many failed logins; wait a few minutes and try again")
	ErrLastAdmin       = errors.New("this is the last active admin; make another admin first")
	ErrAccountNotFound = errors.New("no such account")
	ErrMenuNotFound    = errors.New("no such menu")
	ErrMenuHasChildren = errors.New("this menu has child menus; move or delete them first")
	ErrMenuCodeTaken   = errors.New("another menu already has this code")
	ErrNotBoundAccount = errors.New("this account is not bound to a WeChat user")
)

// Console login throttle: failures counted over LoginThrottleWindow, from the audit log, so
// every server instance counts the same failures.
const (
	LoginThrottleWindow      = 15 * time.Minute
	MaxFailedLoginsPerUser   = 5
	MaxFailedLoginsPerIP     = 20
	menuFieldMax             = 64
	menuLongFieldMax         = 255
	maxMenusAssignedAtOnce   = 1000
	maxAccountsAppliedAtOnce = 1000
)

// ConsoleLogin checks a console login. Role user is refused; failures are audited and, past
// the limits, refused before the password is even checked.
func (s *Service) ConsoleLogin(ctx context.Context, username, password, ip string) (models.Account, error) {
	username = strings.TrimSpace(username)
	if username == "" || password == "" {
		return models.Account{}, invalidKey("username", "input.credentials_missing", nil, "enter both username and password")
	}
	if len(username) > 64 || len(password) > MaxPasswordLen {
		return models.Account{}, ErrWrongCredentials
	}
	since := s.clock().Add(-LoginThrottleWindow)
	byUser, err := s.store.CountAuditSince(ctx, ActionConsoleLoginFailed, since, loginTarget(username), "")
	if err != nil {
		return models.Account{}, err
	}
	byIP, err := s.store.CountAuditSince(ctx, ActionConsoleLoginFailed, since, "", ip)
	if err != nil {
		return models.Account{}, err
	}
	if byUser >= MaxFailedLoginsPerUser || byIP >= MaxFailedLoginsPerIP {
		return models.Account{}, ErrLoginThrottled
	}
	acct, err := s.verifyPassword(ctx, username, password)
	if err == nil && acct.Role != models.RoleStaff && acct.Role != models.RoleAdmin {
		err = ErrNoConsoleAccess
	}
	if err != nil {
		if errors.Is(err, ErrWrongCredentials) || errors.Is(err, ErrAccountDisabled) || errors.Is(err, ErrNoConsoleAccess) {
			s.audit(ctx, s.store, Actor{IP: ip, Name: username}, ActionConsoleLoginFailed, loginTarget(username), err.Error())
		}
		return models.Account{}, err
	}
	id := acct.ID
	s.audit(ctx, s.store, Actor{AccountID: &id, Name: acct.Username, IP: ip}, ActionConsoleLogin, AccountTarget(acct.ID), "")
	return acct, nil
}

// ConsoleLogout records the end of a console session.
func (s *Service) ConsoleLogout(ctx context.Context, actor Actor) {
	s.audit(ctx, s.store, actor, ActionConsoleLogout, "", "")
}

// ConsoleAccount loads the account behind a console session and checks it may still use the
// console: active, staff or admin, and the same credentials the session was opened with.
func (s *Service) ConsoleAccount(ctx context.Context, id uint64, stamp string) (models.Account, error) {
	acct, err := s.store.AccountByID(ctx, id)
	if errors.Is(err, models.ErrNotFound) {
		return models.Account{}, ErrUnauthenticated
	}
	if err != nil {
		return models.Account{}, err
	}
	if acct.Status != models.StatusActive || CredentialStamp(acct) != stamp {
		return models.Account{}, ErrUnauthenticated
	}
	if acct.Role != models.RoleStaff && acct.Role != models.RoleAdmin {
		return acct, ErrNoConsoleAccess
	}
	return acct, nil
}

// CredentialStamp changes whenever the account's password changes, so a console session
// opened before a password reset stops working.
func CredentialStamp(a models.Account) string {
	sum := sha256.Sum256([]byte("wxbind console session v1\x00" + a.PasswordHash))
	return hex.EncodeToString(sum[:8])
}

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

// CreateAccountAs is CreateAccount done by a console admin, audited.
func (s *Service) CreateAccountAs(ctx context.Context, actor Actor, n NewAccount) (models.Account, error) {
	n.Username = strings.TrimSpace(n.Username)
	n.Name = strings.TrimSpace(n.Name)
	a, err := s.CreateAccount(ctx, n)
	if err != nil {
		return a, err
	}
	s.audit(ctx, s.store, actor, ActionAccountCreate, AccountTarget(a.ID), fmt.Sprintf("created %s as %s", a.Username, a.Role))
	return a, nil
}

// AccountChanges are the fields an admin edits.
type AccountChanges struct {
	Name   string
	Role   string
	Status string
}

// UpdateAccount changes name, role and status. Disabling ends the account's mini-program
// tokens at once (its console sessions end at their next request). The last active admin
// cannot be demoted or disabled, so the console never locks everyone out.
func (s *Service) UpdateAccount(ctx context.Context, actor Actor, id uint64, ch AccountChanges) error {
	ch.Name = strings.TrimSpace(ch.Name)
	if utf8.RuneCountInString(ch.Name) > MaxNameLen || !utf8.ValidString(ch.Name) {
		return invalid("name", "name must be valid text of at most %d characters", MaxNameLen)
	}
	if !ValidRole(ch.Role) {
		return invalid("role", "role must be user, staff or admin")
	}
	if ch.Status != models.StatusActive && ch.Status != models.StatusDisabled {
		return invalid("status", "status must be active or disabled")
	}
	return s.store.Transaction(ctx, func(tx *models.Store) error {
		old, err := tx.AccountByID(ctx, id)
		if errors.Is(err, models.ErrNotFound) {
			return ErrAccountNotFound
		}
		if err != nil {
			return err
		}
		wasAdmin := old.Role == models.RoleAdmin && old.Status == models.StatusActive
		staysAdmin := ch.Role == models.RoleAdmin && ch.Status == models.StatusActive
		if wasAdmin && !staysAdmin {
			n, err := tx.CountActiveAdmins(ctx)
			if err != nil {
				return err
			}
			if n <= 1 {
				return ErrLastAdmin
			}
		}
		now := s.clock()
		if err := tx.UpdateAccountFields(ctx, id, ch.Name, ch.Role, ch.Status, now); err != nil {
			return err
		}
		if ch.Status == models.StatusDisabled && old.Status != models.StatusDisabled {
			if _, err := tx.RevokeLoginTokensOfAccount(ctx, id, now); err != nil {
				return err
			}
		}
		detail := fmt.Sprintf("name %q→%q, role %s→%s, status %s→%s", old.Name, ch.Name, old.Role, ch.Role, old.Status, ch.Status)
		return s.writeAudit(ctx, tx, actor, ActionAccountUpdate, AccountTarget(id), detail)
	})
}

// ResetPassword sets a new password and ends every mini-program token and console session of
// the account.
func (s *Service) ResetPassword(ctx context.Context, actor Actor, id uint64, password string) error {
	if err := validatePassword(password); err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.cost)
	if err != nil {
		return err
	}
	return s.store.Transaction(ctx, func(tx *models.Store) error {
		if _, err := tx.AccountByID(ctx, id); errors.Is(err, models.ErrNotFound) {
			return ErrAccountNotFound
		} else if err != nil {
			return err
		}
		now := s.clock()
		if err := tx.SetPasswordHash(ctx, id, string(hash), now); err != nil {
			return err
		}
		n, err := tx.RevokeLoginTokensOfAccount(ctx, id, now)
		if err != nil {
			return err
		}
		return s.writeAudit(ctx, tx, actor, ActionPasswordReset, AccountTarget(id), fmt.Sprintf("%d mini-program tokens revoked", n))
	})
}

// UnbindAccount ends the account's WeChat binding through the same rule as the mini-program's
// own unbind: every token issued through it dies at once.
func (s *Service) UnbindAccount(ctx context.Context, actor Actor, accountID uint64) error {
	ident, err := s.store.IdentityOfAccount(ctx, s.AppID(), accountID)
	if errors.Is(err, models.ErrNotFound) {
		return ErrNotBoundAccount
	}
	if err != nil {
		return err
	}
	return s.Unbind(ctx, ident.ID, actor)
}

// ---- menus

// MenuInput is a menu as the console's form sends it.
type MenuInput struct {
	Name     string
	Code     string
	Path     string
	Icon     string
	ParentID *uint64
	Sort     int
	Visible  bool
}

var menuCodeOK = func(r rune) bool {
	return r == '_' || r == '-' || r == ':' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

func (in *MenuInput) validate() error {
	in.Name, in.Code, in.Path, in.Icon = strings.TrimSpace(in.Name), strings.TrimSpace(in.Code), strings.TrimSpace(in.Path), strings.TrimSpace(in.Icon)
	switch {
	case in.Name == "" || utf8.RuneCountInString(in.Name) > menuFieldMax || !utf8.ValidString(in.Name):
		return invalid("name", "name is required, at most %d characters", menuFieldMax)
	case in.Code == "" || len(in.Code) > menuFieldMax || strings.IndexFunc(in.Code, func(r rune) bool { return !menuCodeOK(r) }) >= 0:
		return invalid("code", "code is required: at most %d letters, digits or _ - : .", menuFieldMax)
	case utf8.RuneCountInString(in.Path) > menuLongFieldMax || !utf8.ValidString(in.Path):
		return invalid("path", "path must be at most %d characters", menuLongFieldMax)
	case utf8.RuneCountInString(in.Icon) > menuLongFieldMax || !utf8.ValidString(in.Icon):
		return invalid("icon", "icon must be at most %d characters", menuLongFieldMax)
	case in.Sort < -1000000 || in.Sort > 1000000:
		return invalid("sort", "sort must be between -1000000 and 1000000")
	}
	return nil
}

// checkParent refuses a parent that does not exist or that would put the menu under itself.
func checkParent(ctx context.Context, tx *models.Store, id uint64, parentID *uint64) error {
	if parentID == nil {
		return nil
	}
	seen := map[uint64]bool{}
	for p := *parentID; ; {
		if p == id && id != 0 {
			return invalidKey("parent_id", "console.input.parent_id_self", nil, "a menu cannot be placed under itself or its own children")
		}
		if seen[p] {
			return invalidKey("parent_id", "console.input.parent_id_loop", nil, "the menu tree has a loop here")
		}
		seen[p] = true
		m, err := tx.MenuByID(ctx, p)
		if errors.Is(err, models.ErrNotFound) {
			return invalid("parent_id", "the parent menu does not exist")
		}
		if err != nil {
			return err
		}
		if m.ParentID == nil {
			return nil
		}
		p = *m.ParentID
	}
}

// CreateMenu validates and stores a menu.
func (s *Service) CreateMenu(ctx context.Context, actor Actor, in MenuInput) (models.Menu, error) {
	if err := in.validate(); err != nil {
		return models.Menu{}, err
	}
	var m models.Menu
	err := s.store.Transaction(ctx, func(tx *models.Store) error {
		if err := checkParent(ctx, tx, 0, in.ParentID); err != nil {
			return err
		}
		now := s.clock()
		m = models.Menu{ParentID: in.ParentID, Code: in.Code, Name: in.Name, Path: in.Path, Icon: in.Icon,
			Sort: in.Sort, Visible: in.Visible, CreatedAt: now, UpdatedAt: now}
		if err := tx.CreateMenu(ctx, &m); err != nil {
			if errors.Is(err, models.ErrDuplicate) {
				return ErrMenuCodeTaken
			}
			return err
		}
		return s.writeAudit(ctx, tx, actor, ActionMenuCreate, MenuTarget(m.ID), fmt.Sprintf("%s (%s)", m.Name, m.Code))
	})
	return m, err
}

// UpdateMenu changes a menu; the mini-program sees it at its next checkBind or info.
func (s *Service) UpdateMenu(ctx context.Context, actor Actor, id uint64, in MenuInput) error {
	if err := in.validate(); err != nil {
		return err
	}
	return s.store.Transaction(ctx, func(tx *models.Store) error {
		old, err := tx.MenuByID(ctx, id)
		if errors.Is(err, models.ErrNotFound) {
			return ErrMenuNotFound
		}
		if err != nil {
			return err
		}
		if err := checkParent(ctx, tx, id, in.ParentID); err != nil {
			return err
		}
		m := models.Menu{ID: id, ParentID: in.ParentID, Code: in.Code, Name: in.Name, Path: in.Path, Icon: in.Icon,
			Sort: in.Sort, Visible: in.Visible, UpdatedAt: s.clock()}
		if err := tx.UpdateMenu(ctx, &m); err != nil {
			if errors.Is(err, models.ErrDuplicate) {
				return ErrMenuCodeTaken
			}
			return err
		}
		return s.writeAudit(ctx, tx, actor, ActionMenuUpdate, MenuTarget(id), fmt.Sprintf("%s (%s) → %s (%s)", old.Name, old.Code, m.Name, m.Code))
	})
}

// DeleteMenu removes a menu that has no children; its assignments go with it.
func (s *Service) DeleteMenu(ctx context.Context, actor Actor, id uint64) error {
	return s.store.Transaction(ctx, func(tx *models.Store) error {
		m, err := tx.MenuByID(ctx, id)
		if errors.Is(err, models.ErrNotFound) {
			return ErrMenuNotFound
		}
		if err != nil {
			return err
		}
		n, err := tx.CountMenuChildren(ctx, id)
		if err != nil {
			return err
		}
		if n > 0 {
			return ErrMenuHasChildren
		}
		if _, err := tx.DeleteMenu(ctx, id); err != nil {
			return err
		}
		return s.writeAudit(ctx, tx, actor, ActionMenuDelete, MenuTarget(id), fmt.Sprintf("%s (%s)", m.Name, m.Code))
	})
}

// MoveMenu moves a menu one place up (-1) or down (+1) among its siblings, renumbering the
// siblings' sort keys 10, 20, 30… so that equal keys do not make the move a no-op.
func (s *Service) MoveMenu(ctx context.Context, actor Actor, id uint64, delta int) error {
	if delta != -1 && delta != 1 {
		return invalid("direction", "move a menu up or down")
	}
	return s.store.Transaction(ctx, func(tx *models.Store) error {
		all, err := tx.AllMenus(ctx)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(all, func(m models.Menu) bool { return m.ID == id })
		if i < 0 {
			return ErrMenuNotFound
		}
		var siblings []models.Menu
		for _, m := range all {
			if sameParent(m.ParentID, all[i].ParentID) {
				siblings = append(siblings, m)
			}
		}
		j := slices.IndexFunc(siblings, func(m models.Menu) bool { return m.ID == id })
		k := j + delta
		if k < 0 || k >= len(siblings) {
			return nil // already first or last
		}
		siblings[j], siblings[k] = siblings[k], siblings[j]
		now := s.clock()
		for n, m := range siblings {
			if want := (n + 1) * 10; m.Sort != want {
				if err := tx.SetMenuSort(ctx, m.ID, want, now); err != nil {
					return err
				}
			}
		}
		dir := "down"
		if delta < 0 {
			dir = "up"
		}
		return s.writeAudit(ctx, tx, actor, ActionMenuReorder, MenuTarget(id), "moved "+dir)
	})
}

func sameParent(a, b *uint64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// SetAccountMenus replaces the account's menu set, in one transaction.
func (s *Service) SetAccountMenus(ctx context.Context, actor Actor, accountID uint64, menuIDs []uint64) error {
	return s.ApplyMenus(ctx, actor, []uint64{accountID}, menuIDs)
}

// ApplyMenus replaces the menu set of every account in accountIDs with menuIDs, all in one
// transaction: either every account gets the set or none does.
func (s *Service) ApplyMenus(ctx context.Context, actor Actor, accountIDs, menuIDs []uint64) error {
	accountIDs, menuIDs = uniq(accountIDs), uniq(menuIDs)
	if len(accountIDs) == 0 {
		return invalid("user_id", "select at least one user")
	}
	if len(accountIDs) > maxAccountsAppliedAtOnce || len(menuIDs) > maxMenusAssignedAtOnce {
		return invalidKey("user_id", "console.input.too_many_at_once", map[string]any{"Accounts": maxAccountsAppliedAtOnce, "Menus": maxMenusAssignedAtOnce},
			"at most %d users and %d menus at once", maxAccountsAppliedAtOnce, maxMenusAssignedAtOnce)
	}
	return s.store.Transaction(ctx, func(tx *models.Store) error {
		n, err := tx.CountMenusByIDs(ctx, menuIDs)
		if err != nil {
			return err
		}
		if int(n) != len(menuIDs) {
			return invalid("menu_id", "a selected menu no longer exists; reload the page")
		}
		accts, err := tx.AccountsByIDs(ctx, accountIDs)
		if err != nil {
			return err
		}
		if len(accts) != len(accountIDs) {
			return ErrAccountNotFound
		}
		// Three statements (batched) however many accounts: the bulk apply may name a thousand.
		if err := tx.ClearAccountMenus(ctx, accountIDs...); err != nil {
			return err
		}
		if err := tx.AssignMenusToAccounts(ctx, accountIDs, menuIDs); err != nil {
			return err
		}
		detail := fmt.Sprintf("menus set to %v", menuIDs)
		entries := make([]models.AuditEntry, len(accountIDs))
		for i, id := range accountIDs {
			entries[i] = s.auditEntry(actor, ActionMenusAssign, AccountTarget(id), detail)
		}
		return tx.AddAuditEntries(ctx, entries)
	})
}

func uniq(ids []uint64) []uint64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}
