package models

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"github.com/pressly/goose/v3"
)

// usernameKeysVersion is the Go migration between 00005 (the username_key column) and 00007
// (its unique index): it fills the key, which SQL cannot compute alike on every database.
const usernameKeysVersion = 6

func usernameKeysMigration() *goose.Migration {
	return goose.NewGoMigration(usernameKeysVersion, &goose.GoFunc{RunTx: fillUsernameKeys}, nil)
}

// UsernameClashError refuses the username_key migration: some accounts' usernames are the same
// after NFKC and case folding, so they cannot all keep their accounts. Someone must rename all
// but one of each group.
type UsernameClashError struct {
	Groups [][]ClashingAccount // each sorted by id; groups by their first id
}

// ClashingAccount is one account of a clash.
type ClashingAccount struct {
	ID       uint64
	Username string
}

// maxReportedClashes keeps the report readable; the count says how many more there are.
const maxReportedClashes = 50

func (e *UsernameClashError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d groups of accounts have usernames that are the same after Unicode NFKC and case folding, which from now on makes them one username:", len(e.Groups))
	for i, g := range e.Groups {
		if i == maxReportedClashes {
			fmt.Fprintf(&b, "\n  … and %d more groups", len(e.Groups)-i)
			break
		}
		parts := make([]string, len(g))
		for j, a := range g {
			parts[j] = fmt.Sprintf("id %d %q", a.ID, a.Username)
		}
		fmt.Fprintf(&b, "\n  %s", strings.Join(parts, ", "))
	}
	b.WriteString("\nRename all but one account of each group (UPDATE accounts SET username = 'new-name' WHERE id = N), then start the server again to finish the migration.")
	return b.String()
}

// keyRowsPerStatement bounds the placeholders of one UPDATE (three per row).
const keyRowsPerStatement = 500

// fillUsernameKeys sets every account's username_key, or changes nothing and reports the
// clashing accounts when two keys would be equal.
func fillUsernameKeys(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, "SELECT id, username FROM accounts ORDER BY id")
	if err != nil {
		return err
	}
	defer rows.Close()
	type keyed struct {
		ClashingAccount
		key string
	}
	var all []keyed
	byKey := map[string][]ClashingAccount{}
	for rows.Next() {
		var a keyed
		if err := rows.Scan(&a.ID, &a.Username); err != nil {
			return err
		}
		a.key = UsernameKey(a.Username)
		all = append(all, a)
		byKey[a.key] = append(byKey[a.key], a.ClashingAccount)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	var clash UsernameClashError
	for _, g := range byKey {
		if len(g) > 1 {
			clash.Groups = append(clash.Groups, g)
		}
	}
	if len(clash.Groups) > 0 {
		sort.Slice(clash.Groups, func(i, j int) bool { return clash.Groups[i][0].ID < clash.Groups[j][0].ID })
		return &clash
	}
	for start := 0; start < len(all); start += keyRowsPerStatement {
		chunk := all[start:min(start+keyRowsPerStatement, len(all))]
		var q strings.Builder
		args := make([]any, 0, 3*len(chunk))
		q.WriteString("UPDATE accounts SET username_key = CASE id")
		for _, a := range chunk {
			q.WriteString(" WHEN ? THEN ?")
			args = append(args, a.ID, a.key)
		}
		q.WriteString(" END WHERE id IN (?" + strings.Repeat(", ?", len(chunk)-1) + ")")
		for _, a := range chunk {
			args = append(args, a.ID)
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("filling accounts.username_key: %w", err)
		}
	}
	return nil
}
