package account

import (
	"context"
	"crypto/rand"
	"errors"
	"regexp"
	"strconv"
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
