package uplift

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestFitLogisticRecoversCoefficients(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const n, d = 50000, 3
	want := []float64{1.5, -2, 0.5}
	bias := -0.7
	x := make([]float64, n*d)
	y := make([]bool, n)
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
		z := bias
		for k := range d {
			x[i*d+k] = r.NormFloat64()
			z += want[k] * x[i*d+k]
		}
		y[i] = r.Float64() < sigmoid(z)
	}
	m, err := fitLogistic(context.Background(), x, d, rows, y, nil, 1e-6)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(m.Bias-bias) > 0.05 {
		t.Errorf("bias %.3f, want %.3f", m.Bias, bias)
	}
	for k := range want {
		if math.Abs(m.W[k]-want[k]) > 0.06 {
			t.Errorf("w[%d] = %.3f, want %.3f", k, m.W[k], want[k])
		}
	}
	// Weights: doubling every weight changes nothing.
	w := make([]float64, n)
	for i := range w {
		w[i] = 2
	}
	m2, err := fitLogistic(context.Background(), x, d, rows, y, w, 1e-6)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(m2.W[0]-m.W[0]) > 1e-6 {
		t.Errorf("weighted fit %.6f differs from unweighted %.6f", m2.W[0], m.W[0])
	}
	// Strong penalty shrinks towards 0; separable data stays finite.
	m3, _ := fitLogistic(context.Background(), x, d, rows, y, nil, 10)
	if math.Abs(m3.W[1]) >= math.Abs(m.W[1])/5 {
		t.Errorf("λ=10 leaves w[1] = %.3f", m3.W[1])
	}
	sep := make([]bool, n)
	for i := range sep {
		sep[i] = x[i*d] > 0
	}
	m4, err := fitLogistic(context.Background(), x, d, rows, sep, nil, 1e-4)
	if err != nil || math.IsNaN(m4.W[0]) || math.IsInf(m4.W[0], 0) {
		t.Fatalf("separable data: %v, %v", m4, err)
	}
}

func TestQini(t *testing.T) {
	// Four treated (two converted), four controls (one converted).
	treated := []bool{true, true, true, true, false, false, false, false}
	y := []bool{true, true, false, false, true, false, false, false}
	// Perfect ranking: treated converters first, the control converter last.
	perfect := []float64{8, 7, 3, 2, 1, 4, 5, 6}
	c := Qini(perfect, treated, y)
	if math.Abs(c.Total-(2-1*4.0/4)/8) > 1e-12 {
		t.Fatalf("total %v", c.Total)
	}
	// Hand computed points: after k=1: Y_T=1, no control → 1/8; k=2: 2/8;
	// k=3 (control, score 6): 2/8; k=4: 2/8; k=5: 2/8; k=6 (treated 0, score 3):
	// 2 − 0·(3/3) = 2/8; k=7: 2/8; k=8: (2 − 1)/8.
	want := []float64{0, 1, 2, 2, 2, 2, 2, 2, 1}
	for i, p := range c.Points {
		if math.Abs(p.Qini-want[i]/8) > 1e-12 {
			t.Fatalf("point %d: %v, want %v", i, p.Qini, want[i]/8)
		}
	}
	// Area: trapezoids (0+1)/2 + (1+2)/2 + 5·2 + (2+1)/2 = 13.5, ×(1/8)(1/8).
	if math.Abs(c.Coefficient-(13.5/64-c.Total/2)) > 1e-12 {
		t.Fatalf("coefficient %v", c.Coefficient)
	}
	// All scores tied: one group, the curve is the random line, coefficient 0.
	flat := Qini(make([]float64, 8), treated, y)
	if math.Abs(flat.Coefficient) > 1e-12 || len(flat.Points) != 2 {
		t.Fatalf("tied scores: %+v", flat)
	}
	// Reversed ranking does worse than perfect.
	rev := make([]float64, 8)
	for i := range rev {
		rev[i] = -perfect[i]
	}
	if Qini(rev, treated, y).Coefficient >= c.Coefficient {
		t.Fatal("reversed ranking as good as perfect")
	}
	if math.Abs(c.At(0.25)-2.0/8) > 1e-12 || math.Abs(c.At(0.125/2)-0.5/8) > 1e-12 {
		t.Fatalf("At: %v %v", c.At(0.25), c.At(0.0625))
	}
}

func TestLabelsErrors(t *testing.T) {
	csv := "id,grp,buy,age\n1,T,1,30\n2,C,0,\n3,X,1,40\n4,T,maybe,50\n"
	tab, err := ReadCSV(strings.NewReader(csv), "c.csv")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		spec Spec
		want string
	}{
		{Spec{TreatmentCol: "group", Treatment: "T", Control: "C", Outcome: "buy"}, `treatment column "group" not found; the header has "id", "grp", "buy", "age"`},
		{Spec{TreatmentCol: "grp", Treatment: "T", Control: "C", Outcome: "bought"}, `outcome column "bought" not found`},
		{Spec{TreatmentCol: "grp", Treatment: "T", Control: "C", Outcome: "buy"}, `c.csv: column "grp" has 1 rows that are neither treatment "T" nor control "C" (first at line 4); values found: "T"×2, "C"×1, "X"×1`},
		{Spec{TreatmentCol: "grp", Treatment: "T", Control: "T", Outcome: "buy"}, "both"},
		{Spec{TreatmentCol: "grp", Treatment: "T", Control: "Z", Outcome: "buy"}, "neither"},
	}
	for _, tc := range tests {
		if _, _, err := tc.spec.Labels(tab); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Labels(%+v) = %v, want %q", tc.spec, err, tc.want)
		}
	}
	tab2, _ := ReadCSV(strings.NewReader("grp,buy\nT,1\nC,maybe\nT,yes\n"), "d.csv")
	_, _, err = Spec{TreatmentCol: "grp", Treatment: "T", Control: "C", Outcome: "buy"}.Labels(tab2)
	if err == nil || !strings.Contains(err.Error(), `outcome column "buy" has 1 rows that are not 0/1, true/false or yes/no (first at line 3); values found: "1"×1, "maybe"×1, "yes"×1`) {
		t.Errorf("bad outcome: %v", err)
	}
	tab4, _ := ReadCSV(strings.NewReader("grp,buy\nT,1.00\nC,0.000\nT,No\n"), "h.csv")
	if _, y, err := (Spec{TreatmentCol: "grp", Treatment: "T", Control: "C", Outcome: "buy"}).Labels(tab4); err != nil || !y[0] || y[1] || y[2] {
		t.Errorf("outcomes 1.00, 0.000, No: %v %v", y, err)
	}
	tab3, _ := ReadCSV(strings.NewReader("grp,buy\nT,1\nT,0\n"), "e.csv")
	_, _, err = Spec{TreatmentCol: "grp", Treatment: "T", Control: "C", Outcome: "buy"}.Labels(tab3)
	if err == nil || !strings.Contains(err.Error(), "both arms are needed") {
		t.Errorf("one arm: %v", err)
	}
	if _, err := (Spec{Features: []string{"age", "height"}}).FeatureColumns(tab); err == nil || !strings.Contains(err.Error(), `"height" not found`) {
		t.Errorf("missing feature: %v", err)
	}
	if _, err := ReadCSV(strings.NewReader("a,a\n1,2\n"), "f.csv"); err == nil || !strings.Contains(err.Error(), "appears twice") {
		t.Errorf("duplicate column: %v", err)
	}
	if _, err := ReadCSV(strings.NewReader("a,b\n1,2\n3\n"), "g.csv"); err == nil || !strings.Contains(err.Error(), "g.csv") {
		t.Errorf("short row: %v", err)
	}
}

func TestEncoder(t *testing.T) {
	tab, _ := ReadCSV(strings.NewReader("num,cat,gap\n1,a,5\n3,b,\n5,a,7\n"), "t.csv")
	e, err := FitEncoder(tab, []string{"num", "cat", "gap"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(e.Names(), " "); got != "num cat=a cat=b cat=other gap gap=missing" {
		t.Fatalf("names %q", got)
	}
	x, err := e.Encode(tab, nil)
	if err != nil {
		t.Fatal(err)
	}
	sd := math.Sqrt(8.0 / 3)
	want := []float64{-2 / sd, 1, 0, 0, -1, 0, 0, 0, 1, 0, 0, 1, 2 / sd, 1, 0, 0, 1, 0}
	for i := range want {
		if math.Abs(x[i]-want[i]) > 1e-12 {
			t.Fatalf("x = %v, want %v", x, want)
		}
	}
	// New data: unseen level → other; a word in a numeric column → error with line.
	tab2, _ := ReadCSV(strings.NewReader("num,cat,gap\n2,z,6\nten,a,1\n"), "new.csv")
	if _, err := e.Encode(tab2, []int{0}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Encode(tab2, nil); err == nil || !strings.Contains(err.Error(), `new.csv:3: column "num": "ten" is not a number`) {
		t.Fatalf("bad number: %v", err)
	}
}

func TestColumn(t *testing.T) {
	c := ColumnOf([]string{"a", "", "ccc", "dd"})
	if c.Len() != 4 || c.At(0) != "a" || c.At(1) != "" || c.At(2) != "ccc" || c.At(3) != "dd" {
		t.Fatalf("column %+v", c)
	}
	var got []string
	for i, v := range c.All() {
		if c.At(i) != v {
			t.Fatalf("All row %d: %q vs %q", i, v, c.At(i))
		}
		got = append(got, v)
		if i == 2 {
			break
		}
	}
	if strings.Join(got, ",") != "a,,ccc" {
		t.Fatalf("All with break: %v", got)
	}
	tab, _ := ReadCSV(strings.NewReader("x\n1\n2\n"), "t.csv")
	if err := tab.AddColumn("y", []string{"a"}); err == nil {
		t.Fatal("short column accepted")
	}
	if err := tab.AddColumn("x", []string{"a", "b"}); err == nil {
		t.Fatal("duplicate column accepted")
	}
	if err := tab.AddColumn("y", []string{"a", "b"}); err != nil || tab.Cols[1].At(1) != "b" {
		t.Fatalf("AddColumn: %v", err)
	}
}
