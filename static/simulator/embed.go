// Package simulator embeds the browser simulator: one page with its own small script and
// styles that plays the sample mini-program against the real mobile API in sandbox mode.
// It is its own package so it ships independently of the console's static files.
package simulator

import "embed"

// Files holds the simulator (index.html, sim.js, sim.css) and the sandbox home page (home.html).
//
//go:embed index.html home.html sim.js sim.css
var Files embed.FS
