package measure

import (
	"math"
	"testing"
)

func TestDistributions(t *testing.T) {
	near := func(name string, got, want, tol float64) {
		t.Helper()
		if math.Abs(got-want) > tol {
			t.Errorf("%s = %.8g, want %.8g", name, got, want)
		}
	}
	// Reference values from standard tables.
	near("normQuantile(0.975)", normQuantile(0.975), 1.959963985, 1e-8)
	near("normCDF(1.645)", normCDF(1.645), 0.950015, 1e-6)
	near("twoSidedNormal(1.96)", twoSidedNormal(1.96), 0.0499958, 1e-6)
	near("tQuantile(0.975, 10)", tQuantile(0.975, 10), 2.228139, 1e-5)
	near("tQuantile(0.975, 1)", tQuantile(0.975, 1), 12.7062, 1e-3)
	near("tQuantile(0.995, 30)", tQuantile(0.995, 30), 2.749996, 1e-5)
	near("twoSidedT(2.228139, 10)", twoSidedT(2.228139, 10), 0.05, 1e-6)
	near("tCDF(-1, 5)", tCDF(-1, 5), 0.1816087, 1e-6)
	near("tCDF(0, 3)", tCDF(0, 3), 0.5, 1e-12)
	near("regIncBeta(2,3,0.4)", regIncBeta(2, 3, 0.4), 0.5248, 1e-10)
}
