package main

import (
	"strings"
	"testing"
	"time"

	"wxbind/account"
)

func TestUserDataConfig(t *testing.T) {
	c, err := loadConfig(env(nil))
	if err != nil || c.WatermarkWindow != account.DefaultWatermarkWindow || c.PublicURL != "" {
		t.Fatalf("defaults: window %v, public URL %q, %v", c.WatermarkWindow, c.PublicURL, err)
	}
	c, err = loadConfig(env(map[string]string{"WECHAT_WATERMARK_WINDOW": "3m", "PUBLIC_URL": " https://api.example.com/ "}))
	if err != nil || c.WatermarkWindow != 3*time.Minute || c.PublicURL != "https://api.example.com" {
		t.Fatalf("set: window %v, public URL %q, %v", c.WatermarkWindow, c.PublicURL, err)
	}
	for name, kv := range map[string]map[string]string{
		"window not a duration": {"WECHAT_WATERMARK_WINDOW": "ten minutes"},
		"window too short":      {"WECHAT_WATERMARK_WINDOW": "1s"},
		"window too long":       {"WECHAT_WATERMARK_WINDOW": "48h"},
		"public URL no scheme":  {"PUBLIC_URL": "api.example.com"},
		"public URL ftp":        {"PUBLIC_URL": "ftp://api.example.com"},
		"public URL query":      {"PUBLIC_URL": "https://api.example.com/?x=1"},
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
