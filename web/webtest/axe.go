package webtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// AxeSource is axe-core's script from dir (a folder with the package.json and package-lock.json
// that pin it), installed there with `npm ci` when node_modules is missing or older than the
// lock file. Without npm it skips the test, or fails it when CI is set.
func AxeSource(t testing.TB, dir string) string {
	t.Helper()
	lock, err := os.Stat(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	if installed, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json")); err != nil || installed.ModTime().Before(lock.ModTime()) {
		npm, err := exec.LookPath("npm")
		if err != nil {
			if os.Getenv("CI") != "" {
				t.Fatal("CI is set but npm is not installed; accessibility tests install axe-core with it")
			}
			t.Skip("npm not found; install Node.js and npm to run the accessibility tests (axe-core)")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
		}
	}
	src, err := os.ReadFile(filepath.Join(dir, "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	return string(src)
}

// AxeViolation is what axe reports for one rule.
type AxeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// AxeRun runs axe-core (WCAG 2.0–2.2 A and AA rules) on the tab's page as it is now.
func AxeRun(ctx context.Context, axe string) ([]AxeViolation, error) {
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](axe+";true")); err != nil {
		return nil, fmt.Errorf("injecting axe-core: %w", err)
	}
	return chromedp.Run(ctx, chromedp.Evaluate[[]AxeViolation](`axe.run(document, {
		runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa']},
		resultTypes: ['violations'],
	}).then((r) => r.violations.map((v) => ({
		id: v.id, impact: v.impact || '', help: v.help,
		nodes: v.nodes.map((n) => n.target.join(' ') + (n.failureSummary ? ': ' + n.failureSummary.replace(/\s+/g, ' ') : '')),
	})))`, chromedp.EvalAwaitPromise))
}

// AxeClean runs AxeRun on the tab's page as it is now and reports each violation as an error of
// t under where (the page or screen checked); it stops t when axe cannot run.
func AxeClean(t testing.TB, ctx context.Context, axe, where string) {
	t.Helper()
	violations, err := AxeRun(ctx, axe)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range violations {
		t.Errorf("%s: axe %s (%s): %s\n  %s", where, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n  "))
	}
}
