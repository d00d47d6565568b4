package account

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"wxbind/account/avatartest"
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

// FuzzTokenParsing: only strings issueLogin could make pass the shape check — a canonical id
// and a dot, or none, then 43 base64url characters — and the hash is always 64 hex characters.
func FuzzTokenParsing(f *testing.F) {
	secret := newTokenSecret()
	f.Add(secret)
	f.Add("42." + secret)
	f.Add("")
	f.Add("0." + secret)
	f.Add("007." + secret)
	f.Add("18446744073709551616." + secret)
	f.Add(strings.Repeat("A", 43))
	f.Add(strings.Repeat("=", 43))
	f.Add("Bearer " + secret)
	f.Fuzz(func(t *testing.T, s string) {
		id, sec, ok := parseToken(s)
		if ok {
			want := sec
			if id != 0 {
				want = strconv.FormatUint(id, 10) + "." + sec
			}
			if want != s || len(sec) != 43 {
				t.Fatalf("%q passed as id %d, secret %q", s, id, sec)
			}
		}
		if h := hashToken(s); len(h) != 64 {
			t.Fatalf("hash %q", h)
		}
	})
}

// FuzzCleanAvatar: whatever the bytes, checking and re-encoding an avatar never panics, and what
// it accepts is within the limits and decodes to the same size. Seeds are the bomb shapes.
func FuzzCleanAvatar(f *testing.F) {
	var jpg, pngBuf bytes.Buffer
	small := image.NewRGBA(image.Rect(0, 0, 20, 20))
	jpeg.Encode(&jpg, small, nil)
	png.Encode(&pngBuf, small)
	f.Add(jpg.Bytes())
	f.Add(pngBuf.Bytes())
	f.Add(avatartest.ProgressiveJPEG(4096, 4096, 4000))
	f.Add(avatartest.ProgressiveJPEG(64, 64, MaxAvatarScans+5))
	f.Add(bytes.ReplaceAll(avatartest.ProgressiveJPEG(64, 64, MaxAvatarScans+5), []byte{0xFF, 0xDA}, []byte{0, 0xFF, 0xDA}))
	f.Add(avatartest.ProgressiveJPEG(64, 64, 3))
	f.Add(avatartest.PNG16(4096, 4096))
	f.Add(avatartest.PNG16(32, 32))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, ext, err := CleanAvatar(data)
		if err != nil {
			return
		}
		cfg, _, cerr := image.DecodeConfig(bytes.NewReader(data))
		if cerr != nil || cfg.Width > MaxAvatarSide || cfg.Height > MaxAvatarSide {
			t.Fatalf("accepted %v %v beyond the limits", cfg, cerr)
		}
		if n := jpegScans(data, MaxAvatarScans+1); ext == ".jpg" && n > MaxAvatarScans {
			t.Fatalf("accepted a JPEG with %d scans", n)
		}
		img, _, err := image.Decode(bytes.NewReader(out))
		if err != nil || img.Bounds().Dx() != cfg.Width || img.Bounds().Dy() != cfg.Height {
			t.Fatalf("re-encoded %s does not decode to %dx%d: %v", ext, cfg.Width, cfg.Height, err)
		}
	})
}
