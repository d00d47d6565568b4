package account

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"wxbind/models"
)

// One username rule on every database: two usernames are the same account when they are equal
// after Unicode NFKC and case folding (models.UsernameKey), so Alice, ALICE and full-width ａｌｉｃｅ
// are one account for login, lookups and creation. The username is shown as it was typed, in
// its NFKC form: case kept, full-width letters turned into ASCII.

var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.@-]{2,63}$`)

// MaxUsernameLen is the longest username in characters.
const MaxUsernameLen = 64

// typedUsername is a username as stored and shown: what was typed, trimmed, in NFKC form. The
// pattern is checked on this form, so ａｌｉｃｅ (NFKC: alice) is a valid username.
func typedUsername(s string) string { return norm.NFKC.String(strings.TrimSpace(s)) }

// validateUsername checks a typedUsername against the pattern.
func validateUsername(u string) error {
	if !usernamePattern.MatchString(u) {
		return invalid("username", "username must be 3–64 letters, digits or _ . @ -, starting with a letter or digit")
	}
	return nil
}

// tooLongForUsername reports whether s cannot be any account's username; NFKC never makes a
// valid username from more characters than it has, so this is safe before any lookup.
func tooLongForUsername(s string) bool { return utf8.RuneCountInString(s) > MaxUsernameLen }

// loginTarget names a username in the audit log by its key, so the lockout counts Alice, ALICE
// and ａｌｉｃｅ together.
func loginTarget(username string) string { return "login:" + models.UsernameKey(username) }
