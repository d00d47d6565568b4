// Package migrations holds the versioned schema, one folder per database, numbered alike.
//
// Version 00006 has no file: it is a Go migration (models.Migrate registers it) that fills
// accounts.username_key, since the key is Unicode NFKC and case folding done in Go. Never add
// a file numbered 00006.
package migrations

import "embed"

// FS holds mysql/*.sql and sqlite/*.sql; the folder name is the database driver.
//
//go:embed mysql/*.sql sqlite/*.sql
var FS embed.FS
