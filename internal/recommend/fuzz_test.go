package recommend

import (
	"context"
	"strings"
	"testing"
)

// FuzzReadInteractions: any input is either refused with an error naming
// the file or read into consistent columns.
func FuzzReadInteractions(f *testing.F) {
	f.Add("user,item,rating,timestamp\n1,a,5,100\n2,b,,2011-01-02\n")
	f.Add("196\t242\t3\t881250949\n")
	f.Add("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n536365,85123A,X,6,2010-12-01 08:26:00,2.55,17850.0,UK\n")
	f.Fuzz(func(t *testing.T, in string) {
		d, err := ReadInteractions(context.Background(), strings.NewReader(in), "f.csv", FormatAuto)
		if err != nil {
			if !strings.Contains(err.Error(), "f.csv") && !strings.Contains(err.Error(), "format") {
				t.Fatalf("error without the file: %v", err)
			}
			return
		}
		if len(d.U) != len(d.I) || len(d.U) != len(d.T) || d.Len() == 0 {
			t.Fatal("inconsistent columns")
		}
		for k := range d.U {
			if int(d.U[k]) >= len(d.Users) || int(d.I[k]) >= len(d.Items) {
				t.Fatal("number out of range")
			}
		}
	})
}
