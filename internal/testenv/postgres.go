package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

var (
	pgOnce sync.Once
	pgURL  string
	pgErr  string
)

// Postgres returns the URL of a fresh, empty database of its own on the PostgreSQL server that
// $DORA_TEST_POSTGRES_URL names (scripts/postgres start prints it; make test sets it): a
// CREATE DATABASE test_<random>, dropped when the test ends. Without the variable, or when the
// server does not answer, the test goes through Unavailable.
func Postgres(t testing.TB) string {
	t.Helper()
	pgOnce.Do(func() {
		u := os.Getenv("DORA_TEST_POSTGRES_URL")
		if u == "" {
			pgErr = "DORA_TEST_POSTGRES_URL is not set (eval \"$(scripts/postgres start | grep ^export)\", or make test)"
			return
		}
		conn, err := pgConnect(u)
		if err != nil {
			pgErr = "DORA_TEST_POSTGRES_URL does not answer: " + err.Error()
			return
		}
		conn.Close(context.Background())
		pgURL = u
	})
	if pgURL == "" {
		Unavailable(t, pgErr)
	}

	var b [8]byte
	rand.Read(b[:])
	name := "test_" + hex.EncodeToString(b[:])
	conn, err := pgConnect(pgURL)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("postgres: CREATE DATABASE %s: %v", name, err)
	}
	t.Cleanup(func() {
		conn, err := pgConnect(pgURL)
		if err != nil {
			t.Errorf("postgres: dropping %s: %v", name, err)
			return
		}
		defer conn.Close(context.Background())
		// FORCE ends the sessions a test left open (a pool not yet closed) rather than fail.
		if _, err := conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("postgres: DROP DATABASE %s: %v", name, err)
		}
	})

	parsed, err := url.Parse(pgURL)
	if err != nil {
		t.Fatalf("postgres: DORA_TEST_POSTGRES_URL: %v", err)
	}
	parsed.Path = "/" + name
	parsed.RawPath = ""
	return parsed.String()
}

func pgConnect(u string) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return pgx.Connect(ctx, u)
}
