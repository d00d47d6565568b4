// Package static holds the console's vendored front-end files and serves them under URLs that
// carry a hash of their content, so browsers may cache them for a year.
//
// Vendored from npm: htmx.org 2.0.11 (dist/htmx.min.js), @picocss/pico 2.1.1
// (css/pico.min.css) and sortablejs 1.15.7 (Sortable.min.js, MIT, for dragging menus).
// console.css and console.js are ours.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"path"
)

//go:embed htmx.min.js pico.min.css Sortable.min.js console.css console.js favicon.svg
var files embed.FS

// Prefix is where the files are served; URL adds the content hash after it.
const Prefix = "/static/"

// hashes maps each file name to the first 12 hex digits of its SHA-256, computed once.
var hashes = func() map[string]string {
	m := map[string]string{}
	entries, _ := fs.ReadDir(files, ".")
	for _, e := range entries {
		b, _ := files.ReadFile(e.Name())
		sum := sha256.Sum256(b)
		m[e.Name()] = hex.EncodeToString(sum[:6])
	}
	return m
}()

// URL is the cache-busting address of a file, such as /static/3f2a…/htmx.min.js.
func URL(name string) string {
	return Prefix + hashes[name] + "/" + name
}

// Hash is the current content hash of a file.
func Hash(name string) string { return hashes[name] }

// Lookup returns a file's content when hash is its current hash.
func Lookup(hash, name string) ([]byte, bool) {
	name = path.Clean(name)
	h, ok := hashes[name]
	if !ok || h != hash {
		return nil, false
	}
	b, err := files.ReadFile(name)
	return b, err == nil
}
