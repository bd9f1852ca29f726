package sqlite

import (
	"context"
	"syscall"
	"testing"
	"time"
)

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestXFloor(t *testing.T) {
	s := open(t)
	defer s.Close()
	ctx := context.Background()
	gen := `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 541909) `
	for _, q := range []struct{ name, ddl, ins string }{
		{"without rowid", ``, gen + `INSERT INTO order_lines SELECT x/21, x, '85123A' || (x%4000), 6.0 + (x%5), 2.55, (6.0+(x%5))*2.55, 0.0, '' FROM c WHERE true ON CONFLICT DO NOTHING`},
		{"packed rowid", `CREATE TABLE l2 (id INTEGER PRIMARY KEY, item_id TEXT NOT NULL, quantity REAL NOT NULL, unit_price REAL NOT NULL, amount REAL NOT NULL, discount REAL NOT NULL, coupon TEXT NOT NULL)`,
			gen + `INSERT INTO l2 SELECT ((x/21) << 20) | x, '85123A' || (x%4000), 6.0 + (x%5), 2.55, (6.0+(x%5))*2.55, 0.0, '' FROM c WHERE true ON CONFLICT DO NOTHING`},
		{"packed rowid + cols", `CREATE TABLE l3 (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, line_no INTEGER NOT NULL, item_id TEXT NOT NULL, quantity REAL NOT NULL, unit_price REAL NOT NULL, amount REAL NOT NULL, discount REAL NOT NULL, coupon TEXT NOT NULL)`,
			gen + `INSERT INTO l3 SELECT ((x/21) << 20) | x, x/21, x, '85123A' || (x%4000), 6.0 + (x%5), 2.55, (6.0+(x%5))*2.55, 0.0, '' FROM c WHERE true ON CONFLICT DO NOTHING`},
		{"gen only", `CREATE TABLE l4 (n)`, gen + `INSERT INTO l4 SELECT count(*) FROM (SELECT x/21, x, '85123A' || (x%4000), 6.0 + (x%5), 2.55, (6.0+(x%5))*2.55, 0.0, '' FROM c)`},
	} {
		if q.ddl != "" {
			if _, err := s.wc.ExecContext(ctx, q.ddl); err != nil {
				t.Fatal(err)
			}
		}
		start, c0 := time.Now(), cpuNow()
		if _, err := s.wc.ExecContext(ctx, q.ins); err != nil {
			t.Fatal(err)
		}
		t.Log(q.name, "wall", time.Since(start), "cpu", cpuNow()-c0)
	}
}
