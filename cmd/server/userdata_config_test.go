package main

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"wxbind/account"
)

func TestUserDataConfig(t *testing.T) {
	c, err := loadConfig(env(nil))
	if err != nil || c.WatermarkWindow != account.DefaultWatermarkWindow || c.PublicURL != "" || c.AvatarHosts != nil {
		t.Fatalf("defaults: window %v, public URL %q, avatar hosts %q, %v", c.WatermarkWindow, c.PublicURL, c.AvatarHosts, err)
	}
	// Sandbox without PUBLIC_URL: avatar URLs start with this machine's listen address, never
	// with a request's Host header.
	if got := c.publicURL(); got != "http://localhost:8080" {
		t.Fatalf("sandbox public URL %q", got)
	}
	c, err = loadConfig(env(map[string]string{"WECHAT_WATERMARK_WINDOW": "3m", "PUBLIC_URL": " https://api.example.com/ "}))
	if err != nil || c.WatermarkWindow != 3*time.Minute || c.PublicURL != "https://api.example.com" || c.publicURL() != c.PublicURL {
		t.Fatalf("set: window %v, public URL %q, %v", c.WatermarkWindow, c.PublicURL, err)
	}
	c, err = loadConfig(env(map[string]string{"AVATAR_HOSTS": " Img.Example.com, thirdwx.qlogo.cn "}))
	if err != nil || strings.Join(c.AvatarHosts, ",") != "img.example.com,thirdwx.qlogo.cn" {
		t.Fatalf("AVATAR_HOSTS: %q %v", c.AvatarHosts, err)
	}
	if c, err = loadConfig(env(map[string]string{"AVATAR_HOSTS": "none"})); err != nil || c.AvatarHosts == nil || len(c.AvatarHosts) != 0 {
		t.Fatalf("AVATAR_HOSTS=none: %q %v", c.AvatarHosts, err)
	}
	for name, kv := range map[string]map[string]string{
		"window not a duration":   {"WECHAT_WATERMARK_WINDOW": "ten minutes"},
		"window too short":        {"WECHAT_WATERMARK_WINDOW": "1s"},
		"window too long":         {"WECHAT_WATERMARK_WINDOW": "48h"},
		"public URL no scheme":    {"PUBLIC_URL": "api.example.com"},
		"public URL ftp":          {"PUBLIC_URL": "ftp://api.example.com"},
		"public URL query":        {"PUBLIC_URL": "https://api.example.com/?x=1"},
		"avatar host with scheme": {"AVATAR_HOSTS": "https://wx.qlogo.cn"},
		"avatar host with port":   {"AVATAR_HOSTS": "wx.qlogo.cn:443"},
		"avatar host with path":   {"AVATAR_HOSTS": "wx.qlogo.cn/x"},
		"avatar host wildcard":    {"AVATAR_HOSTS": "*.qlogo.cn"},
	} {
		_, err := loadConfig(env(kv))
		var key string
		for k := range kv {
			key = k
		}
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s: want an error naming %s, got %v", name, key, err)
		}
	}
}

// TestServeRefusesWithoutPublicURL: with real WeChat and no PUBLIC_URL the server does not start
// (before opening anything) and says what to set.
func TestServeRefusesWithoutPublicURL(t *testing.T) {
	dir := t.TempDir()
	err := run(context.Background(), nil, env(map[string]string{"WECHAT_APPID": "wx1", "WECHAT_SECRET": "s", "DATA_DIR": dir, "HTTP_ADDR": "127.0.0.1:0"}), nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "PUBLIC_URL is required with WECHAT_APPID") || !strings.Contains(err.Error(), "https://api.example.com") {
		t.Fatalf("want start refused naming PUBLIC_URL, got %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("a refused start created %d files in DATA_DIR", len(entries))
	}
}
