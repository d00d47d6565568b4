// Package migrations holds the versioned schema, one folder per database, numbered alike.
package migrations

import "embed"

// FS holds mysql/*.sql and sqlite/*.sql; the folder name is the database driver.
//
//go:embed mysql/*.sql sqlite/*.sql
var FS embed.FS
