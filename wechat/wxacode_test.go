package wechat_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/png"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"wxbind/wechat"
	"wxbind/wechat/wechattest"
)

// decodeQR reads a QR code image the way a phone's scanner would.
func decodeQR(t *testing.T, png []byte) string {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(png))
	if err != nil {
		t.Fatalf("not an image: %v", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("QR code does not decode: %v", err)
	}
	return res.GetText()
}

func TestMiniProgramCodeThroughTheSharedAccessToken(t *testing.T) {
	fake := wechattest.Start(t)
	c := fake.Client(t, 2*time.Second)
	ctx := context.Background()
	req := wechat.CodeRequest{Scene: "ABCDEFGHIJKLMNOPQRSTUVWXYZ", Page: "/pages/scan-login/scan-login", EnvVersion: "develop"}
	img, err := c.MiniProgramCode(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if img.ContentType != "image/png" || !bytes.Equal(img.Bytes, wechattest.WxaCodePNG(req.Scene)) {
		t.Fatalf("got %s of %d bytes, not the fake's image", img.ContentType, len(img.Bytes))
	}
	if got := decodeQR(t, img.Bytes); got != "wxacode:"+req.Scene {
		t.Fatalf("image encodes %q", got)
	}
	sent := fake.WxaCodeRequests()
	if len(sent) != 1 || sent[0].Page != "pages/scan-login/scan-login" || sent[0].EnvVersion != "develop" || sent[0].CheckPath || sent[0].Width < 280 {
		t.Fatalf("sent %+v", sent)
	}
	// A second code reuses the access_token; one WeChat kills is renewed once and the call retried.
	fake.KillAccessTokens()
	if _, err := c.MiniProgramCode(ctx, wechat.CodeRequest{Scene: "second"}); err != nil {
		t.Fatal(err)
	}
	if n := fake.CallsTo(wechattest.PathStableToken); n != 2 {
		t.Fatalf("stable_token called %d times, want 2 (first, and once after the kill)", n)
	}
}

func TestMiniProgramCodeRefusals(t *testing.T) {
	fake := wechattest.Start(t)
	c := fake.Client(t, 300*time.Millisecond)
	ctx := context.Background()
	for _, scene := range []string{"", strings.Repeat("a", 33), "has space", "中文"} {
		if _, err := c.MiniProgramCode(ctx, wechat.CodeRequest{Scene: scene}); err == nil {
			t.Errorf("scene %q accepted", scene)
		}
	}
	if n := fake.CallsTo(wechattest.PathWxaCode); n != 0 {
		t.Fatalf("bad scenes reached WeChat %d times", n)
	}
	cases := []struct {
		inject string
		check  func(error) bool
	}{
		{"errcode:45009", func(err error) bool { return wechat.KindOf(err) == wechat.KindRateLimited }},
		{"errcode:41030", func(err error) bool { var we *wechat.Error; return errors.As(err, &we) && we.Code == 41030 }},
		{"garbage", func(err error) bool { return errors.Is(err, wechat.ErrUnavailable) }},
		{"http500", func(err error) bool { return errors.Is(err, wechat.ErrUnavailable) }},
		{"slow", func(err error) bool { return errors.Is(err, wechat.ErrUnavailable) }},
	}
	for _, tc := range cases {
		fake.Inject(wechattest.PathWxaCode, tc.inject)
		_, err := c.MiniProgramCode(ctx, wechat.CodeRequest{Scene: "s1"})
		if err == nil || !tc.check(err) {
			t.Errorf("%s: got %v", tc.inject, err)
		}
		for _, tok := range fake.AccessTokens() {
			if err != nil && strings.Contains(err.Error(), tok) {
				t.Errorf("%s: error shows the access_token", tc.inject)
			}
		}
	}
}

func TestSandboxDrawsAStandardQRCodeOfTheScene(t *testing.T) {
	img, err := wechat.Sandbox{}.MiniProgramCode(context.Background(), wechat.CodeRequest{Scene: "K7Q2ZL4M5N6P7R2S3T4U5V6W7X"})
	if err != nil {
		t.Fatal(err)
	}
	if img.ContentType != "image/png" {
		t.Fatalf("content type %s", img.ContentType)
	}
	if got := decodeQR(t, img.Bytes); got != "K7Q2ZL4M5N6P7R2S3T4U5V6W7X" {
		t.Fatalf("decodes to %q", got)
	}
	if _, err := (wechat.Sandbox{}).MiniProgramCode(context.Background(), wechat.CodeRequest{Scene: strings.Repeat("x", 33)}); err == nil {
		t.Fatal("a 33-character scene was drawn")
	}
}

// TestQRCodePNGIsTheSameEveryTime: the code cached with a scan login request is compared with a
// fresh drawing of its scene; yeqown/go-qrcode, used before, broke ties between masks by which
// goroutine finished first, so about 1 scene in 100 drew differently from one call to the next.
func TestQRCodePNGIsTheSameEveryTime(t *testing.T) {
	for i := range 300 {
		text := fmt.Sprintf("wxacode:abcDEF%08d", i)
		first, err := wechat.QRCodePNG(text, 280)
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if again, _ := wechat.QRCodePNG(text, 280); !bytes.Equal(first, again) {
				t.Fatalf("%q drew two different images", text)
			}
		}
		if i%50 == 0 {
			if got := decodeQR(t, first); got != text {
				t.Fatalf("%q decodes as %q", text, got)
			}
		}
	}
}
