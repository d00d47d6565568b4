package models

// MigrateTo lets tests stop the migrations at a version, to load data as an older server did.
var MigrateTo = migrateTo
