package uplift

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// FuzzTrain feeds arbitrary CSV text through the contract: reading, labels,
// encoding, training and scoring must fail with an error or succeed, never
// panic, and a successful model must survive a round trip.
func FuzzTrain(f *testing.F) {
	f.Add("t,y,a,b\n1,1,3,x\n0,0,,y\n1,0,5,x\n0,1,2,\n")
	f.Add("t,y\n1,1\n0,0\n")
	f.Add("t,y,a\n1,yes,1e308\n0,no,-1e308\n1,TRUE,NaN\n0,false,inf\n")
	f.Add("\ufefft,y,a\n\"1\",\"1\",\"a,b\"\n0,0,\"\"\n")
	f.Fuzz(func(t *testing.T, data string) {
		tab, err := ReadCSV(strings.NewReader(data), "fuzz.csv")
		if err != nil {
			return
		}
		spec := Spec{TreatmentCol: "t", Treatment: "1", Control: "0", Outcome: "y"}
		for _, kind := range Kinds {
			m, err := Train(context.Background(), tab, spec, Options{Kind: kind, Forest: ForestOptions{Trees: 3}})
			if err != nil {
				continue
			}
			var buf bytes.Buffer
			if err := m.Write(&buf); err != nil {
				t.Fatal(err)
			}
			r, err := Read(&buf)
			if err != nil {
				t.Fatalf("model does not round-trip: %v", err)
			}
			if _, err := r.Score(context.Background(), tab); err != nil {
				t.Fatalf("training table does not score: %v", err)
			}
		}
	})
}
