package account_test

import (
	"os/exec"
	"strings"
	"testing"
)

// mayImportModels names the packages allowed to reach the GORM models: the rules in account (the
// one door to the data), wiring (cmd/...), the models' own packages and the test harness.
func mayImportModels(pkg string) bool {
	return pkg == "wxbind/account" || pkg == "wxbind/web/webtest" ||
		pkg == "wxbind/models" || strings.HasPrefix(pkg, "wxbind/models/") || strings.HasPrefix(pkg, "wxbind/cmd/")
}

// isModels reports whether imp is wxbind/models or one of its subpackages (modelstest and any
// added later): a handler that took its data from a subpackage would go round the door as surely.
func isModels(imp string) bool {
	return imp == "wxbind/models" || strings.HasPrefix(imp, "wxbind/models/")
}

// TestOnlyAccountImportsModels holds the layering: handlers, templates and the web layer never
// reach the GORM models themselves, nor any package under models.
func TestOnlyAccountImportsModels(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "wxbind/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	checked := 0
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		checked++
		for _, imp := range fields[1:] {
			if isModels(imp) && !mayImportModels(fields[0]) {
				t.Errorf("%s imports %s; ask account for what it needs", fields[0], imp)
			}
		}
	}
	if checked < 10 {
		t.Fatalf("go list named only %d packages:\n%s", checked, out)
	}
}

// TestLayeringRuleRefusesSubpackages pins the rule itself, since the tree as it stands never
// trips it: a subpackage of models is refused to handlers and templates like models itself.
func TestLayeringRuleRefusesSubpackages(t *testing.T) {
	for _, c := range []struct {
		pkg, imp string
		refused  bool
	}{
		{"wxbind/handlers/console", "wxbind/models", true},
		{"wxbind/handlers/console", "wxbind/models/modelstest", true},
		{"wxbind/handlers/mobile", "wxbind/models/modelstest", true},
		{"wxbind/handlers/devtools", "wxbind/models/anything/deeper", true},
		{"wxbind/templates", "wxbind/models/modelstest", true},
		{"wxbind/web", "wxbind/models", true},
		{"wxbind/handlers/mobile", "wxbind/modelsextra", false}, // a sibling that only shares the prefix
		{"wxbind/account", "wxbind/models", false},
		{"wxbind/account", "wxbind/models/modelstest", false},
		{"wxbind/web/webtest", "wxbind/models/modelstest", false},
		{"wxbind/cmd/server", "wxbind/models", false},
		{"wxbind/models/modelstest", "wxbind/models", false},
	} {
		if got := isModels(c.imp) && !mayImportModels(c.pkg); got != c.refused {
			t.Errorf("%s importing %s: refused = %v, want %v", c.pkg, c.imp, got, c.refused)
		}
	}
}
