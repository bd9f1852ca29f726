package cli

import (
	"bufio"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/sagitta-dev/sagitta/internal/measure"
	"github.com/sagitta-dev/sagitta/internal/measure/sim"
	"github.com/sagitta-dev/sagitta/internal/model/uplift"
)

const upliftUsage = `usage: sagitta uplift COMMAND [flags]

Commands:
  train     learn an uplift model from a randomized campaign's CSV
  score     write each row's predicted uplift
  eval      compare the approaches by Qini and AUUC on a held-out split
  target    choose whom to give an offer within a budget
  report    a campaign's result against its holdout (uplift, CI, p-value)
  simulate  write a simulated randomized campaign and its hidden truth

Run 'sagitta uplift COMMAND -h' for its flags.`

// runUplift implements "sagitta uplift …".
func runUplift(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(env.Stdout, upliftUsage)
		if len(args) == 0 {
			return usageErr("missing command")
		}
		return nil
	}
	sub := map[string]func(context.Context, Env, []string) error{
		"train": runUpliftTrain, "score": runUpliftScore, "eval": runUpliftEval, "target": runUpliftTarget,
		"report": runUpliftReport, "simulate": runUpliftSimulate,
	}
	f, ok := sub[args[0]]
	if !ok {
		return usageErr("unknown command %q\n%s", args[0], upliftUsage)
	}
	return f(ctx, env, args[1:])
}

// specFlags adds the flags naming a campaign table's columns.
type specFlags struct {
	data, treatmentCol, treatment, control, outcome, features, exclude, id *string
}

func addSpecFlags(fs *flag.FlagSet) specFlags {
	return specFlags{
		data:         fs.String("data", "", "CSV file with a header line (required)"),
		treatmentCol: fs.String("treatment-col", "", "column telling treatment from control (required)"),
		treatment:    fs.String("treatment", "", "value of the treatment column for treated rows (required)"),
		control:      fs.String("control", "", "value of the treatment column for control rows (required)"),
		outcome:      fs.String("outcome", "", "outcome column: 0/1, true/false or yes/no (required)"),
		features:     fs.String("features", "", "comma-separated feature columns; default: every other column"),
		exclude:      fs.String("exclude", "", "comma-separated columns that are not features"),
		id:           fs.String("id", "", "id column: never a feature"),
	}
}

func (s specFlags) spec() (uplift.Spec, error) {
	var missing []string
	for _, f := range []struct {
		name string
		v    *string
	}{{"--data", s.data}, {"--treatment-col", s.treatmentCol}, {"--treatment", s.treatment}, {"--control", s.control}, {"--outcome", s.outcome}} {
		if *f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return uplift.Spec{}, usageErr("%s required", strings.Join(missing, ", "))
	}
	return uplift.Spec{TreatmentCol: *s.treatmentCol, Treatment: *s.treatment, Control: *s.control, Outcome: *s.outcome,
		Features: splitList(*s.features), Exclude: splitList(*s.exclude), ID: *s.id}, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func readTable(path string) (*uplift.Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return uplift.ReadCSV(bufio.NewReaderSize(f, 1<<20), path)
}

// progress returns a stage reporter on a terminal, nil otherwise.
func progress(env Env) func(string) {
	if !isTerminal(env.Stderr) {
		return nil
	}
	return func(s string) { fmt.Fprintf(env.Stderr, "\r\033[K%s…", s) }
}

func endProgress(env Env) {
	if isTerminal(env.Stderr) {
		fmt.Fprint(env.Stderr, "\r\033[K")
	}
}

func runUpliftTrain(ctx context.Context, env Env, args []string) error {
	fs := flagSetOnly(env, "uplift train")
	sf := addSpecFlags(fs)
	kind := fs.String("model", uplift.Auto, "auto (best cross-validated Qini), two-model, class-transform or tree")
	out := fs.String("out", "", "file to write the model to (required)")
	seed := fs.Uint64("seed", 1, "random seed of the folds and the forest")
	trees := fs.Int("trees", 0, "trees of the uplift forest (default 100)")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	spec, err := sf.spec()
	if err != nil {
		return err
	}
	if *out == "" {
		return usageErr("--out MODEL is required")
	}
	if *kind != uplift.Auto && !contains(uplift.Kinds, *kind) {
		return usageErr("--model %q: want auto, %s", *kind, strings.Join(uplift.Kinds, ", "))
	}
	t, err := readTable(*sf.data)
	if err != nil {
		return err
	}
	m, err := uplift.Train(ctx, t, spec, uplift.Options{Kind: *kind, Seed: *seed, Forest: uplift.ForestOptions{Trees: *trees}, Progress: progress(env)})
	endProgress(env)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(*out, m.Write); err != nil {
		return err
	}
	sum := struct {
		Model     string             `json:"model"`
		Kind      string             `json:"kind"`
		Rows      int                `json:"rows"`
		Treated   int                `json:"treated_rows"`
		ATE       float64            `json:"ate"`
		Features  []string           `json:"features"`
		Selection map[string]float64 `json:"cv_qini,omitempty"`
	}{*out, m.Kind, m.Rows, m.TreatedN, m.ATE, m.Spec.Features, m.Selection}
	if *asJSON {
		return writeJSON(env.Stdout, sum)
	}
	fmt.Fprintf(env.Stdout, "%s model on %s rows (%s treated), average effect %+.4f, written to %s\n",
		m.Kind, thousands(int64(m.Rows)), thousands(int64(m.TreatedN)), m.ATE, *out)
	fmt.Fprintf(env.Stdout, "features: %s\n", strings.Join(m.Spec.Features, ", "))
	for _, k := range uplift.Kinds {
		if s, ok := m.Selection[k]; ok {
			fmt.Fprintf(env.Stdout, "cross-validated Qini %-16s %.5f\n", k, s)
		}
	}
	return nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// writeFileAtomic writes through a temporary file renamed into place, so a
// failed write never leaves half a file.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}

func loadModel(path string) (*uplift.Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := uplift.Read(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// scoreFile loads a model and a table, finds the id column (-1 if none
// asked for) and scores every row.
func scoreFile(ctx context.Context, modelPath, dataPath, id string) (*uplift.Table, int, uplift.Scores, error) {
	m, err := loadModel(modelPath)
	if err != nil {
		return nil, 0, uplift.Scores{}, err
	}
	t, err := readTable(dataPath)
	if err != nil {
		return nil, 0, uplift.Scores{}, err
	}
	idc := -1
	if id != "" {
		if idc = t.Col(id); idc < 0 {
			return nil, 0, uplift.Scores{}, fmt.Errorf("%s: id column %q not found", dataPath, id)
		}
	}
	s, err := m.Score(ctx, t)
	return t, idc, s, err
}

func runUpliftScore(ctx context.Context, env Env, args []string) error {
	fs := flagSetOnly(env, "uplift score")
	model := fs.String("model", "", "model file written by 'uplift train' (required)")
	data := fs.String("data", "", "CSV file with the model's feature columns (required)")
	out := fs.String("out", "", "CSV file to write: one row per input row, in order; '-' for standard output (required)")
	id := fs.String("id", "", "column to carry into the output as the first column")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *model == "" || *data == "" || *out == "" {
		return usageErr("--model, --data and --out are required")
	}
	t, idc, s, err := scoreFile(ctx, *model, *data, *id)
	if err != nil {
		return err
	}
	write := func(w io.Writer) error {
		cw := csv.NewWriter(w)
		head := []string{"uplift", "propensity"}
		if idc >= 0 {
			head = append([]string{*id}, head...)
		}
		cw.Write(head)
		for i := range s.Uplift {
			rec := head[:0:0]
			if idc >= 0 {
				rec = append(rec, t.Cols[idc].At(i))
			}
			rec = append(rec, strconv.FormatFloat(s.Uplift[i], 'g', 8, 64), strconv.FormatFloat(s.Propensity[i], 'g', 8, 64))
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	}
	if *out == "-" {
		return write(env.Stdout)
	}
	return writeFileAtomic(*out, write)
}

func runUpliftEval(ctx context.Context, env Env, args []string) error {
	fs := flagSetOnly(env, "uplift eval")
	sf := addSpecFlags(fs)
	share := fs.Float64("test-share", 0.3, "share of rows held out (stratified by treatment and outcome)")
	seed := fs.Uint64("seed", 1, "random seed of the split, the folds and the forest")
	asJSON := fs.Bool("json", false, "print the evaluation as JSON")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	spec, err := sf.spec()
	if err != nil {
		return err
	}
	if !(*share > 0 && *share < 1) {
		return usageErr("--test-share %v: want 0 < share < 1", *share)
	}
	t, err := readTable(*sf.data)
	if err != nil {
		return err
	}
	ev, err := uplift.Evaluate(ctx, t, spec, uplift.Options{Seed: *seed, Progress: progress(env)}, *share)
	endProgress(env)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(env.Stdout, ev)
	}
	fmt.Fprintf(env.Stdout, "held out %s of %s rows\n%-16s %10s %10s %14s\n", thousands(int64(ev.TestRows)),
		thousands(int64(ev.TestRows+ev.TrainRows)), "approach", "qini", "auuc", "qini@20%")
	for _, r := range ev.Results {
		name := r.Approach
		if r.Chosen != "" {
			name += " → " + r.Chosen
		}
		fmt.Fprintf(env.Stdout, "%-16s %10.5f %10.5f %14.5f\n", name, r.Coefficient, r.AUUC, r.At20)
	}
	fmt.Fprintf(env.Stdout, "best: %s\n", ev.Best)
	return nil
}

func runUpliftTarget(ctx context.Context, env Env, args []string) error {
	fs := flagSetOnly(env, "uplift target")
	model := fs.String("model", "", "model file written by 'uplift train' (required)")
	data := fs.String("data", "", "CSV file of the prospects, with the model's feature columns (required)")
	cost := fs.Float64("cost", 0, "cost of giving the offer to one customer (required)")
	redeem := fs.Float64("redeem-cost", 0, "cost paid only when a treated customer converts (a coupon's discount)")
	value := fs.Float64("value", 0, "value of one conversion (required)")
	budget := fs.Float64("budget", 0, "most that may be spent (expected cost of the customers chosen); 0 = no limit")
	id := fs.String("id", "", "id column written to --out")
	out := fs.String("out", "", "CSV file to write the chosen customers to, best first")
	asJSON := fs.Bool("json", false, "print the plans as JSON")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	costSet := false
	fs.Visit(func(f *flag.Flag) { costSet = costSet || f.Name == "cost" })
	if *model == "" || *data == "" || !costSet || *cost < 0 || *value <= 0 {
		return usageErr("--model, --data, --cost ≥ 0 and --value > 0 are required")
	}
	t, idc, s, err := scoreFile(ctx, *model, *data, *id)
	if err != nil {
		return err
	}
	ps := make([]measure.Prospect, len(s.Uplift))
	for i := range ps {
		ps[i] = measure.Prospect{Customer: int64(i), Uplift: s.Uplift[i], Propensity: s.Propensity[i]}
	}
	plan, err := measure.Target(ps, measure.Budget{Cost: *cost, RedeemCost: *redeem, Value: *value, Limit: *budget})
	if err != nil {
		return usageErr("%v", err)
	}
	if *out != "" {
		err := writeFileAtomic(*out, func(w io.Writer) error {
			cw := csv.NewWriter(w)
			col := "row"
			if idc >= 0 {
				col = *id
			}
			cw.Write([]string{col, "uplift", "expected_profit"})
			for _, i := range plan.Uplift.Chosen {
				ref := strconv.Itoa(i + 1)
				if idc >= 0 {
					ref = t.Cols[idc].At(i)
				}
				cw.Write([]string{ref, strconv.FormatFloat(s.Uplift[i], 'g', 8, 64), strconv.FormatFloat(s.Uplift[i]**value-*cost-*redeem*s.Propensity[i], 'g', 8, 64)})
			}
			cw.Flush()
			return cw.Error()
		})
		if err != nil {
			return err
		}
	}
	if *asJSON {
		return writeJSON(env.Stdout, plan)
	}
	fmt.Fprintf(env.Stdout, "%-11s %10s %10s %14s %12s %12s\n", "strategy", "customers", "spend", "incr. conv.", "incr. value", "profit")
	for _, p := range []measure.Plan{plan.Uplift, plan.Propensity, plan.Random} {
		fmt.Fprintf(env.Stdout, "%-11s %10d %10.2f %14.1f %12.2f %12.2f\n", p.Strategy, p.Customers, p.Spend, p.IncrementalConversions, p.IncrementalValue, p.Profit)
	}
	fmt.Fprintf(env.Stdout, "uplift plan stopped: %s\n(expected figures, from the model's uplift estimates)\n", plan.StopReason)
	return nil
}

func runUpliftReport(_ context.Context, env Env, args []string) error {
	fs := flagSetOnly(env, "uplift report")
	data := fs.String("data", "", "CSV file, one row per customer of the audience (required)")
	tcol := fs.String("treatment-col", "", "column telling treatment from holdout (required)")
	tval := fs.String("treatment", "", "value for treated customers (required)")
	cval := fs.String("control", "", "value for held-out customers (required)")
	outcome := fs.String("outcome", "", "converted column, 0/1 (required)")
	revenue := fs.String("revenue", "", "revenue column")
	costCol := fs.String("cost", "", "offer cost column (of treated customers)")
	before := fs.String("kpi-before", "", "KPI column before the campaign")
	after := fs.String("kpi-after", "", "KPI column after the campaign")
	conf := fs.Float64("confidence", 0.95, "confidence of the intervals")
	minArm := fs.Int("min-arm", 30, "smallest arm given a verdict")
	margin := fs.Float64("margin", 1, "share of revenue that is profit before offer cost")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *data == "" || *tcol == "" || *tval == "" || *cval == "" || *outcome == "" {
		return usageErr("--data, --treatment-col, --treatment, --control and --outcome are required")
	}
	if (*before == "") != (*after == "") {
		return usageErr("--kpi-before and --kpi-after go together")
	}
	t, err := readTable(*data)
	if err != nil {
		return err
	}
	treated, y, err := uplift.Spec{TreatmentCol: *tcol, Treatment: *tval, Control: *cval, Outcome: *outcome}.Labels(t)
	if err != nil {
		return err
	}
	num := func(name string) ([]float64, error) {
		if name == "" {
			return nil, nil
		}
		j := t.Col(name)
		if j < 0 {
			return nil, fmt.Errorf("%s: column %q not found; the header has %s", *data, name, strings.Join(t.Header, ", "))
		}
		v := make([]float64, t.Rows())
		for i, s := range t.Cols[j].All() {
			if s == "" {
				continue
			}
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: column %q: %q is not a number", *data, i+2, name, s)
			}
			v[i] = f
		}
		return v, nil
	}
	var cols [4][]float64
	for k, name := range []string{*revenue, *costCol, *before, *after} {
		if cols[k], err = num(name); err != nil {
			return err
		}
	}
	at := func(v []float64, i int) float64 {
		if v == nil {
			return 0
		}
		return v[i]
	}
	var tally measure.Tally
	for i := range treated {
		o := measure.Outcome{Holdout: !treated[i], Converted: y[i], Revenue: at(cols[0], i),
			KPIBefore: at(cols[2], i), KPIAfter: at(cols[3], i)}
		if treated[i] {
			o.Cost = at(cols[1], i)
		}
		tally.Add(o)
	}
	r, err := tally.Report(measure.Options{Confidence: *conf, MinArm: *minArm, Margin: *margin, KPI: *before != "", KPIName: *after})
	if err != nil {
		return usageErr("%v", err)
	}
	if *asJSON {
		return writeJSON(env.Stdout, r)
	}
	fmt.Fprintf(env.Stdout, "%-10s %12s %12s %10s %12s\n", "arm", "customers", "conversions", "rate", "revenue/cust")
	for _, a := range []struct {
		n string
		a measure.Arm
	}{{"treatment", r.Treatment}, {"holdout", r.Holdout}} {
		fmt.Fprintf(env.Stdout, "%-10s %12s %12s %9.2f%% %12.2f\n", a.n, thousands(a.a.Customers), thousands(a.a.Conversions), 100*a.a.ConversionRate, a.a.RevenuePerCustomer)
	}
	pct := 100 * r.Confidence
	fmt.Fprintf(env.Stdout, "success rate %.1f%%; uplift %+.2f points, %g%% CI [%+.2f, %+.2f], p = %.3g\n", 100*r.SuccessRate,
		100*float64(r.Uplift.Value), pct, 100*float64(r.Uplift.Low), 100*float64(r.Uplift.High), float64(r.Uplift.PValue))
	fmt.Fprintf(env.Stdout, "incremental conversions %.1f; incremental revenue %.2f [%.2f, %.2f]; incremental profit %.2f [%.2f, %.2f]\n",
		float64(r.IncrementalConversions), float64(r.IncrementalRevenue.Value), float64(r.IncrementalRevenue.Low), float64(r.IncrementalRevenue.High),
		float64(r.IncrementalProfit.Value), float64(r.IncrementalProfit.Low), float64(r.IncrementalProfit.High))
	if r.KPI != nil {
		fmt.Fprintf(env.Stdout, "%s: treatment %.2f → %.2f, holdout %.2f → %.2f, difference in differences %+.2f [%+.2f, %+.2f]\n", *after,
			r.KPI.TreatmentBefore, r.KPI.TreatmentAfter, r.KPI.HoldoutBefore, r.KPI.HoldoutAfter,
			float64(r.KPI.DiffInDiff.Value), float64(r.KPI.DiffInDiff.Low), float64(r.KPI.DiffInDiff.High))
	}
	fmt.Fprintf(env.Stdout, "verdict: %s (%s)\n", r.Verdict, strings.Join(r.Reasons, "; "))
	return nil
}

func runUpliftSimulate(_ context.Context, env Env, args []string) error {
	fs := flagSetOnly(env, "uplift simulate")
	n := fs.Int("customers", 100_000, "number of customers")
	out := fs.String("out", "", "CSV file of the randomized campaign (required)")
	truth := fs.String("truth", "", "CSV file of the hidden truth: type and true uplift per customer")
	seed := fs.Uint64("seed", 1, "random seed; the same seed gives the same files")
	offer := fs.String("offer", "discount", "which simulated offer: discount, new_product, win_back or flash (nonlinear truth)")
	share := fs.Float64("treat-share", 0.5, "share of customers treated")
	asJSON := fs.Bool("json", false, "print what was written as JSON")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usageErr("--out FILE is required")
	}
	if *n <= 0 {
		return usageErr("--customers must be positive")
	}
	if !(*share > 0 && *share < 1) {
		return usageErr("--treat-share %v: want 0 < share < 1", *share)
	}
	var o sim.Offer
	switch *offer {
	case "discount":
		o = sim.Discount
	case "new_product":
		o = sim.NewProduct
	case "win_back":
		o = sim.WinBack
	case "flash":
		o = sim.Flash
	default:
		return usageErr("--offer %q: want discount, new_product, win_back or flash", *offer)
	}
	cs := sim.Customers(*n, *seed)
	rs := sim.Run(cs, o, *share, *seed+1)
	if err := writeFileAtomic(*out, func(w io.Writer) error { return sim.WriteData(w, cs, rs) }); err != nil {
		return err
	}
	if *truth != "" {
		if err := writeFileAtomic(*truth, func(w io.Writer) error { return sim.WriteTruth(w, cs, rs, o) }); err != nil {
			return err
		}
	}
	if *asJSON {
		var treated, converted int
		for _, r := range rs {
			if r.Treated {
				treated++
			}
			if r.Converted {
				converted++
			}
		}
		return writeJSON(env.Stdout, map[string]any{"customers": *n, "offer": o.Name, "seed": *seed, "treated": treated,
			"converted": converted, "data": *out, "truth": *truth})
	}
	fmt.Fprintf(env.Stdout, "%s customers of offer %s written to %s", thousands(int64(*n)), o.Name, *out)
	if *truth != "" {
		fmt.Fprintf(env.Stdout, ", truth to %s", *truth)
	}
	fmt.Fprintln(env.Stdout, "\ntrain with: sagitta uplift train --data", *out, "--treatment-col treatment --treatment treatment --control control --outcome converted --id customer_id --exclude revenue --out MODEL")
	return nil
}
