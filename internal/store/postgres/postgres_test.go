package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/store/postgres"
	"github.com/sagitta-dev/sagitta/internal/store/storetest"
)

const defaultDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

var reach struct {
	once sync.Once
	dsn  string
	err  error
}

// testDSN returns the server to test against, skipping the test when it is
// unreachable (failing instead when SAGITTA_REQUIRE_POSTGRES=1).
func testDSN(t testing.TB) string {
	t.Helper()
	reach.once.Do(func() {
		reach.dsn = os.Getenv("SAGITTA_TEST_POSTGRES")
		if reach.dsn == "" {
			reach.dsn = defaultDSN
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, reach.dsn)
		if err == nil {
			err = conn.Ping(ctx)
			conn.Close(ctx)
		}
		reach.err = err
	})
	if reach.err != nil {
		where := redact(reach.dsn)
		if os.Getenv("SAGITTA_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("PostgreSQL not reachable at %s (%v): SAGITTA_REQUIRE_POSTGRES=1 forbids skipping the PostgreSQL conformance suite; start the server or fix SAGITTA_TEST_POSTGRES",
				where, reach.err)
		}
		t.Skipf("PostgreSQL not reachable at %s (%v): set SAGITTA_TEST_POSTGRES or start a server; skipping the PostgreSQL conformance suite",
			where, reach.err)
	}
	return reach.dsn
}

// redact hides the password of a URL-style DSN.
func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" {
		return u.Redacted()
	}
	return "the configured DSN"
}

// newSchema returns a fresh schema name, dropped when the test ends.
func newSchema(t testing.TB) string {
	t.Helper()
	dsn := testDSN(t)
	b := make([]byte, 8)
	rand.Read(b)
	schema := "sagitta_test_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		// t.Context is already cancelled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

// openStore opens a store in schema and closes it when the test ends.
func openStore(t testing.TB, schema string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), testDSN(t), postgres.Options{Schema: schema})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	testDSN(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		schema := newSchema(t)
		s, err := postgres.Open(t.Context(), testDSN(t), postgres.Options{Schema: schema})
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		return s // Run closes it, before the schema is dropped
	})
}

// TestOpenMigrates checks that concurrent and repeated Opens apply the schema once.
func TestOpenMigrates(t *testing.T) {
	schema := newSchema(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			s, err := postgres.Open(t.Context(), testDSN(t), postgres.Options{Schema: schema})
			if err == nil {
				s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent open: %v", err)
	}
	s := openStore(t, schema)
	if _, err := s.Stats(t.Context()); err != nil {
		t.Fatalf("stats: %v", err)
	}

	conn, err := pgx.Connect(t.Context(), testDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var versions int
	err = conn.QueryRow(t.Context(), "SELECT count(*) FROM "+pgx.Identifier{schema, "schema_version"}.Sanitize()).Scan(&versions)
	if err != nil || versions != 5 {
		t.Fatalf("schema_version rows = %d, %v; want 5", versions, err)
	}
	// A database migrated by a newer binary is refused.
	if _, err := conn.Exec(t.Context(), "INSERT INTO "+pgx.Identifier{schema, "schema_version"}.Sanitize()+" (version) VALUES (999)"); err != nil {
		t.Fatal(err)
	}
	if s, err := postgres.Open(t.Context(), testDSN(t), postgres.Options{Schema: schema}); err == nil {
		s.Close()
		t.Fatal("open of a newer schema succeeded, want an error")
	}
}

// TestUpdateSerializes runs read-modify-write Updates from two stores (two
// pools, as two processes would) on one schema and expects no lost update.
func TestUpdateSerializes(t *testing.T) {
	schema := newSchema(t)
	a, b := openStore(t, schema), openStore(t, schema)
	ctx := t.Context()
	var id int64
	err := a.Update(ctx, func(tx store.Tx) error {
		var err error
		id, err = tx.NewCustomer(ctx, time.Unix(0, 0))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, 2*n)
	for i := range errs {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Go(func() {
			errs[i] = s.Update(ctx, func(tx store.Tx) error {
				attrs, err := tx.Attributes(ctx, id)
				if err != nil {
					return err
				}
				count := 0
				if len(attrs) == 1 {
					fmt.Sscan(attrs[0].Value, &count)
				}
				time.Sleep(time.Millisecond)
				return tx.PutAttribute(ctx, store.Attribute{CustomerID: id, Name: "count", Value: fmt.Sprint(count + 1), ObservedAt: time.Unix(0, 0)})
			})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	attrs, err := a.Attributes(ctx, id)
	if err != nil || len(attrs) != 1 || attrs[0].Value != fmt.Sprint(2*n) {
		t.Fatalf("attributes = %+v, %v; want count %d", attrs, err, 2*n)
	}
}

// TestBatches writes more rows than one statement carries, with duplicates.
func TestBatches(t *testing.T) {
	s := openStore(t, newSchema(t))
	ctx := t.Context()
	at := time.Date(2024, 1, 2, 3, 4, 5, 678901000, time.UTC)
	const n = 12345
	err := s.Update(ctx, func(tx store.Tx) error {
		o := store.Order{Source: "shop", ExtID: "1", PlacedAt: at, Kind: store.OrderSale}
		if _, err := tx.PutOrder(ctx, &o); err != nil {
			return err
		}
		lines := make([]store.OrderLine, n)
		events := make([]store.Event, n)
		for i := range lines {
			lines[i] = store.OrderLine{OrderID: o.ID, LineNo: i % (n - 100), ItemID: "item", Quantity: 1, Amount: 2.5}
			events[i] = store.Event{ID: int64(i % (n - 100)), Type: store.EventView, At: at.Add(time.Duration(i) * time.Second)}
		}
		for round, want := range []int{n - 100, 0} {
			if got, err := tx.PutOrderLines(ctx, lines); err != nil || got != want {
				return fmt.Errorf("round %d: PutOrderLines = %d, %v; want %d", round, got, err, want)
			}
			if got, err := tx.PutEvents(ctx, events); err != nil || got != want {
				return fmt.Errorf("round %d: PutEvents = %d, %v; want %d", round, got, err, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(ctx, func(tx store.Tx) error {
		_, err := tx.PutOrderLines(ctx, []store.OrderLine{{OrderID: 1 << 40, LineNo: 1}})
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("lines of an unknown order: %v, want ErrNotFound", err)
	}
}

// TestSchemaIsolation checks that stores in two schemas do not see each other.
func TestSchemaIsolation(t *testing.T) {
	a, b := openStore(t, newSchema(t)), openStore(t, newSchema(t))
	ctx := t.Context()
	if err := a.CreateAPIKey(ctx, store.APIKey{ID: "k", Hash: "h", Role: store.RoleAdmin, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.APIKey(ctx, "h"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("key from another schema: %v, want ErrNotFound", err)
	}
	k, err := a.APIKey(ctx, "h")
	if err != nil || k.CreatedAt.Location() != time.UTC {
		t.Fatalf("APIKey = %+v, %v; want the key in UTC", k, err)
	}
}
