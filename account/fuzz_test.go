package account

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzVerifyTicket: nothing but a ticket we signed verifies, and every ticket we sign does.
func FuzzVerifyTicket(f *testing.F) {
	k, _ := deriveKeys("0123456789abcdef0123456789abcdef")
	now := time.Unix(1_800_000_000, 0).UTC()
	signed := k.signTicket(BindTicket{ID: "abc", IdentityID: 7, OpenID: "o7", ExpiresAt: now.Add(time.Minute)})
	f.Add(signed, uint64(7), "o7", int64(60))
	f.Add(signed[:len(signed)-1], uint64(1), "", int64(0))
	f.Add("x.y", uint64(0), "o", int64(-5))
	f.Add(strings.Repeat(".", 600), uint64(1<<63), "😀", int64(1<<40))
	f.Add("eyJuIjoiYSIsImkiOjEsIm8iOiJvIiwiZSI6OTk5OTk5OTk5OX0.", uint64(1), "o", int64(1))
	f.Fuzz(func(t *testing.T, s string, identityID uint64, openID string, ttlSeconds int64) {
		// The only ticket signed with this key in play is the seed's: nothing else may verify.
		if got, err := k.verifyTicket(s, now); err == nil && (got.ID != "abc" || got.IdentityID != 7 || got.OpenID != "o7") {
			t.Fatalf("forged ticket %q verified as %+v", s, got)
		}
		// WeChat's openids are ASCII; JSON would replace invalid UTF-8 anyway.
		if identityID == 0 || openID == "" || !utf8.ValidString(openID) || ttlSeconds <= 0 || ttlSeconds > 1<<32 {
			return
		}
		tk := BindTicket{ID: newTicketID(), IdentityID: identityID, OpenID: openID, ExpiresAt: now.Add(time.Duration(ttlSeconds) * time.Second)}
		signedTk := k.signTicket(tk)
		if len(signedTk) > maxTicketLen {
			return // an openid far longer than WeChat's does not fit a ticket; refusing it is right
		}
		got, err := k.verifyTicket(signedTk, now)
		if err != nil || got.IdentityID != identityID || got.OpenID != openID {
			t.Fatalf("signed ticket did not verify: %+v %v", got, err)
		}
	})
}

// FuzzTokenParsing: only strings newToken could make pass the shape check, and the hash is
// always 64 hex characters.
func FuzzTokenParsing(f *testing.F) {
	tok, _ := newToken()
	f.Add(tok)
	f.Add("")
	f.Add(strings.Repeat("A", 43))
	f.Add(strings.Repeat("=", 43))
	f.Add("Bearer " + tok)
	f.Fuzz(func(t *testing.T, s string) {
		if wellFormedToken(s) && len(s) != 43 {
			t.Fatalf("%q passed with length %d", s, len(s))
		}
		if h := hashToken(s); len(h) != 64 {
			t.Fatalf("hash %q", h)
		}
	})
}
