package account_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestOnlyAccountImportsModels holds the layering: the rules in account are the one door to the
// data, so handlers, templates and the web layer never reach the GORM models themselves. Wiring
// (cmd/...), the models' own packages and the test harness may.
func TestOnlyAccountImportsModels(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "wxbind/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	allowed := func(pkg string) bool {
		return pkg == "wxbind/account" || pkg == "wxbind/web/webtest" ||
			strings.HasPrefix(pkg, "wxbind/models") || strings.HasPrefix(pkg, "wxbind/cmd/")
	}
	checked := 0
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		checked++
		if slices.Contains(fields[1:], "wxbind/models") && !allowed(fields[0]) {
			t.Errorf("%s imports wxbind/models; ask account for what it needs", fields[0])
		}
	}
	if checked < 10 {
		t.Fatalf("go list named only %d packages:\n%s", checked, out)
	}
}
