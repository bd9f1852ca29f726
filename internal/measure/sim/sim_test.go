package sim

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

func TestDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	cs := Customers(500, 3)
	if err := WriteData(&a, cs, Run(cs, Discount, 0.5, 4)); err != nil {
		t.Fatal(err)
	}
	cs2 := Customers(500, 3)
	if err := WriteData(&b, cs2, Run(cs2, Discount, 0.5, 4)); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Fatal("same seed, different data")
	}
	lines := strings.Split(strings.TrimSpace(a.String()), "\n")
	if len(lines) != 501 || lines[0] != strings.Join(DataHeader, ",") {
		t.Fatalf("%d lines, header %q", len(lines), lines[0])
	}
}

// The simulated population has every type in a sizeable share, the drawn
// types match their probabilities, and the outcome rates per arm match the
// true response probabilities.
func TestTruthConsistent(t *testing.T) {
	cs := Customers(200000, 1)
	for _, o := range []Offer{Discount, NewProduct, WinBack, Flash} {
		rs := Run(cs, o, 0.5, 2)
		share := map[string]float64{}
		var wantShare [4]float64
		var nT, nC, yT, yC, pT, pC float64
		var pos, neg int
		for i := range cs {
			share[rs[i].Type]++
			tp := o.TypeProbs(&cs[i])
			for k := range tp {
				wantShare[k] += tp[k]
			}
			pc, pt := o.Response(&cs[i])
			if pt-pc > 0.05 {
				pos++
			} else if pt-pc < -0.05 {
				neg++
			}
			if rs[i].Treated {
				nT++
				pT += pt
				if rs[i].Converted {
					yT++
				}
			} else {
				nC++
				pC += pc
				if rs[i].Converted {
					yC++
				}
			}
		}
		n := float64(len(cs))
		for k, ty := range Types {
			got, want := share[ty]/n, wantShare[k]/n
			if want < 0.05 {
				t.Errorf("%s: %s share %.3f < 5%%", o.Name, ty, want)
			}
			if math.Abs(got-want) > 0.005 {
				t.Errorf("%s: %s drawn %.4f, expected %.4f", o.Name, ty, got, want)
			}
		}
		if math.Abs(yT/nT-pT/nT) > 0.006 || math.Abs(yC/nC-pC/nC) > 0.006 {
			t.Errorf("%s: rates treated %.4f (true %.4f), control %.4f (true %.4f)", o.Name, yT/nT, pT/nT, yC/nC, pC/nC)
		}
		if pos < len(cs)/10 || neg < len(cs)/100 {
			t.Errorf("%s: %d customers with true uplift > 0.05, %d below −0.05: too few to target", o.Name, pos, neg)
		}
		t.Logf("%s: types %v; ATE %.4f; uplift>0.05: %d, < −0.05: %d", o.Name, share, yT/nT-yC/nC, pos, neg)
	}
}
