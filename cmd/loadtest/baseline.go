package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"

	"wxbind/models"
)

// The baseline is what the server's endpoints are measured against: a bare Gin engine, no
// middleware, on the same database with the same pool, whose handlers do one indexed GORM read
// or one GORM insert. It runs as its own process, like the server, so both pay the same costs.

// baselineRow is what the insert handler writes: like a login token, a row with a unique hash.
type baselineRow struct {
	ID        uint64 `gorm:"primaryKey"`
	TokenHash string
	CreatedAt time.Time
}

func (baselineRow) TableName() string { return "loadtest_baseline_rows" }

const baselineTable = `CREATE TABLE IF NOT EXISTS loadtest_baseline_rows (
    id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    token_hash CHAR(64)        NOT NULL,
    created_at DATETIME(3)     NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uk_loadtest_baseline_rows_hash (token_hash)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`

// runBaseline serves GET /read?id=N (one account by primary key) and POST /insert until
// SIGTERM.
func runBaseline(args []string) error {
	fs := flag.NewFlagSet("baseline", flag.ContinueOnError)
	dsn := fs.String("dsn", "", "MySQL DSN of the database, as the server gets it")
	addr := fs.String("addr", "127.0.0.1:0", "loopback address to listen on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dsn == "" {
		return errors.New("baseline: -dsn is required")
	}
	db, err := models.Open(models.DriverMySQL, *dsn, models.Options{})
	if err != nil {
		return err
	}
	if err := db.Exec(baselineTable).Error; err != nil {
		return fmt.Errorf("baseline: creating its table: %w", err)
	}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.GET("/read", func(c *gin.Context) {
		id, err := strconv.ParseUint(c.Query("id"), 10, 64)
		if err != nil {
			c.JSON(http.StatusBadRequest, gin.H{"code": 0, "msg": "id"})
			return
		}
		var a models.Account
		if err := db.WithContext(c.Request.Context()).Take(&a, id).Error; err != nil {
			c.JSON(http.StatusInternalServerError, gin.H{"code": 0, "msg": err.Error()})
			return
		}
		c.JSON(http.StatusOK, gin.H{"code": 1, "username": a.Username, "name": a.Name})
	})
	e.POST("/insert", func(c *gin.Context) {
		b := make([]byte, 32)
		rand.Read(b)
		row := baselineRow{TokenHash: hex.EncodeToString(b), CreatedAt: time.Now().UTC()}
		if err := db.WithContext(c.Request.Context()).Create(&row).Error; err != nil {
			c.JSON(http.StatusInternalServerError, gin.H{"code": 0, "msg": err.Error()})
			return
		}
		c.JSON(http.StatusOK, gin.H{"code": 1, "id": row.ID})
	})
	srv := &http.Server{Addr: *addr, Handler: e, ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
