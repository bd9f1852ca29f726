package cli

import (
	"context"
	"fmt"

	"github.com/sagitta-dev/sagitta/internal/config"
)

func runStats(ctx context.Context, env Env, args []string) error {
	var cfg config.Config
	fs := flags(env, "stats", &cfg)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	st, err := open(ctx, env, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	s, err := st.Stats(ctx)
	if err != nil {
		return fmt.Errorf("count: %w", err)
	}
	if *asJSON {
		return writeJSON(env.Stdout, s)
	}
	for _, r := range []struct {
		label string
		n     int64
	}{{"customers", s.Customers}, {"orders", s.Orders}, {"anonymous orders", s.AnonymousOrders},
		{"order lines", s.OrderLines}, {"events", s.Events}, {"items", s.Items}} {
		fmt.Fprintf(env.Stdout, "%-17s %12s\n", r.label, thousands(r.n))
	}
	return nil
}
