package main

import (
	"strings"
	"testing"
)

// TestConsoleZoneConfig: CONSOLE_TZ defaults to Asia/Shanghai, takes any IANA zone name, and a
// wrong one is refused with a message naming the variable.
func TestConsoleZoneConfig(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	c, err := loadConfig(env(map[string]string{}))
	if err != nil || c.ConsoleZone == nil || c.ConsoleZone.String() != "Asia/Shanghai" {
		t.Fatalf("default zone: %v %v", c.ConsoleZone, err)
	}
	c, err = loadConfig(env(map[string]string{"CONSOLE_TZ": " Europe/Berlin "}))
	if err != nil || c.ConsoleZone.String() != "Europe/Berlin" {
		t.Fatalf("CONSOLE_TZ=Europe/Berlin: %v %v", c.ConsoleZone, err)
	}
	for _, bad := range []string{"Mars/Olympus", "Local", "+08:00"} {
		if _, err := loadConfig(env(map[string]string{"CONSOLE_TZ": bad})); err == nil || !strings.Contains(err.Error(), "CONSOLE_TZ") {
			t.Errorf("CONSOLE_TZ=%q: want an error naming it, got %v", bad, err)
		}
	}
}
