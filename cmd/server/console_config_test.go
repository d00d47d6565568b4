package main

import (
	"strings"
	"testing"
)

// TestConsoleConfig reads the console's cookie and origin settings, and refuses bad ones with
// a message naming the variable.
func TestConsoleConfig(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }

	c, err := loadConfig(env(map[string]string{}))
	if err != nil || c.ConsoleSecureCookies || len(c.ConsoleTrustedOrigins) != 0 {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	c, err = loadConfig(env(map[string]string{"PUBLIC_URL": "https://api.example.com"}))
	if err != nil || !c.ConsoleSecureCookies {
		t.Fatalf("an https PUBLIC_URL must make console cookies Secure: %v %v", c.ConsoleSecureCookies, err)
	}
	c, err = loadConfig(env(map[string]string{"CONSOLE_SECURE_COOKIES": "1", "CONSOLE_TRUSTED_ORIGINS": " https://admin.example.com/ , http://localhost:9000"}))
	if err != nil || !c.ConsoleSecureCookies || strings.Join(c.ConsoleTrustedOrigins, " ") != "https://admin.example.com http://localhost:9000" {
		t.Fatalf("explicit: %+v %v", c, err)
	}
	for k, v := range map[string]string{"CONSOLE_SECURE_COOKIES": "yes", "CONSOLE_TRUSTED_ORIGINS": "admin.example.com"} {
		if _, err := loadConfig(env(map[string]string{k: v})); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%q: want an error naming it, got %v", k, v, err)
		}
	}
}
