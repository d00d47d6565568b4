package templates

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"

	templparser "github.com/a-h/templ/parser/v2"
	"github.com/a-h/templ/parser/v2/visitor"

	"wxbind/i18n"
)

// Words a person reads must come from the catalog (console.* keys), never be written into a
// template. The checker below reads every .templ file and reports:
//   - text between tags that has a letter (Latin, CJK, any script) in it;
//   - constant attributes a person reads (title, placeholder, aria-label, alt, label,
//     hx-confirm, hx-prompt, and the value of a button) with a letter in them;
//   - string literals in Go expressions ({ … }, @component(…), attr={ … }) that look like
//     words rather than code: anything but lowercase ASCII without spaces (ids, paths, CSS
//     classes, form values such as "staff") — unless it is a console.* key, which must exist.
// A lowercase one-word label passed as a string literal is the one case it cannot tell from
// code; components take catalog keys (e.g. option(value, labelKey, current)) to avoid it.

// readAttributes are the attributes whose values people read.
var readAttributes = map[string]bool{
	"title": true, "placeholder": true, "aria-label": true, "alt": true, "label": true,
	"hx-confirm": true, "hx-prompt": true, "aria-description": true,
}

// allowedText is text that may stand in a template as it is: brand names and symbols that are
// the same in every language.
var allowedText = map[string]bool{
	"htmx": true,
}

// codeLike is a literal that is code, not words: ids, paths, classes, values.
var codeLike = regexp.MustCompile(`^[a-z0-9_\-/.?=:&#%+ ]*$`)

// pathLike is a constant attribute value that is a URL path, such as a placeholder path.
var pathLike = regexp.MustCompile(`^/[A-Za-z0-9_\-/.]*$`)

func hasLetter(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// finding is one place that bypasses the catalog.
type finding struct {
	where string
	what  string
}

func (f finding) String() string { return f.where + ": " + f.what }

// checkTempl reports the user-visible text in a templ source that bypasses the catalog.
func checkTempl(name, src string, cat *i18n.Catalog) ([]finding, error) {
	tf, err := templparser.ParseString(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var out []finding
	at := func(r templparser.Range) string { return fmt.Sprintf("%s:%d", name, r.From.Line+1) }
	expr := func(e templparser.Expression) {
		for _, f := range checkGoExpr(e.Value, cat) {
			out = append(out, finding{at(e.Range), f})
		}
	}
	v := visitor.New()
	walkElement := v.Element
	v.Element = func(n *templparser.Element) error {
		isButton := n.Name == "button"
		for _, a := range n.Attributes {
			if ca, ok := a.(*templparser.ConstantAttribute); ok && ca.Key.String() == "type" {
				isButton = isButton || n.Name == "input" && (ca.Value == "submit" || ca.Value == "button" || ca.Value == "reset")
			}
		}
		for _, a := range n.Attributes {
			switch a := a.(type) {
			case *templparser.ConstantAttribute:
				key := a.Key.String()
				val := html.UnescapeString(a.Value)
				if (readAttributes[key] || key == "value" && isButton) && hasLetter(val) && !pathLike.MatchString(val) && !allowedText[val] {
					out = append(out, finding{at(n.NameRange), fmt.Sprintf("<%s %s=%q>", n.Name, key, val)})
				}
			case *templparser.ExpressionAttribute:
				expr(a.Expression)
			}
		}
		return walkElement(n)
	}
	v.Text = func(n *templparser.Text) error {
		if s := strings.TrimSpace(html.UnescapeString(n.Value)); hasLetter(s) && !allowedText[s] {
			out = append(out, finding{at(n.Range), fmt.Sprintf("text %q", s)})
		}
		return nil
	}
	v.StringExpression = func(n *templparser.StringExpression) error { expr(n.Expression); return nil }
	walkTemplElement := v.TemplElementExpression
	v.TemplElementExpression = func(n *templparser.TemplElementExpression) error {
		expr(n.Expression)
		return walkTemplElement(n)
	}
	v.CallTemplateExpression = func(n *templparser.CallTemplateExpression) error { expr(n.Expression); return nil }
	if err := tf.Visit(v); err != nil {
		return nil, err
	}
	return out, nil
}

// checkGoExpr reports the string literals in Go code that look like words, and console.* keys
// the catalog lacks. Keys of map literals (template data names such as "Username") are code.
func checkGoExpr(src string, cat *i18n.Catalog) []string {
	e, err := parser.ParseExpr(src)
	if err != nil {
		return nil // a fragment such as a for clause; it carries no text
	}
	return checkGoNode(e, cat)
}

func checkGoNode(n ast.Node, cat *i18n.Catalog) []string {
	mapKeys := map[*ast.BasicLit]bool{}
	ast.Inspect(n, func(n ast.Node) bool {
		if kv, ok := n.(*ast.KeyValueExpr); ok {
			if lit, ok := kv.Key.(*ast.BasicLit); ok {
				mapKeys[lit] = true
			}
		}
		return true
	})
	var out []string
	ast.Inspect(n, func(n ast.Node) bool {
		lit, ok := n.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING || mapKeys[lit] {
			return true
		}
		s, err := strconv.Unquote(lit.Value)
		if err != nil {
			return true
		}
		if msg := checkLiteral(s, cat); msg != "" {
			out = append(out, msg)
		}
		return true
	})
	return out
}

// assetName is a static file such as console.css, which is not a catalog key.
var assetName = regexp.MustCompile(`^[a-z0-9_\-.]+\.(css|js|png|svg|ico)$`)

func checkLiteral(s string, cat *i18n.Catalog) string {
	switch {
	case assetName.MatchString(s):
	case strings.HasPrefix(s, "console.") && strings.HasSuffix(s, "."):
		if !catalogHasPrefix(s) {
			return fmt.Sprintf("no catalog key starts with %q", s)
		}
	case strings.HasPrefix(s, "console."):
		if !cat.Has(s) {
			return fmt.Sprintf("catalog key %q does not exist", s)
		}
	case !hasLetter(s) || codeLike.MatchString(s) && !strings.Contains(s, " ") || allowedText[s]:
	default:
		return fmt.Sprintf("literal %q", s)
	}
	return ""
}

var zhKeys = func() map[string]bool {
	b, err := os.ReadFile(filepath.Join("..", "i18n", "locales", "zh-CN.toml"))
	if err != nil {
		panic(err)
	}
	keys := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, _, ok := strings.Cut(line, "="); ok && strings.HasPrefix(strings.TrimSpace(k), `"`) {
			keys[strings.Trim(strings.TrimSpace(k), `"`)] = true
		}
	}
	return keys
}()

func catalogHasPrefix(prefix string) bool {
	for k := range zhKeys {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// TestTemplatesUseTheCatalog fails when a console template shows words that bypass the
// catalog, or names a console.* key that does not exist.
func TestTemplatesUseTheCatalog(t *testing.T) {
	cat, err := i18n.New("zh-CN")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("*.templ")
	if len(files) < 5 {
		t.Fatalf("found only %v", files)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		found, err := checkTempl(f, string(src), cat)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range found {
			t.Errorf("%s — put it in i18n/locales (console.*) and show it with tr/trf", x)
		}
	}
}

// TestViewHelpersUseTheCatalog applies the literal check to the package's own Go code (view
// helpers such as the chart's labels), which renders text too.
func TestViewHelpersUseTheCatalog(t *testing.T) {
	cat, _ := i18n.New("zh-CN")
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || strings.HasSuffix(f, "_templ.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls { // imports are code, not words
			for _, x := range checkGoNode(d, cat) {
				t.Errorf("%s: %s", f, x)
			}
		}
	}
}

// TestCatalogCheckerCatches proves the checker is not blind: each kind of bypass in this
// sample is reported, and the catalog's own calls are not.
func TestCatalogCheckerCatches(t *testing.T) {
	cat, _ := i18n.New("zh-CN")
	sample := `package templates

templ Sample(p Page) {
	<h1>Hello there</h1>
	<p>你好</p>
	<input title="Search users" placeholder="/pages/index" aria-label={ tr(ctx, "console.common.search") }/>
	<button type="submit" value="Go">{ tr(ctx, "console.common.save") }</button>
	<input type="submit" value="Send"/>
	@stat("Accounts", 1, "stat-accounts")
	@navLink("/admin/", "console.nav.nothing_here", false, "nav")
	{ trf(ctx, "console.layout.logout", map[string]any{"Username": "x", "Role": "y"}) }
	{ "Log out" }
	<span class="muted" data-testid="ok-id">· ↑ 0</span>
}
`
	found, err := checkTempl("sample.templ", sample, cat)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range found {
		got = append(got, f.what)
	}
	want := []string{
		`text "Hello there"`, `text "你好"`, `<input title="Search users">`, `<button value="Go">`,
		`<input value="Send">`, `literal "Accounts"`, `catalog key "console.nav.nothing_here" does not exist`, `literal "Log out"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("checker found:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
