package sqlite

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestXEvents(t *testing.T) {
	ctx := context.Background()
	variants := []struct{ name, ddl, ins string; rows int }{
		{"A explicit pk multi", `CREATE TABLE ev (id INTEGER PRIMARY KEY, source TEXT NOT NULL, customer_id INTEGER NOT NULL, type TEXT NOT NULL, at INTEGER NOT NULL, item_id TEXT NOT NULL, value REAL NOT NULL, props TEXT NOT NULL);
CREATE INDEX ev_c ON ev (customer_id, at)`, `INSERT OR IGNORE INTO ev (id, source, customer_id, type, at, item_id, value, props) VALUES `, 128},
		{"B seq + unique multi", `CREATE TABLE ev (seq INTEGER PRIMARY KEY, id INTEGER NOT NULL UNIQUE, source TEXT NOT NULL, customer_id INTEGER NOT NULL, type TEXT NOT NULL, at INTEGER NOT NULL, item_id TEXT NOT NULL, value REAL NOT NULL, props TEXT NOT NULL);
CREATE INDEX ev_c ON ev (customer_id, at)`, `INSERT OR IGNORE INTO ev (id, source, customer_id, type, at, item_id, value, props) VALUES `, 128},
		{"A explicit pk single", `CREATE TABLE ev (id INTEGER PRIMARY KEY, source TEXT NOT NULL, customer_id INTEGER NOT NULL, type TEXT NOT NULL, at INTEGER NOT NULL, item_id TEXT NOT NULL, value REAL NOT NULL, props TEXT NOT NULL);
CREATE INDEX ev_c ON ev (customer_id, at)`, `INSERT OR IGNORE INTO ev (id, source, customer_id, type, at, item_id, value, props) VALUES `, 1},
		{"B seq + unique single", `CREATE TABLE ev (seq INTEGER PRIMARY KEY, id INTEGER NOT NULL UNIQUE, source TEXT NOT NULL, customer_id INTEGER NOT NULL, type TEXT NOT NULL, at INTEGER NOT NULL, item_id TEXT NOT NULL, value REAL NOT NULL, props TEXT NOT NULL);
CREATE INDEX ev_c ON ev (customer_id, at)`, `INSERT OR IGNORE INTO ev (id, source, customer_id, type, at, item_id, value, props) VALUES `, 1},
	}
	variants = append(variants[:2], struct{ name, ddl, ins string; rows int }{"B no cust idx", `CREATE TABLE ev (seq INTEGER PRIMARY KEY, id INTEGER NOT NULL UNIQUE, source TEXT NOT NULL, customer_id INTEGER NOT NULL, type TEXT NOT NULL, at INTEGER NOT NULL, item_id TEXT NOT NULL, value REAL NOT NULL, props TEXT NOT NULL)`, `INSERT OR IGNORE INTO ev (id, source, customer_id, type, at, item_id, value, props) VALUES `, 128})
	for _, ps := range []int{4096, 16384} {
	pageSize = ps
	for _, v := range variants {
		v.name = fmt.Sprint(ps, " ", v.name)
		s := open(t)
		if _, err := s.wc.ExecContext(ctx, v.ddl); err != nil {
			t.Fatal(err)
		}
		row := "(?, ?, ?, ?, ?, ?, ?, ?)"
		q := v.ins + row + strings.Repeat(", "+row, v.rows-1)
		st, err := s.wc.PrepareContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var seq uint64
		c0, w0 := cpuNow(), time.Now()
		for range 100 {
			tx, err := s.wc.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			txst := tx.Stmt(st)
			for range 1024 / v.rows {
				args := make([]any, 0, v.rows*8)
				for range v.rows {
					seq++
					args = append(args, int64(splitmix(seq)), "web", int64(1+seq%4000), "view", int64(seq*1000000), "8512", 1.0, "")
				}
				if _, err := txst.ExecContext(ctx, args...); err != nil {
					t.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("%-25s cpu %v wall %v per row cpu %v", v.name, cpuNow()-c0, time.Since(w0), (cpuNow()-c0)/102400)
		st.Close()
		s.Close()
	}
	}
}
