package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"wxbind/models"
)

// Password limits: bcrypt reads at most 72 bytes.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 72
	MaxNameLen     = 64
)

// Account roles: what an account may do in the console (user: nothing).
const (
	RoleUser  = models.RoleUser
	RoleStaff = models.RoleStaff
	RoleAdmin = models.RoleAdmin
)

// Account statuses.
const (
	StatusActive   = models.StatusActive
	StatusDisabled = models.StatusDisabled
)

// Account is a platform account as the rules hand it out: all but its password hash.
type Account struct {
	ID       uint64
	Username string
	Name     string
	Role     string
	Status   string
	// Phone is the number WeChat vouched for (digits, no country code); show it through
	// PhoneFor, never as it is.
	Phone            string
	PhoneCountryCode string
	CreatedAt        time.Time
	// MustChangePassword: the password was generated (the first admin's); the console asks for a
	// new one before anything else.
	MustChangePassword bool
	stamp              string
}

// CredentialStamp changes whenever the account's password changes, so a console session
// opened before a password reset stops working.
func (a Account) CredentialStamp() string { return a.stamp }

// MayUseConsole reports whether the account's role lets it into the console.
func (a Account) MayUseConsole() bool { return a.Role == RoleStaff || a.Role == RoleAdmin }

func accountOf(m models.Account) Account {
	sum := sha256.Sum256([]byte("wxbind console session v1\x00" + m.PasswordHash))
	return Account{ID: m.ID, Username: m.Username, Name: m.Name, Role: m.Role, Status: m.Status,
		Phone: m.Phone, PhoneCountryCode: m.PhoneCountryCode, CreatedAt: m.CreatedAt, MustChangePassword: m.PasswordMustChange, stamp: hex.EncodeToString(sum[:8])}
}

// PhoneFor is the account's phone number as viewer may see it: whole to admins, and to staff
// masked enough to recognise a number, not to call it; "" when none was shared.
func (a Account) PhoneFor(viewer Account) string {
	if a.Phone == "" {
		return ""
	}
	phone := MaskPhone(a.Phone)
	if viewer.Role == RoleAdmin {
		phone = a.Phone
	}
	if a.PhoneCountryCode != "" {
		phone = "+" + a.PhoneCountryCode + " " + phone
	}
	return phone
}

// NewAccount is an account to create.
type NewAccount struct {
	Username string
	Password string
	Name     string
	Role     string // default user
	// MenuRoleIDs are the menu roles it has from the start (the console offers the default
	// one ticked). An account created with none gets the default menu role at its first bind,
	// unless MenuRolesChosen.
	MenuRoleIDs []uint64
	// MenuRolesChosen says MenuRoleIDs is the admin's choice, final even when empty: the
	// new-account form offered the roles and the default was unticked.
	MenuRolesChosen bool
}

// ValidRole reports whether role is one of user, staff, admin.
func ValidRole(role string) bool {
	return role == models.RoleUser || role == models.RoleStaff || role == models.RoleAdmin
}

// CreateAccount validates and stores a new account with a bcrypt password hash.
func (s *Service) CreateAccount(ctx context.Context, n NewAccount) (Account, error) {
	return s.createAccount(ctx, n, false)
}

func (s *Service) createAccount(ctx context.Context, n NewAccount, mustChange bool) (Account, error) {
	if n.Role == "" {
		n.Role = models.RoleUser
	}
	n.Username = typedUsername(n.Username)
	if err := validateUsername(n.Username); err != nil {
		return Account{}, err
	}
	if err := validatePassword(n.Password); err != nil {
		return Account{}, err
	}
	if utf8.RuneCountInString(n.Name) > MaxNameLen || !utf8.ValidString(n.Name) {
		return Account{}, invalid("name", "name must be valid text of at most %d characters", MaxNameLen)
	}
	if !ValidRole(n.Role) {
		return Account{}, invalid("role", "role must be user, staff or admin")
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(n.Password), s.cost)
	if err != nil {
		return Account{}, err
	}
	now := s.clock()
	a := models.Account{
		Username: n.Username, Name: n.Name, PasswordHash: string(hash), Role: n.Role,
		Status: models.StatusActive, PasswordMustChange: mustChange, CreatedAt: now, UpdatedAt: now,
		MenuRolesChosen: n.MenuRolesChosen || len(n.MenuRoleIDs) > 0,
	}
	if err := s.store.CreateAccount(ctx, &a); err != nil {
		if errors.Is(err, models.ErrDuplicate) {
			return Account{}, ErrUsernameTaken
		}
		return Account{}, err
	}
	return accountOf(a), nil
}

func validatePassword(p string) error {
	if utf8.RuneCountInString(p) < MinPasswordLen {
		return invalid("password", "password must be at least %d characters", MinPasswordLen)
	}
	if len(p) > MaxPasswordLen {
		return invalid("password", "password must be at most %d bytes", MaxPasswordLen)
	}
	return nil
}

// BuiltInAdminName is the name EnsureAdmin gives the first admin; the console shows it in the
// reader's language.
const BuiltInAdminName = "Administrator"

// EnsureAdmin creates the first admin when no active admin exists. With an empty password it
// makes a random one and returns it, to be shown once; the console asks for a new one at the
// first login.
func (s *Service) EnsureAdmin(ctx context.Context, username, password string) (created bool, usedPassword string, err error) {
	n, err := s.store.CountActiveAdmins(ctx)
	if err != nil || n > 0 {
		return false, "", err
	}
	if username == "" {
		username = "admin"
	}
	generated := password == ""
	if generated {
		password = RandomPassword()
	}
	if _, err := s.createAccount(ctx, NewAccount{Username: username, Password: password, Name: BuiltInAdminName, Role: models.RoleAdmin}, generated); err != nil {
		if errors.Is(err, ErrUsernameTaken) {
			// Another instance starting at the same moment may have made it: then all is well.
			if n, cerr := s.store.CountActiveAdmins(ctx); cerr == nil && n > 0 {
				return false, "", nil
			}
		}
		return false, "", err
	}
	return true, password, nil
}

// RandomPassword is 26 base32 characters (130 bits).
func RandomPassword() string { return rand.Text() }

// CreateAccountAs is CreateAccount done by a console admin, audited.
func (s *Service) CreateAccountAs(ctx context.Context, actor Actor, n NewAccount) (Account, error) {
	n.Username = strings.TrimSpace(n.Username)
	n.Name = strings.TrimSpace(n.Name)
	n.MenuRoleIDs = uniq(n.MenuRoleIDs)
	if _, err := roleNames(ctx, s.store, n.MenuRoleIDs); err != nil {
		return Account{}, err
	}
	a, err := s.CreateAccount(ctx, n)
	if err != nil {
		return a, err
	}
	s.audit(ctx, s.store, actor, ActionAccountCreate, AccountTarget(a.ID), Detail{"Username": a.Username, "Role": a.Role})
	if len(n.MenuRoleIDs) > 0 {
		return a, s.SetAccountMenus(ctx, actor, a.ID, n.MenuRoleIDs, nil, nil)
	}
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
		return s.writeAudit(ctx, tx, actor, ActionAccountUpdate, AccountTarget(id), Detail{"Username": old.Username,
			"OldName": old.Name, "Name": ch.Name, "OldRole": old.Role, "Role": ch.Role, "OldStatus": old.Status, "Status": ch.Status})
	})
}

// ResetPassword sets a new password and ends every mini-program token and console session of
// the account.
func (s *Service) ResetPassword(ctx context.Context, actor Actor, id uint64, password string) error {
	if err := validatePassword(password); err != nil {
		return err
	}
	_, err := s.setPassword(ctx, actor, id, password, ActionPasswordReset, nil)
	return err
}

// ChangeOwnPassword is a console user changing their own password: the current one must be
// right and the new one follow the same rule as everywhere. As a reset does, it ends the account's
// mini-program tokens and (through the credential stamp) its other console sessions; the caller
// keeps its own session by storing the returned account's new stamp.
func (s *Service) ChangeOwnPassword(ctx context.Context, actor Actor, id uint64, current, password string) (Account, error) {
	if actor.AccountID == nil || *actor.AccountID != id {
		return Account{}, ErrUnauthenticated
	}
	if current == "" {
		return Account{}, invalid("current_password", "enter your current password")
	}
	if err := validatePassword(password); err != nil {
		return Account{}, err
	}
	if password == current {
		return Account{}, invalidKey("password", "console.input.password_unchanged", nil, "choose a password different from the current one")
	}
	row, err := s.setPassword(ctx, actor, id, password, ActionPasswordChange, func(row models.Account) error {
		if bcrypt.CompareHashAndPassword([]byte(row.PasswordHash), []byte(current)) != nil {
			return ErrWrongPassword
		}
		return nil
	})
	if err != nil {
		return Account{}, err
	}
	return accountOf(row), nil
}

// setPassword is what a reset and a change share: in one transaction it stores password's hash
// as the account's (no change asked for any more), ends its mini-program tokens (its console
// sessions end with the credential stamp) and records action with how many tokens ended. check,
// when given, sees the stored row first and may refuse. It returns the row as it now is.
func (s *Service) setPassword(ctx context.Context, actor Actor, id uint64, password, action string, check func(models.Account) error) (models.Account, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.cost)
	if err != nil {
		return models.Account{}, err
	}
	var row models.Account
	err = s.store.Transaction(ctx, func(tx *models.Store) error {
		var err error
		row, err = tx.AccountByID(ctx, id)
		if errors.Is(err, models.ErrNotFound) {
			return ErrAccountNotFound
		} else if err != nil {
			return err
		}
		if check != nil {
			if err := check(row); err != nil {
				return err
			}
		}
		now := s.clock()
		if err := tx.SetPasswordHash(ctx, id, string(hash), now); err != nil {
			return err
		}
		n, err := tx.RevokeLoginTokensOfAccount(ctx, id, now)
		if err != nil {
			return err
		}
		row.PasswordHash, row.PasswordMustChange = string(hash), false
		return s.writeAudit(ctx, tx, actor, action, AccountTarget(id), Detail{"Username": row.Username, "Tokens": n})
	})
	return row, err
}

// Bind filters of AccountFilter.
const (
	BindAny     = models.BindAny
	BindBound   = models.BindBound
	BindUnbound = models.BindUnbound
)

// AccountSummary is an account as a list shows it, with its WeChat binding if any.
type AccountSummary struct {
	Account
	Bound       bool
	IdentityID  uint64
	OpenID      string
	Nickname    string
	AvatarURL   string
	BoundAt     *time.Time
	LastLoginAt *time.Time
}

func accountSummaryOf(r models.AccountRow) AccountSummary {
	out := AccountSummary{Account: accountOf(r.Account), Bound: r.IdentityID != nil,
		OpenID: r.OpenID, Nickname: r.Nickname, AvatarURL: r.AvatarURL, BoundAt: r.BoundAt, LastLoginAt: r.LastLoginAt}
	if r.IdentityID != nil {
		out.IdentityID = *r.IdentityID
	}
	return out
}

// Accounts loads the accounts with ids, in id order; ErrAccountNotFound when one is missing.
func (s *Service) Accounts(ctx context.Context, ids []uint64) ([]Account, error) {
	ids = uniq(ids)
	rows, err := s.store.AccountsByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	if len(rows) != len(ids) {
		return nil, ErrAccountNotFound
	}
	out := make([]Account, len(rows))
	for i, r := range rows {
		out[i] = accountOf(r)
	}
	return out, nil
}

// AccountDetail is everything the console shows about one account.
type AccountDetail struct {
	Account
	Phone        string     // as the viewer may see it (Account.PhoneFor)
	Identity     *Identity  // the WeChat user bound to it; nil when not bound
	Past         []Identity // every other WeChat user it was ever bound to (by the audit log)
	ActiveTokens int64      // live mini-program logins
	Menus        []MenuNode
	LastLogin    *LastConsoleLogin // the last console login; nil when none
	// History is a page of every audit entry about the account: its own, its failed logins and
	// binds, and those of every WeChat user it ever had, bound now or not.
	History AuditList
}

// AccountDetail loads the account id as viewer may see it, with the page p of its history;
// ErrAccountNotFound when it does not exist.
func (s *Service) AccountDetail(ctx context.Context, id uint64, viewer Account, p ListPage) (AccountDetail, error) {
	row, err := s.store.AccountByID(ctx, id)
	if errors.Is(err, models.ErrNotFound) {
		return AccountDetail{}, ErrAccountNotFound
	}
	if err != nil {
		return AccountDetail{}, err
	}
	d := AccountDetail{Account: accountOf(row)}
	d.Phone = d.PhoneFor(viewer)
	targets := []string{AccountTarget(id), loginTarget(row.Username)}
	ident, err := s.store.IdentityOfAccount(ctx, s.AppID(), id)
	switch {
	case err == nil:
		i := identityOf(ident)
		d.Identity = &i
		targets = append(targets, IdentityTarget(ident.ID))
	case !errors.Is(err, models.ErrNotFound):
		return d, err
	}
	bound, err := s.store.TargetsBoundBy(ctx, id)
	if err != nil {
		return d, err
	}
	for _, t := range bound {
		if d.Identity != nil && t == IdentityTarget(d.Identity.ID) {
			continue
		}
		targets = append(targets, t)
		var identID uint64
		if _, err := fmt.Sscanf(t, "wechat:%d", &identID); err != nil {
			continue
		}
		past, err := s.store.IdentityByID(ctx, identID)
		if errors.Is(err, models.ErrNotFound) {
			continue
		} else if err != nil {
			return d, err
		}
		d.Past = append(d.Past, identityOf(past))
	}
	if d.ActiveTokens, err = s.store.CountActiveLoginTokens(ctx, id, s.clock()); err != nil {
		return d, err
	}
	if d.Menus, err = s.MenuTree(ctx, id); err != nil {
		return d, err
	}
	if d.LastLogin, err = s.lastConsoleLogin(ctx, id); err != nil {
		return d, err
	}
	d.History, err = s.auditPage(ctx, models.AuditFilter{Targets: targets}, p)
	return d, err
}
