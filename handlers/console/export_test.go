package console_test

import (
	"bufio"
	"encoding/csv"
	"io"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"wxbind/models/modelstest"
	"wxbind/web/webtest"
)

// seedAccounts inserts n accounts bulk0000001… (every 2nd bound, every 5th staff, phone
// 1380000xxxx, name "=cmd|<n>") in a few set-based statements.
func seedAccounts(t *testing.T, app *webtest.App, n int) {
	t.Helper()
	exec := func(q string, args ...any) {
		t.Helper()
		if err := app.DB.Gorm.Exec(q, args...).Error; err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	now := time.Now().UTC()
	appid := app.Accounts.AppID()
	if app.DB.Gorm.Dialector.Name() == "sqlite" {
		exec(`WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < ?)
			INSERT INTO accounts (username, username_key, name, password_hash, role, status, phone, created_at, updated_at)
			SELECT 'bulk' || printf('%07d', n), 'bulk' || printf('%07d', n), '=cmd|' || n, 'x', CASE WHEN n % 5 = 0 THEN 'staff' ELSE 'user' END, 'active',
			       '1380000' || printf('%04d', n % 10000), ?, ? FROM s`, n, now, now)
		exec(`INSERT INTO wechat_identities (appid, openid, nickname, account_id, bound_at, last_login_at, last_seen_at, created_at, updated_at)
			SELECT ?, 'o' || username, 'nick ' || id, id, ?, ?, ?, ?, ? FROM accounts WHERE username LIKE 'bulk%' AND id % 2 = 0`, appid, now, now, now, now, now)
		return
	}
	// A plain table in the throwaway database and no ORDER BY: MariaDB keeps temporary tables
	// and sorts in files under /tmp, which this shared machine's cleanups have deleted mid-test.
	exec("CREATE TABLE digits (i INT NOT NULL)")
	exec("INSERT INTO digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)")
	exec(`INSERT INTO accounts (username, username_key, name, password_hash, role, status, phone, created_at, updated_at)
		SELECT CONCAT('bulk', LPAD(n, 7, '0')), CONCAT('bulk', LPAD(n, 7, '0')), CONCAT('=cmd|', n), 'x', CASE WHEN n % 5 = 0 THEN 'staff' ELSE 'user' END, 'active',
		       CONCAT('1380000', LPAD(n % 10000, 4, '0')), ?, ?
		FROM (SELECT 1 + a.i + 10*b.i + 100*c.i + 1000*d.i + 10000*e.i + 100000*f.i AS n
		      FROM digits a, digits b, digits c, digits d, digits e, digits f) s WHERE n <= ?`, now, now, n)
	exec(`INSERT INTO wechat_identities (appid, openid, nickname, account_id, bound_at, last_login_at, last_seen_at, created_at, updated_at)
		SELECT ?, CONCAT('o', username), CONCAT('nick ', id), id, ?, ?, ?, ?, ? FROM accounts WHERE username LIKE 'bulk%' AND id % 2 = 0`,
		appid, now, now, now, now, now)
}

// TestExportStreamsWithBoundedMemory: 100,000 accounts export as one CSV that Excel reads as
// UTF-8 (a BOM, then a translated header), every row, phones masked for staff as on screen, a
// name that looks like a formula defused, the server's heap never near the file's size; the
// export is audited with its filter and row count, and a filter exports only its rows.
func TestExportStreamsWithBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 100,000 accounts")
	}
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		const n = 100_000
		app := webtest.Start(t, webtest.Options{Driver: driver})
		app.CreateAccount(t, "helper", "staff-password", "staff")
		t0 := time.Now()
		seedAccounts(t, app, n)
		t.Logf("seeded in %s", time.Since(t0))
		t0 = time.Now()
		defer func() { t.Logf("exported in %s", time.Since(t0)) }()
		b := newBrowser(t, app)
		b.login("helper", "staff-password")

		defer debug.SetGCPercent(debug.SetGCPercent(20)) // a tight heap, so that held rows would show
		runtime.GC()
		var base runtime.MemStats
		runtime.ReadMemStats(&base)
		var peak atomic.Uint64
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			var m runtime.MemStats
			for {
				select {
				case <-stop:
					return
				case <-time.After(10 * time.Millisecond):
				}
				runtime.ReadMemStats(&m)
				if m.HeapAlloc > peak.Load() {
					peak.Store(m.HeapAlloc)
				}
			}
		}()
		req, _ := http.NewRequest(http.MethodGet, app.URL+"/admin/users/export.csv?sort=username", nil)
		// Its own client: under the race detector on a busy machine the download may take longer
		// than the browser's 30 s; this test is about memory, not speed.
		slow := &http.Client{Jar: b.client.Jar, Timeout: 10 * time.Minute}
		resp, err := slow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
			!strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("export: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
		}
		br := bufio.NewReader(resp.Body)
		bom := make([]byte, 3)
		if _, err := io.ReadFull(br, bom); err != nil || string(bom) != "\xEF\xBB\xBF" {
			t.Fatalf("no UTF-8 BOM: %q", bom)
		}
		r := csv.NewReader(br)
		header, err := r.Read()
		if err != nil || header[1] != "用户名" || header[5] != "手机号" {
			t.Fatalf("header %q %v", header, err)
		}
		var size int64
		rows := 0
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			rows++
			for _, f := range rec {
				size += int64(len(f)) + 1
			}
			if rows == 1 { // bulk0000001 comes first by username
				if !strings.HasPrefix(rec[2], "'=") || !strings.Contains(rec[5], "****") {
					t.Fatalf("first row: name %q must be defused, phone %q masked for staff", rec[2], rec[5])
				}
			}
		}
		close(stop)
		<-done
		if rows != n+1 { // and helper
			t.Fatalf("%d rows, want %d", rows, n+1)
		}
		grew := int64(peak.Load()) - int64(base.HeapAlloc)
		t.Logf("%s: %d rows, %.1f MB of CSV, heap grew at most %.1f MB", driver, rows, float64(size)/1e6, float64(grew)/1e6)
		if grew > size/2 {
			t.Fatalf("heap grew %.1f MB exporting %.1f MB: rows are being held", float64(grew)/1e6, float64(size)/1e6)
		}

		var detail string
		app.DB.Gorm.Raw("SELECT detail FROM audit_entries WHERE action = 'users_export' ORDER BY id DESC").Limit(1).Scan(&detail)
		if detail != `{"Filter":"sort=username","Rows":100001}` {
			t.Fatalf("audit detail %q", detail)
		}
		staff := b.get("/admin/users/export.csv?role=staff&q=bulk00000")
		if lines := strings.Count(staff.Body, "\n"); lines != 1+19 { // header + bulk0000005…0000095
			t.Fatalf("staff export has %d lines:\n%s", lines, staff.Body)
		}
	})
}
