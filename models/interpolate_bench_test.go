package models_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"wxbind/models"
	"wxbind/models/modelstest"
)

// BenchmarkPointRead compares one primary-key read of an account with the arguments sent the
// way Open sends them (interpolated into the statement: one packet) and the driver's default
// (a server-side prepare, execute and close per statement). Run on MariaDB:
//
//	go test ./models -run '^$' -bench PointRead -cpu 32
func BenchmarkPointRead(b *testing.B) {
	db := modelstest.Open(b, models.DriverMySQL)
	store := models.NewStore(db.Gorm)
	const accounts = 10_000
	now := time.Now().UTC()
	var batch []models.BulkAccount
	for i := 1; i <= accounts; i++ {
		batch = append(batch, models.BulkAccount{Username: fmt.Sprintf("demo%07d", i), Name: "Demo", OpenID: fmt.Sprintf("demo-openid-%d", i), Nickname: "🐼"})
	}
	if err := store.InsertAccountsInBulk(context.Background(), "wxbench", "hash", batch, now); err != nil {
		b.Fatal(err)
	}
	var minID uint64
	db.Gorm.Table("accounts").Select("MIN(id)").Scan(&minID)

	prepared := strings.Replace(db.DSN, "?", "?interpolateParams=false&", 1)
	if !strings.Contains(db.DSN, "?") {
		prepared = db.DSN + "?interpolateParams=false"
	}
	for _, c := range []struct{ name, dsn string }{{"interpolated", db.DSN}, {"prepared", prepared}} {
		b.Run(c.name, func(b *testing.B) {
			g, err := models.Open(models.DriverMySQL, c.dsn, models.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer func() { s, _ := g.DB(); s.Close() }()
			s := models.NewStore(g)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.AccountByID(context.Background(), minID+uint64(rand.IntN(accounts))); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
