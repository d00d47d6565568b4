package main

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// privateMariaDB is a mariadbd of the load test's own, on a loopback port and a temporary data
// directory, configured as a production server would be rather than as the machine's shared one:
// a buffer pool that holds the working set (-private-mariadb 1G).
type privateMariaDB struct {
	dir  string
	dsn  string
	proc *process
}

func startPrivateMariaDB(ctx context.Context, bufferPool, tmp string) (*privateMariaDB, error) {
	install, err := exec.LookPath("mariadb-install-db")
	if err != nil {
		return nil, fmt.Errorf("-private-mariadb needs mariadb-install-db: %w", err)
	}
	daemon, err := exec.LookPath("mariadbd")
	if err != nil {
		daemon = "/usr/sbin/mariadbd"
	}
	user := "root"
	if os.Geteuid() != 0 {
		user = strconv.Itoa(os.Geteuid())
	}
	dir := filepath.Join(tmp, "mariadb")
	if out, err := exec.CommandContext(ctx, install, "--no-defaults", "--datadir="+filepath.Join(dir, "data"), "--user="+user,
		"--auth-root-authentication-method=normal", "--skip-test-db").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("mariadb-install-db: %w\n%s", err, out)
	}
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(addr)
	proc, err := startProcess(ctx, daemon, []string{"--no-defaults", "--datadir=" + filepath.Join(dir, "data"), "--user=" + user,
		"--port=" + port, "--bind-address=127.0.0.1", "--socket=" + filepath.Join(dir, "sock"), "--skip-log-bin",
		"--innodb-buffer-pool-size=" + bufferPool, "--max-connections=300",
		"--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci"}, nil, filepath.Join(dir, "mariadbd.log"))
	if err != nil {
		return nil, err
	}
	m := &privateMariaDB{dir: dir, dsn: "root@tcp(" + addr + ")/", proc: proc}
	deadline := time.Now().Add(time.Minute)
	for {
		db, _ := sql.Open("mysql", m.dsn)
		err := db.PingContext(ctx)
		db.Close()
		if err == nil {
			logf("private mariadbd on %s, innodb_buffer_pool_size %s", addr, bufferPool)
			return m, nil
		}
		if proc.exited() || time.Now().After(deadline) || ctx.Err() != nil {
			proc.stop()
			return nil, fmt.Errorf("private mariadbd did not start: %v\n%s", err, tail(filepath.Join(dir, "mariadbd.log")))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (m *privateMariaDB) stop() { m.proc.stop() }
