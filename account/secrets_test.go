package account

import (
	"strings"
	"testing"
	"time"
)

func testKeys(t *testing.T) keys {
	t.Helper()
	k, err := deriveKeys("0123456789abcdef0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestDeriveKeysNeedsLongSecret(t *testing.T) {
	if _, err := deriveKeys("short"); err == nil {
		t.Fatal("a short SECRET_KEY must be refused")
	}
}

func TestSealRoundTrip(t *testing.T) {
	k := testKeys(t)
	sealed := k.seal("tiihtNczf5v6AKRyjwEUhQ==", "openid-1")
	if strings.Contains(sealed, "tiihtNczf5v6AKRyjwEUhQ==") {
		t.Fatal("sealed text shows the key")
	}
	if again := k.seal("tiihtNczf5v6AKRyjwEUhQ==", "openid-1"); again == sealed {
		t.Fatal("sealing twice must differ (random nonce)")
	}
	if got, err := k.unseal(sealed, "openid-1"); err != nil || got != "tiihtNczf5v6AKRyjwEUhQ==" {
		t.Fatalf("unseal: %q %v", got, err)
	}
	if _, err := k.unseal(sealed, "openid-2"); err == nil {
		t.Fatal("a sealed key moved to another openid must not open")
	}
	other, _ := deriveKeys("another-secret-key-0123456789abcdef")
	if _, err := other.unseal(sealed, "openid-1"); err == nil {
		t.Fatal("another SECRET_KEY must not open it")
	}
	if _, err := k.unseal("!!", "openid-1"); err == nil {
		t.Fatal("garbage must not open")
	}
}

func TestTickets(t *testing.T) {
	k := testKeys(t)
	now := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	tk := BindTicket{ID: newTicketID(), IdentityID: 42, OpenID: "o-42", ExpiresAt: now.Add(10 * time.Minute)}
	s := k.signTicket(tk)
	got, err := k.verifyTicket(s, now)
	if err != nil || got.ID != tk.ID || got.IdentityID != 42 || got.OpenID != "o-42" || !got.ExpiresAt.Equal(tk.ExpiresAt) {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	if _, err := k.verifyTicket(s, now.Add(10*time.Minute)); err != ErrTicketExpired {
		t.Fatalf("at expiry: want ErrTicketExpired, got %v", err)
	}
	payload, sig, _ := strings.Cut(s, ".")
	forged := BindTicket{ID: tk.ID, IdentityID: 43, OpenID: "o-43", ExpiresAt: tk.ExpiresAt}
	forgedPayload, _, _ := strings.Cut(k.signTicket(forged), ".")
	other, _ := deriveKeys("another-secret-key-0123456789abcdef")
	for name, bad := range map[string]string{
		"empty": "", "no dot": payload, "swapped payload": forgedPayload + "." + sig,
		"other key": other.signTicket(tk), "bad base64": payload + ".!!!", "huge": strings.Repeat("a", 2000) + "." + sig,
	} {
		if _, err := k.verifyTicket(bad, now); err != ErrTicketInvalid {
			t.Errorf("%s: want ErrTicketInvalid, got %v", name, err)
		}
	}
}

func TestTokens(t *testing.T) {
	secret := newTokenSecret()
	if secret == newTokenSecret() {
		t.Fatal("tokens must be random")
	}
	for _, tc := range []struct {
		token  string
		id     uint64
		secret string
	}{
		{"42." + secret, 42, secret},
		{secret, 0, secret}, // a token from before tokens carried their id
	} {
		id, sec, ok := parseToken(tc.token)
		if !ok || id != tc.id || sec != tc.secret {
			t.Errorf("%q: got %d %q %v", tc.token, id, sec, ok)
		}
	}
	for _, bad := range []string{"", "short", secret + "A", strings.Repeat("*", 43), "0." + secret, "042." + secret,
		"-1." + secret, "1.2." + secret, ".", "1." + secret + "A", "99999999999999999999." + secret} {
		if _, _, ok := parseToken(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
	if len(hashToken(secret)) != 64 {
		t.Fatal("hash must be 64 hex characters")
	}
}
