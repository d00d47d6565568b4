package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
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

var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.@-]{2,63}$`)

// NewAccount is an account to create.
type NewAccount struct {
	Username string
	Password string
	Name     string
	Role     string // default user
}

// ValidRole reports whether role is one of user, staff, admin.
func ValidRole(role string) bool {
	return role == models.RoleUser || role == models.RoleStaff || role == models.RoleAdmin
}

// CreateAccount validates and stores a new account with a bcrypt password hash.
func (s *Service) CreateAccount(ctx context.Context, n NewAccount) (models.Account, error) {
	if n.Role == "" {
		n.Role = models.RoleUser
	}
	if !usernamePattern.MatchString(n.Username) {
		return models.Account{}, invalid("username", "username must be 3–64 letters, digits or _ . @ -, starting with a letter or digit")
	}
	if err := validatePassword(n.Password); err != nil {
		return models.Account{}, err
	}
	if utf8.RuneCountInString(n.Name) > MaxNameLen || !utf8.ValidString(n.Name) {
		return models.Account{}, invalid("name", "name must be valid text of at most %d characters", MaxNameLen)
	}
	if !ValidRole(n.Role) {
		return models.Account{}, invalid("role", "role must be user, staff or admin")
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(n.Password), s.cost)
	if err != nil {
		return models.Account{}, err
	}
	now := s.clock()
	a := models.Account{
		Username: n.Username, Name: n.Name, PasswordHash: string(hash), Role: n.Role,
		Status: models.StatusActive, CreatedAt: now, UpdatedAt: now,
	}
	if err := s.store.CreateAccount(ctx, &a); err != nil {
		if errors.Is(err, models.ErrDuplicate) {
			return models.Account{}, ErrUsernameTaken
		}
		return models.Account{}, err
	}
	return a, nil
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

// EnsureAdmin creates the first admin when no active admin exists. With an empty password it
// makes a random one and returns it, to be shown once.
func (s *Service) EnsureAdmin(ctx context.Context, username, password string) (created bool, usedPassword string, err error) {
	n, err := s.store.CountActiveAdmins(ctx)
	if err != nil || n > 0 {
		return false, "", err
	}
	if username == "" {
		username = "admin"
	}
	if password == "" {
		password = RandomPassword()
	}
	if _, err := s.CreateAccount(ctx, NewAccount{Username: username, Password: password, Name: "Administrator", Role: models.RoleAdmin}); err != nil {
		return false, "", err
	}
	return true, password, nil
}

// RandomPassword is 26 base32 characters (130 bits).
func RandomPassword() string { return rand.Text() }

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

// CredentialStamp changes whenever the account's password changes, so a console session
// opened before a password reset stops working.
func CredentialStamp(a models.Account) string {
	sum := sha256.Sum256([]byte("wxbind console session v1\x00" + a.PasswordHash))
	return hex.EncodeToString(sum[:8])
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
