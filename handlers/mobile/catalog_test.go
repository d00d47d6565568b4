package mobile

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"wxbind/i18n"
)

// TestEveryMobileMessageIsInTheCatalog: every failure in the table, and every message key a
// handler or the web layer passes for a request it refuses, has a catalog entry — so no toast
// ever shows a message id.
func TestEveryMobileMessageIsInTheCatalog(t *testing.T) {
	cat, err := i18n.New("zh-CN")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{"mobile.server_error": "serverFailure", "mobile.not_bound_hint": "checkBind 301", "input.other": "input fallback"}
	for _, f := range append(failures, serverFailure) {
		key := f.msgKey
		if key == "" {
			key = f.reason
		}
		keys["mobile."+key] = "failure " + f.reason
	}
	// badRequest(c, status, reason, msgKey) and tooLarge(c, err, reason, msgKey): the last argument.
	for _, dir := range []string{".", "../../web"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) == 0 {
					return true
				}
				var name string
				switch fn := call.Fun.(type) {
				case *ast.Ident:
					name = fn.Name
				case *ast.SelectorExpr:
					name = fn.Sel.Name
				}
				last, isLit := call.Args[len(call.Args)-1].(*ast.BasicLit)
				switch {
				case (name == "badRequest" || name == "tooLarge") && isLit:
					v, _ := strconv.Unquote(last.Value)
					keys["mobile."+v] = file
				case (name == "T" || name == "Tf") && len(call.Args) >= 1:
					if lit, ok := call.Args[0].(*ast.BasicLit); ok {
						v, _ := strconv.Unquote(lit.Value)
						keys[v] = file
					}
				}
				return true
			})
		}
	}
	if len(keys) < 30 {
		t.Fatalf("found only %d message keys; the scan is broken", len(keys))
	}
	for key, where := range keys {
		if !cat.Has(key) {
			t.Errorf("%s (%s) has no catalog message", key, where)
		}
	}
}

// TestReadmeListsEveryReason keeps the README's failure table in step with the code.
func TestReadmeListsEveryReason(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range append(failures, serverFailure) {
		if !strings.Contains(string(readme), "`"+f.reason+"`") {
			t.Errorf("README.md's failure table lacks reason %q", f.reason)
		}
	}
}
