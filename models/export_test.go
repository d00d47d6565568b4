package models

// MigrateTo lets tests stop the migrations at a version, to load data as an older server did.
var MigrateTo = migrateTo

// NewMigrationProvider is the goose provider Migrate uses, for tests that migrate down.
var NewMigrationProvider = newMigrationProvider
