package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/sagitta-dev/sagitta/internal/apikey"
	"github.com/sagitta-dev/sagitta/internal/config"
)

func runAPIKey(ctx context.Context, env Env, args []string) error {
	const help = "usage: sagitta apikey {create --role admin|analyst|operator|agent [--name N] | list | delete ID}"
	if done, err := subcommand(env, args, help); done {
		return err
	}
	var cfg config.Config
	fs := flags(env, "apikey "+args[0], &cfg)
	role := fs.String("role", "", "admin (everything), analyst (read-only), operator (campaigns) or agent (call tasks only)")
	name := fs.String("name", "", "a label for the key")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	switch args[0] {
	case "create":
		if !apikey.ValidRole(*role) {
			return usageErr("--role: %q is not admin, analyst, operator or agent", *role)
		}
	case "list":
	case "delete":
		if len(pos) != 1 {
			return usageErr("usage: sagitta apikey delete ID")
		}
	default:
		return usageErr("unknown apikey command %q: use create, list or delete", args[0])
	}
	st, err := open(ctx, env, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	switch args[0] {
	case "create":
		secret, k, err := apikey.Generate(*role, *name, time.Now())
		if err != nil {
			return err
		}
		if err := st.CreateAPIKey(ctx, k); err != nil {
			return fmt.Errorf("store key: %w", err)
		}
		if *asJSON {
			return writeJSON(env.Stdout, map[string]string{"id": k.ID, "role": k.Role, "name": k.Name, "key": secret})
		}
		fmt.Fprintf(env.Stdout, "%s\n", secret)
		fmt.Fprintf(env.Stderr, "created %s key %s; the key is shown once, keep it safe\n", k.Role, k.ID)
	case "list":
		keys, err := st.APIKeys(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			type row struct {
				ID        string    `json:"id"`
				Role      string    `json:"role"`
				Name      string    `json:"name"`
				CreatedAt time.Time `json:"created_at"`
			}
			out := []row{}
			for _, k := range keys {
				out = append(out, row{k.ID, k.Role, k.Name, k.CreatedAt})
			}
			return writeJSON(env.Stdout, out)
		}
		for _, k := range keys {
			fmt.Fprintf(env.Stdout, "%-14s %-9s %-20s %s\n", k.ID, k.Role, k.Name, k.CreatedAt.Format(time.RFC3339))
		}
	case "delete":
		if err := st.DeleteAPIKey(ctx, pos[0]); err != nil {
			return fmt.Errorf("delete key %s: %w", pos[0], err)
		}
	}
	return nil
}
