package account_test

import (
	"context"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"wxbind/account"
	"wxbind/models"
	"wxbind/models/modelstest"
	"wxbind/wechat"
)

// TestEnsureAdminFromInstancesStartingTogether: several instances starting at once on a fresh
// database all ensure the first admin; exactly one creates it, and none fails to start.
func TestEnsureAdminFromInstancesStartingTogether(t *testing.T) {
	modelstest.ForEachDriver(t, func(t *testing.T, driver string) {
		db := modelstest.Open(t, driver)
		const instances = 4
		var wg sync.WaitGroup
		created := make(chan bool, instances)
		errs := make(chan error, instances)
		for range instances {
			s, err := account.New(account.Config{Store: models.NewStore(db.Gorm), WeChat: wechat.Sandbox{},
				SecretKey: "a-test-secret-key-of-enough-length-0123456789", PasswordCost: bcrypt.MinCost})
			if err != nil {
				t.Fatal(err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, _, err := s.EnsureAdmin(context.Background(), "admin", "")
				created <- ok
				errs <- err
			}()
		}
		wg.Wait()
		close(created)
		close(errs)
		n := 0
		for ok := range created {
			if ok {
				n++
			}
		}
		for err := range errs {
			if err != nil {
				t.Errorf("an instance failed to start: %v", err)
			}
		}
		if n != 1 {
			t.Fatalf("%d instances created the first admin, want 1", n)
		}
	})
}
