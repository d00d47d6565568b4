package wechat_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"wxbind/wechat"
	"wxbind/wechat/wechattest"
)

func TestAccessTokenFetchedOnceForConcurrentCalls(t *testing.T) {
	fake := wechattest.Start(t)
	c := fake.Client(t, 2*time.Second)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := c.PhoneNumber(ctx, wechattest.PhoneCode("alice", "1380013800"+string(rune('0'+i%10))), "")
			if err == nil && !strings.HasPrefix(p.PurePhoneNumber, "1380013800") {
				err = errors.New("wrong number " + p.PurePhoneNumber)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := fake.CallsTo(wechattest.PathStableToken); n != 1 {
		t.Fatalf("40 concurrent calls fetched the access_token %d times, want 1", n)
	}
	// Later calls reuse it too.
	if _, err := c.PhoneNumber(ctx, wechattest.PhoneCode("alice", "13800138000"), ""); err != nil {
		t.Fatal(err)
	}
	if n := fake.CallsTo(wechattest.PathStableToken); n != 1 {
		t.Fatalf("access_token fetched %d times, want 1", n)
	}
}

func TestAccessTokenRefreshedOnceOn40001And42001(t *testing.T) {
	for _, tc := range []struct {
		name    string
		disable func(*wechattest.Fake)
	}{
		{"40001 invalid", (*wechattest.Fake).KillAccessTokens},
		{"42001 expired", (*wechattest.Fake).ExpireAccessTokens},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := wechattest.Start(t)
			c := fake.Client(t, 2*time.Second)
			ctx := context.Background()
			if _, err := c.PhoneNumber(ctx, wechattest.PhoneCode("bob", "13900139000"), ""); err != nil {
				t.Fatal(err)
			}
			tc.disable(fake)
			p, err := c.PhoneNumber(ctx, wechattest.PhoneCode("bob", "13900139001"), "")
			if err != nil || p.PurePhoneNumber != "13900139001" {
				t.Fatalf("after the token went bad: %+v %v", p, err)
			}
			if n := fake.ForcedRefreshes(); n != 1 {
				t.Fatalf("forced refreshes: %d, want 1", n)
			}
			if n := fake.CallsTo(wechattest.PathPhoneNumber); n != 3 {
				t.Fatalf("phone calls: %d, want 3 (one, then a refused one and its retry)", n)
			}
		})
	}
}

func TestAccessTokenRetriedOnlyOnce(t *testing.T) {
	fake := wechattest.Start(t)
	c := fake.Client(t, 2*time.Second)
	fake.Inject(wechattest.PathPhoneNumber, "errcode:40001", "errcode:40001", "errcode:40001")
	_, err := c.PhoneNumber(context.Background(), wechattest.PhoneCode("carol", "13700137000"), "")
	if wechat.KindOf(err) != wechat.KindAccessToken {
		t.Fatalf("want the second 40001 back, got %v", err)
	}
	if n := fake.CallsTo(wechattest.PathPhoneNumber); n != 2 {
		t.Fatalf("phone calls: %d, want 2", n)
	}
	if n := fake.ForcedRefreshes(); n != 1 {
		t.Fatalf("forced refreshes: %d, want 1", n)
	}
}

func TestAccessTokenRenewedAheadOfExpiry(t *testing.T) {
	fake := wechattest.Start(t)
	fake.TokenLifetime.Store(2) // seconds; renewed after three quarters of it
	c := fake.Client(t, 2*time.Second)
	ctx := context.Background()
	if _, err := c.PhoneNumber(ctx, wechattest.PhoneCode("dan", "13600136000"), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PhoneNumber(ctx, wechattest.PhoneCode("dan", "13600136001"), ""); err != nil {
		t.Fatal(err)
	}
	if n := fake.CallsTo(wechattest.PathStableToken); n != 1 {
		t.Fatalf("stable_token calls before renewal time: %d, want 1", n)
	}
	time.Sleep(1600 * time.Millisecond)
	if _, err := c.PhoneNumber(ctx, wechattest.PhoneCode("dan", "13600136002"), ""); err != nil {
		t.Fatal(err)
	}
	if n := fake.CallsTo(wechattest.PathStableToken); n != 2 {
		t.Fatalf("stable_token calls after renewal time: %d, want 2", n)
	}
	if n := fake.ForcedRefreshes(); n != 0 {
		t.Fatalf("renewing ahead must not force: %d forced", n)
	}
}

func TestPhoneNumberFailures(t *testing.T) {
	fake := wechattest.Start(t)
	c := fake.Client(t, 300*time.Millisecond)
	ctx := context.Background()
	used := wechattest.PhoneCode("erin", "13500135000")
	if _, err := c.PhoneNumber(ctx, used, wechattest.OpenID("erin")); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, code, openid string
		kind               wechat.Kind
		unavailable        bool
	}{
		{"40029 invalid", "bogus", "", wechat.KindInvalidCode, false},
		{"40163 used", used, "", wechat.KindInvalidCode, false},
		{"other user's code", wechattest.PhoneCode("frank", "13400134000"), wechattest.OpenID("erin"), wechat.KindInvalidCode, false},
		{"45011 quota", "err:45011", "", wechat.KindRateLimited, false},
		{"-1 busy", "err:-1", "", wechat.KindBusy, false},
		{"garbage", "garbage", "", wechat.KindOther, true},
		{"http 500", "http500", "", wechat.KindOther, true},
		{"no phone_info", "noinfo", "", wechat.KindOther, true},
		{"timeout", "slow", "", wechat.KindOther, true},
	}
	tokens := fake.AccessTokens()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := c.PhoneNumber(ctx, tc.code, tc.openid)
			if err == nil {
				t.Fatal("want an error")
			}
			if got := wechat.KindOf(err); got != tc.kind {
				t.Fatalf("kind %v, want %v (%v)", got, tc.kind, err)
			}
			if errors.Is(err, wechat.ErrUnavailable) != tc.unavailable {
				t.Fatalf("ErrUnavailable: %v, want %v (%v)", errors.Is(err, wechat.ErrUnavailable), tc.unavailable, err)
			}
			if time.Since(start) > 2*time.Second {
				t.Fatalf("took %v: the client timeout must bound it", time.Since(start))
			}
			for _, tok := range tokens {
				if strings.Contains(err.Error(), tok) {
					t.Fatalf("error holds the access_token: %v", err)
				}
			}
			if strings.Contains(err.Error(), tc.code) && len(tc.code) > 8 {
				t.Fatalf("error holds the code: %v", err)
			}
		})
	}
}

func TestStableTokenFailures(t *testing.T) {
	for _, tc := range []struct {
		reply       string
		kind        wechat.Kind
		unavailable bool
	}{
		{"errcode:40013", wechat.KindBadCredentials, false},
		{"errcode:40125", wechat.KindBadCredentials, false},
		{"errcode:45011", wechat.KindRateLimited, false},
		{"errcode:-1", wechat.KindBusy, false},
		{"garbage", wechat.KindOther, true},
		{"noinfo", wechat.KindOther, true},
		{"http500", wechat.KindOther, true},
		{"slow", wechat.KindOther, true},
	} {
		t.Run(tc.reply, func(t *testing.T) {
			fake := wechattest.Start(t)
			c := fake.Client(t, 300*time.Millisecond)
			fake.Inject(wechattest.PathStableToken, tc.reply)
			_, err := c.CheckSession(context.Background(), wechattest.OpenID("gina"), wechattest.SessionKey("gina"))
			if wechat.KindOf(err) != tc.kind || errors.Is(err, wechat.ErrUnavailable) != tc.unavailable {
				t.Fatalf("got %v", err)
			}
			if strings.Contains(err.Error(), fake.Secret) {
				t.Fatalf("error holds the secret: %v", err)
			}
			if n := fake.CallsTo(wechattest.PathCheckSession); n != 0 {
				t.Fatalf("checksession called %d times without a token", n)
			}
			// The failure is not cached: the next call fetches a token and works.
			if _, err := c.CheckSession(context.Background(), wechattest.OpenID("gina"), wechattest.SessionKey("gina")); err != nil {
				t.Fatalf("after the failure: %v", err)
			}
		})
	}
}

func TestCheckSession(t *testing.T) {
	fake := wechattest.Start(t)
	c := fake.Client(t, time.Second)
	ctx := context.Background()
	sess, err := c.Code2Session(ctx, wechattest.Code("hank"))
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := c.CheckSession(ctx, sess.OpenID, sess.SessionKey); err != nil || !ok {
		t.Fatalf("current key: %v %v", ok, err)
	}
	if ok, err := c.CheckSession(ctx, sess.OpenID, "AAAAAAAAAAAAAAAAAAAAAA=="); err != nil || ok {
		t.Fatalf("other key: want false, got %v %v", ok, err)
	}
	fake.ExpireSession("hank")
	if ok, err := c.CheckSession(ctx, sess.OpenID, sess.SessionKey); err != nil || ok {
		t.Fatalf("expired session: want false, got %v %v", ok, err)
	}
	fake.Inject(wechattest.PathCheckSession, "errcode:-1", "garbage")
	if _, err := c.CheckSession(ctx, sess.OpenID, sess.SessionKey); wechat.KindOf(err) != wechat.KindBusy {
		t.Fatalf("-1: got %v", err)
	}
	if _, err := c.CheckSession(ctx, sess.OpenID, sess.SessionKey); !errors.Is(err, wechat.ErrUnavailable) {
		t.Fatalf("garbage: got %v", err)
	}
}

func TestSandboxUserData(t *testing.T) {
	var sb wechat.Sandbox
	ctx := context.Background()
	p, err := sb.PhoneNumber(ctx, "sandbox:13800138000", "")
	if err != nil || p.PurePhoneNumber != "13800138000" || p.CountryCode != "86" {
		t.Fatalf("sandbox phone: %+v %v", p, err)
	}
	p, err = sb.PhoneNumber(ctx, "sandbox:+852-51234567", "")
	if err != nil || p.PurePhoneNumber != "51234567" || p.CountryCode != "852" || p.PhoneNumber != "+852 51234567" {
		t.Fatalf("sandbox foreign phone: %+v %v", p, err)
	}
	for _, bad := range []string{"", "13800138000", "sandbox:", "sandbox:12ab", "sandbox:+1-"} {
		if _, err := sb.PhoneNumber(ctx, bad, ""); wechat.KindOf(err) != wechat.KindInvalidCode {
			t.Errorf("sandbox phone code %q: want 40029, got %v", bad, err)
		}
	}
	sess, err := sb.Code2Session(ctx, "sandbox:ivy")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := sb.CheckSession(ctx, sess.OpenID, sess.SessionKey); !ok {
		t.Fatal("sandbox: own session_key must be valid")
	}
	other, _ := sb.Code2Session(ctx, "sandbox:jack")
	if ok, _ := sb.CheckSession(ctx, sess.OpenID, other.SessionKey); ok {
		t.Fatal("sandbox: another user's session_key must be invalid")
	}
}

func TestCountryCodeReadsStringAndNumber(t *testing.T) {
	// getuserphonenumber sends a number, the legacy encrypted payload a string.
	for _, in := range []string{`{"countryCode":86}`, `{"countryCode":"86"}`} {
		var info wechat.PhoneInfo
		if err := json.Unmarshal([]byte(in), &info); err != nil || info.CountryCode != "86" {
			t.Fatalf("%s: %q %v", in, info.CountryCode, err)
		}
	}
	var info wechat.PhoneInfo
	if err := json.Unmarshal([]byte(`{"countryCode":1.5}`), &info); err == nil {
		t.Fatal("a fractional country code must be refused")
	}
}

func TestFailedRenewalBacksOffWhileTheOldTokenWorks(t *testing.T) {
	fake := wechattest.Start(t)
	fake.TokenLifetime.Store(4) // seconds; due for renewal after 3
	c := fake.Client(t, time.Second)
	ctx := context.Background()
	if _, err := c.PhoneNumber(ctx, wechattest.PhoneCode("kim", "13300133000"), ""); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3100 * time.Millisecond)
	fake.Inject(wechattest.PathStableToken, "errcode:-1", "errcode:-1", "errcode:-1")
	for i := range 5 {
		if _, err := c.PhoneNumber(ctx, wechattest.PhoneCode("kim", "1330013300"+string(rune('1'+i))), ""); err != nil {
			t.Fatalf("call %d while renewal fails: %v", i, err)
		}
	}
	if n := fake.CallsTo(wechattest.PathStableToken); n != 2 {
		t.Fatalf("stable_token calls: %d, want 2 (the first fetch and one failed renewal)", n)
	}
}
