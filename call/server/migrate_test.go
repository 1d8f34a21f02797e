package server

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestMigrateConcurrently: servers started together on one new database
// migrate it once between them, and a later open changes nothing.
func TestMigrateConcurrently(t *testing.T) {
	source := NewTestDB(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := openStore(source)
			if err == nil {
				s.close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	s, err := openStore(source)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var versions, newest int
	if err := s.queryRow(ctx, `SELECT count(*), MAX(version) FROM schema_migrations`).Scan(&versions, &newest); err != nil {
		t.Fatal(err)
	}
	if want := len(s.dialect.migrations()); versions != want || newest != want {
		t.Fatalf("%d versions recorded, newest %d; want each of %d once", versions, newest, want)
	}
}

// TestRefusesNewerSchema: a database a newer server migrated is not
// written by an older one.
func TestRefusesNewerSchema(t *testing.T) {
	source := NewTestDB(t)
	s, err := openStore(source)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.exec(ctx, `INSERT INTO schema_migrations(version, applied_at) VALUES(?, 0)`, 1000); err != nil {
		t.Fatal(err)
	}
	s.close()
	_, err = openStore(source)
	if err == nil || !strings.Contains(err.Error(), "run a newer duet") {
		t.Fatalf("opened a database of schema version 1000: %v", err)
	}
}
