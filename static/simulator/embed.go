// Package simulator embeds the browser simulator: one page with its own small script and
// styles that plays the sample mini-program against the real mobile API in sandbox mode.
// It is its own package so it ships independently of the console's static files.
package simulator

import "embed"

// Files holds index.html, sim.js and sim.css.
//
//go:embed index.html sim.js sim.css
var Files embed.FS
