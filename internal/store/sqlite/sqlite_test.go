package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/store/storetest"
)

func open(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "data"), Options{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return checkedStore{open(t), t} })
}

// checkedStore checks, as it closes, that every suite test left the
// counters equal to the row counts.
type checkedStore struct {
	*Store
	t *testing.T
}

func (s checkedStore) Close() error {
	checkCounters(s.t, s.Store)
	return s.Store.Close()
}

// checkCounters compares Stats, read from the counters row, with counts of
// the rows.
func checkCounters(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	got, err := s.Stats(ctx)
	if err != nil {
		t.Errorf("stats: %v", err)
		return
	}
	var want store.Stats
	err = s.r.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM customers WHERE merged_into = 0),
		(SELECT COUNT(*) FROM orders WHERE customer_id = 0),
		(SELECT COUNT(*) FROM orders),
		(SELECT COUNT(*) FROM order_lines),
		(SELECT COUNT(*) FROM events),
		(SELECT COUNT(*) FROM items)`).Scan(&want.Customers, &want.AnonymousOrders, &want.Orders, &want.OrderLines, &want.Events, &want.Items)
	if err != nil {
		t.Errorf("count rows: %v", err)
		return
	}
	if got != want {
		t.Errorf("counters %+v, rows %+v", got, want)
	}
}

func TestReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	var id int64
	err = s.Update(ctx, func(tx store.Tx) error {
		id, err = tx.NewCustomer(ctx, at)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(ctx, dir, Options{ReadConns: 2})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	c, err := s.Customer(ctx, id)
	if err != nil || !c.CreatedAt.Equal(at) {
		t.Errorf("customer after reopen: %+v, %v", c, err)
	}
	var version int
	if err := s.r.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil || version != len(migrations) {
		t.Errorf("user_version = %d, %v; want %d", version, err, len(migrations))
	}
	var mode string
	if err := s.wc.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	var page int
	if err := s.r.QueryRowContext(ctx, "PRAGMA page_size").Scan(&page); err != nil || page != pageSize {
		t.Errorf("page_size = %d, %v; want %d", page, err, pageSize)
	}
	// The read pool must refuse writes.
	if _, err := s.r.ExecContext(ctx, "DELETE FROM customers"); err == nil {
		t.Error("read pool accepted a write")
	}
}

func TestNewerSchema(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.wc.ExecContext(ctx, "PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := Open(ctx, dir, Options{}); err == nil {
		s.Close()
		t.Fatal("opened a database with a newer schema")
	}
}

func TestOpenErrors(t *testing.T) {
	for _, dir := range []string{"", "a?b"} {
		if s, err := Open(context.Background(), dir, Options{}); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", dir)
		}
	}
}

// TestConcurrentReads checks that Store reads go on while an Update holds
// the writer.
func TestConcurrentReads(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	defer s.Close()
	inside := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error)
	go func() {
		done <- s.Update(ctx, func(tx store.Tx) error {
			if _, err := tx.NewCustomer(ctx, time.Now()); err != nil {
				return err
			}
			close(inside)
			<-release
			return nil
		})
	}()
	<-inside
	for range 10 {
		if _, err := s.Stats(ctx); err != nil {
			t.Fatal(err)
		}
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Stats(ctx); st.Customers != 1 {
		t.Errorf("customers %d, want 1", st.Customers)
	}
}

// TestBulkInsertOutsideTx checks that the bulk inserts, which bypass
// sql.Tx, never run outside the Update's transaction.
func TestBulkInsertOutsideTx(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	defer s.Close()
	lines := []store.OrderLine{{OrderID: 1, LineNo: 1, ItemID: "A", Quantity: 1}}
	events := []store.Event{{ID: 1, At: time.Now()}}

	var escaped store.Tx
	if err := s.Update(ctx, func(tx store.Tx) error { escaped = tx; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := escaped.PutOrderLines(ctx, lines); err == nil {
		t.Error("PutOrderLines after the update returned: no error")
	}
	if _, err := escaped.PutEvents(ctx, events); err == nil {
		t.Error("PutEvents after the update returned: no error")
	}

	cctx, cancel := context.WithCancel(ctx)
	err := s.Update(cctx, func(tx store.Tx) error {
		cancel() // database/sql rolls the transaction back
		if _, err := tx.PutOrderLines(ctx, lines); err == nil {
			t.Error("PutOrderLines after cancel: no error")
		}
		_, err := tx.PutEvents(ctx, events)
		return err
	})
	if err == nil {
		t.Error("update with a cancelled context succeeded")
	}
	if st, err := s.Stats(ctx); err != nil || st != (store.Stats{}) {
		t.Errorf("stats %+v, %v; want nothing stored", st, err)
	}
	var n int
	if err := s.r.QueryRowContext(ctx, "SELECT (SELECT COUNT(*) FROM order_lines) + (SELECT COUNT(*) FROM events)").Scan(&n); err != nil || n != 0 {
		t.Errorf("%d rows stored outside a transaction (%v)", n, err)
	}

	// The writer connection and its statements survive the cancelled update.
	err = s.Update(ctx, func(tx store.Tx) error {
		_, err := tx.PutOrderLines(ctx, lines)
		return err
	})
	if st, _ := s.Stats(ctx); err != nil || st.OrderLines != 1 {
		t.Errorf("update after a cancelled one: %v, %d lines", err, st.OrderLines)
	}
}
