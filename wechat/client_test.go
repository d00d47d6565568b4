package wechat_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"wxbind/wechat"
	"wxbind/wechat/wechattest"
)

func TestCode2Session(t *testing.T) {
	fake := wechattest.Start(t)
	c := fake.Client(t, time.Second)
	code := wechattest.Code("amy")
	s, err := c.Code2Session(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	if s.OpenID != wechattest.OpenID("amy") || s.UnionID != wechattest.UnionID("amy") || s.SessionKey != wechattest.SessionKey("amy") {
		t.Fatalf("session not decoded: %+v", s)
	}
	_, err = c.Code2Session(context.Background(), code)
	if wechat.KindOf(err) != wechat.KindInvalidCode {
		t.Fatalf("a reused code must be KindInvalidCode, got %v", err)
	}
}

func TestCode2SessionErrors(t *testing.T) {
	fake := wechattest.Start(t)
	c := fake.Client(t, 300*time.Millisecond)
	for _, tc := range []struct {
		code        string
		kind        wechat.Kind
		unavailable bool
	}{
		{"err:40029", wechat.KindInvalidCode, false},
		{"err:40163", wechat.KindInvalidCode, false},
		{"err:45011", wechat.KindRateLimited, false},
		{"err:40226", wechat.KindRiskyUser, false},
		{"err:-1", wechat.KindBusy, false},
		{"err:40013", wechat.KindBadCredentials, false},
		{"err:40125", wechat.KindBadCredentials, false},
		{"err:12345", wechat.KindOther, false},
		{"garbage", wechat.KindOther, true},
		{"http500", wechat.KindOther, true},
		{"noopenid", wechat.KindOther, true},
		{"slow", wechat.KindOther, true},
	} {
		t.Run(tc.code, func(t *testing.T) {
			_, err := c.Code2Session(context.Background(), tc.code)
			if err == nil {
				t.Fatal("want an error")
			}
			if got := wechat.KindOf(err); got != tc.kind {
				t.Fatalf("kind %v, want %v (%v)", got, tc.kind, err)
			}
			if errors.Is(err, wechat.ErrUnavailable) != tc.unavailable {
				t.Fatalf("ErrUnavailable = %v, want %v (%v)", !tc.unavailable, tc.unavailable, err)
			}
			if strings.Contains(err.Error(), fake.Secret) || strings.Contains(err.Error(), "js_code") || strings.Contains(err.Error(), fake.Server.URL) {
				t.Fatalf("error leaks the request: %v", err)
			}
		})
	}
}

func TestUnreachableWeChatErrorHidesURL(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there now
	c, err := wechat.NewClient(wechat.ClientConfig{BaseURL: url, AppID: "wxapp", Secret: "topsecret-value", Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Code2Session(context.Background(), "the-users-code")
	if !errors.Is(err, wechat.ErrUnavailable) {
		t.Fatalf("want ErrUnavailable, got %v", err)
	}
	for _, leak := range []string{"topsecret-value", "the-users-code", "secret="} {
		if strings.Contains(err.Error(), leak) {
			t.Fatalf("error %q leaks %q", err, leak)
		}
	}
}

func TestNewClientChecksConfig(t *testing.T) {
	for _, cfg := range []wechat.ClientConfig{
		{AppID: "", Secret: "s"},
		{AppID: "a", Secret: ""},
		{AppID: "a", Secret: "s", BaseURL: "ftp://example.com"},
		{AppID: "a", Secret: "s", BaseURL: "not a url"},
	} {
		if _, err := wechat.NewClient(cfg); err == nil {
			t.Errorf("NewClient(%+v) must refuse", cfg)
		}
	}
	c, err := wechat.NewClient(wechat.ClientConfig{AppID: "wxabc", Secret: "s"})
	if err != nil || c.AppID() != "wxabc" {
		t.Fatalf("defaults: %v", err)
	}
}

func TestSandbox(t *testing.T) {
	var sb wechat.Sandbox
	ctx := context.Background()
	a1, _ := sb.Code2Session(ctx, "sandbox:alice")
	a2, _ := sb.Code2Session(ctx, "sandbox:alice")
	b, _ := sb.Code2Session(ctx, "sandbox:bob")
	if a1.OpenID == "" || a1 != a2 || a1.OpenID == b.OpenID {
		t.Fatalf("sandbox:NAME must map to one openid per name: %v %v %v", a1, a2, b)
	}
	x, err := sb.Code2Session(ctx, "081abcDEF")
	if err != nil || x.OpenID == "" || x.OpenID == a1.OpenID {
		t.Fatalf("any other code maps to its own openid: %v %v", x, err)
	}
	for _, bad := range []string{"", "sandbox:", "sandbox:  "} {
		if _, err := sb.Code2Session(ctx, bad); wechat.KindOf(err) != wechat.KindInvalidCode {
			t.Errorf("code %q: want KindInvalidCode, got %v", bad, err)
		}
	}
	if sb.AppID() != wechat.SandboxAppID {
		t.Fatal("sandbox identities must carry the sandbox appid")
	}
}

func TestObserveCalls(t *testing.T) {
	fake := wechattest.Start(t)
	var seen []string
	c, err := wechat.NewClient(wechat.ClientConfig{BaseURL: fake.Server.URL, AppID: fake.AppID, Secret: fake.Secret, Timeout: time.Second,
		Observe: func(api, outcome string, took time.Duration) { seen = append(seen, api+" "+outcome) }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c.Code2Session(ctx, wechattest.Code("obs"))
	c.Code2Session(ctx, "err:45011")
	c.Code2Session(ctx, "garbage")
	want := []string{"jscode2session ok", "jscode2session errcode_45011", "jscode2session unavailable"}
	if strings.Join(seen, ",") != strings.Join(want, ",") {
		t.Fatalf("observed %v, want %v", seen, want)
	}
}
