package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"strings"

	"github.com/sagitta-dev/sagitta/internal/config"
	"github.com/sagitta-dev/sagitta/internal/identity"
	"github.com/sagitta-dev/sagitta/internal/insight"
	"github.com/sagitta-dev/sagitta/internal/marketing"
	"github.com/sagitta-dev/sagitta/internal/recommend"
	"github.com/sagitta-dev/sagitta/internal/store"
	"golang.org/x/term"
)

// Env is what the commands get from the outside world.
type Env struct {
	Stdin      io.Reader
	Stdout     io.Writer
	Stderr     io.Writer
	Getenv     func(string) string
	OpenStore  func(ctx context.Context, cfg config.Config) (store.Store, error)
	NewHandler func(s Services) http.Handler
	// Recommend is the recommendation service serve hands to the API (nil:
	// those routes answer 503).
	Recommend *recommend.Service
}

// Services are what serve hands to Env.NewHandler; nil ones make their
// routes answer 503.
type Services struct {
	Store     store.Store
	Resolver  *identity.Resolver
	Insight   *insight.Service
	Marketing *marketing.Service
	Recommend *recommend.Service
	Logger    *slog.Logger
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env Env, args []string) error
}

func commands() []command {
	return []command{
		{"demo", "generate a synthetic shop, import it and serve the API", runDemo},
		{"import", "import customers, items, orders or events from files", runImport},
		{"stats", "count what the store holds", runStats},
		{"customer", "show a customer's unified record (customer show REF)", runCustomer},
		{"serve", "serve the HTTP API", runServe},
		{"apikey", "create, list or delete API keys", runAPIKey},
		{"features", "compute features, RFM, A/B/C classes, lifecycle, tags and segments", runFeaturesCmd},
		{"tag", "apply, list and show rule-defined tags", runTag},
		{"segment", "count, save, list and export segments", runSegment},
		{"admission", "manage black, white and grey admission lists", runAdmission},
		{"model", "fit, evaluate and score CLV (BG/NBD, Gamma-Gamma) and churn models", runModel},
		{"rules", "mine association rules from baskets or orders (rules mine)", runRules},
		{"recommend", "evaluate, train and apply recommendation models", runRecommend},
		{"offer", "create, list, show offers; why a customer may or may not get one", runOffer},
		{"policy", "show or apply the differentiated-offer policy table", runPolicy},
		{"campaign", "create, preview, launch, pause, resume and follow campaigns", runCampaign},
		{"contact", "show or set the contact rules: frequency caps, quiet hours, consent", runContact},
		{"generate", "write a synthetic shop's data files", runGenerate},
		{"uplift", "train, score and evaluate uplift models; target offers; report against holdouts", runUplift},
		{"lifecycle", "show the flows between lifecycle stages over time (lifecycle flows)", runLifecycle},
		{"version", "print the version", runVersion},
	}
}

// Version is set at build time with -ldflags "-X .../cli.Version=...".
var Version = "dev"

// errUsage marks an error whose message already explains the usage.
var errUsage = errors.New("usage")

// Run runs one command and returns the exit code: 0 done or help shown, 1
// failed while working (files, data, store), 2 misused (the command line:
// commands, flags, their values, the number of arguments). Commands return
// usageErr for the latter; the README's "Exit codes" documents it.
func Run(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(env.Stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, env, args[1:])
			switch {
			case err == nil:
				return 0
			case errors.Is(err, flag.ErrHelp):
				return 0
			case errors.Is(err, errUsage):
				fmt.Fprintf(env.Stderr, "sagitta %s: %v\n", c.name, strings.TrimSuffix(err.Error(), ": usage"))
				return 2
			}
			fmt.Fprintf(env.Stderr, "sagitta %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(env.Stderr, "sagitta: unknown command %q\n\n", args[0])
	usage(env.Stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Sagitta — precision marketing from one binary.\n\nUsage: sagitta COMMAND [flags] [args]\n\nCommands:")
	cs := commands()
	sort.Slice(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	for _, c := range cs {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'sagitta COMMAND -h' for a command's flags.")
}

// usageErr wraps a message as a usage error.
func usageErr(format string, a ...any) error {
	return fmt.Errorf(format+": %w", append(a, errUsage)...)
}

// flags starts a command's flag set with the shared store flags.
func flags(env Env, name string, cfg *config.Config) *flag.FlagSet {
	fs := flag.NewFlagSet("sagitta "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	*cfg = config.FromEnv(config.Default(), env.Getenv)
	cfg.Flags(fs)
	return fs
}

// parse parses flags and lets them come after positional arguments too
// ("import orders FILE --json").
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%v: %w", err, errUsage)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// quietLogger is the logger of one-shot commands: warnings and errors only,
// unless debug logging was asked for.
func quietLogger(w io.Writer, level string) *slog.Logger {
	if level == "debug" {
		return newLogger(w, level)
	}
	return newLogger(w, "warn")
}

// open validates the configuration and opens the store.
func open(ctx context.Context, env Env, cfg config.Config) (store.Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%v: %w", err, errUsage)
	}
	return env.OpenStore(ctx, cfg)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// isTerminal reports whether w is a terminal, for progress bars.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// thousands formats n with thousands separators.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func runVersion(_ context.Context, env Env, _ []string) error {
	fmt.Fprintln(env.Stdout, "sagitta", Version)
	return nil
}
