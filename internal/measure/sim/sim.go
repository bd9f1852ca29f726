package sim

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
)

// Types of customer response.
const (
	Persuadable  = "persuadable"
	SureThing    = "sure_thing"
	LostCause    = "lost_cause"
	DoNotDisturb = "do_not_disturb"
)

// Types in a fixed order.
var Types = []string{Persuadable, SureThing, LostCause, DoNotDisturb}

// response is P(buy | control) and P(buy | treated) per type: a type is a
// tendency, not a certainty, so even the truth cannot be read off one
// customer's outcome.
var response = map[string][2]float64{
	Persuadable:  {0.04, 0.50},
	SureThing:    {0.70, 0.74},
	LostCause:    {0.01, 0.02},
	DoNotDisturb: {0.40, 0.10},
}

// Customer is one simulated customer with the features a shop would have.
type Customer struct {
	ID          int64
	RecencyDays float64
	Frequency   int
	Monetary    float64
	Class       string // value_loyalty_class A/B/C
	Channel     string // email, sms, app
	Age         int    // 0 = unknown (written blank)
	Region      string
	PriceSens   float64 // 0..1
	Noise1      float64
	Noise2      float64
	OrderValue  float64 // what the customer spends when buying
}

// Offer is one campaign's hidden response model: the type probabilities of
// a customer are a softmax of linear scores of the features, with the
// offer's weights.
type Offer struct {
	Name string
	// Weights of the persuadable score on the standardized features
	// (price sensitivity, recency, frequency, app channel, class C).
	Persuade [5]float64
	// Niche adds to the persuadable score of customers aged 30–44 who
	// prefer SMS: an interaction no linear model of the features represents.
	Niche float64
}

// Discount is the default offer: price-sensitive, lapsing, class B/C
// customers on the app are persuadable.
var Discount = Offer{Name: "discount", Persuade: [5]float64{2.2, 0.6, -0.3, 0.8, 0.7}}

// NewProduct persuades loyal, frequent, price-insensitive customers.
var NewProduct = Offer{Name: "new_product", Persuade: [5]float64{-1.8, -0.8, 1.2, -0.2, -0.9}}

// WinBack persuades customers who lapsed long ago and buy by e-mail.
var WinBack = Offer{Name: "win_back", Persuade: [5]float64{0.3, 2.0, 0.2, -0.7, 0.3}}

// Flash persuades one niche (SMS customers aged 30–44) and, a little, the
// price-sensitive: a nonlinear truth.
var Flash = Offer{Name: "flash", Persuade: [5]float64{0.6, 0, 0, 0, 0}, Niche: 3.2}

// TypeProbs returns P(type | features) for the offer, in the order of Types.
func (o Offer) TypeProbs(c *Customer) [4]float64 {
	ps := (c.PriceSens - 0.5) / 0.29
	rec := (math.Log1p(c.RecencyDays) - 3.8) / 1.1
	freq := (math.Log1p(float64(c.Frequency)) - 1.4) / 0.8
	app := 0.0
	if c.Channel == "app" {
		app = 1
	}
	classC := 0.0
	if c.Class == "C" {
		classC = 1
	}
	age := 0.0
	if c.Age > 0 {
		age = (float64(c.Age) - 45) / 15
	}
	w := o.Persuade
	niche := 0.0
	if c.Channel == "sms" && c.Age >= 30 && c.Age < 45 {
		niche = o.Niche
	}
	s := [4]float64{
		-1.1 + w[0]*ps + w[1]*rec + w[2]*freq + w[3]*app + w[4]*classC + niche, // persuadable
		-0.4 + 1.6*freq - 0.9*rec,          // sure thing
		-0.2 + 1.4*rec - 0.8*freq,          // lost cause
		-0.9 - 1.5*ps + 0.6*age + 0.4*freq, // do not disturb
	}
	var z float64
	for k := range s {
		s[k] = math.Exp(s[k])
		z += s[k]
	}
	for k := range s {
		s[k] /= z
	}
	return s
}

// Response returns P(buy | control) and P(buy | treated) for the customer
// under the offer: the truth an uplift model tries to learn.
func (o Offer) Response(c *Customer) (pc, pt float64) {
	p := o.TypeProbs(c)
	for k, t := range Types {
		pc += p[k] * response[t][0]
		pt += p[k] * response[t][1]
	}
	return pc, pt
}

// TrueUplift is P(buy | treated) − P(buy | control) for the customer.
func (o Offer) TrueUplift(c *Customer) float64 {
	pc, pt := o.Response(c)
	return pt - pc
}

// Customers generates n customers from the seed.
func Customers(n int, seed uint64) []Customer {
	r := rand.New(rand.NewPCG(seed, 0x5ac1))
	cs := make([]Customer, n)
	regions := []string{"north", "south", "east", "west", "central"}
	for i := range cs {
		c := &cs[i]
		c.ID = int64(i + 1)
		c.RecencyDays = math.Round(math.Min(730, r.ExpFloat64()*90)) + 1
		c.Frequency = int(math.Floor(r.ExpFloat64() * 5 * math.Exp(-c.RecencyDays/400)))
		c.Monetary = math.Round(float64(c.Frequency)*math.Exp(3.5+0.6*r.NormFloat64())*100) / 100
		switch {
		case c.Frequency >= 8 && c.Monetary >= 800:
			c.Class = "A"
		case c.Frequency >= 3:
			c.Class = "B"
		default:
			c.Class = "C"
		}
		switch u := r.Float64(); {
		case u < 0.5:
			c.Channel = "email"
		case u < 0.75:
			c.Channel = "sms"
		default:
			c.Channel = "app"
		}
		if r.Float64() > 0.06 {
			c.Age = 18 + int(r.Float64()*r.Float64()*60) + r.IntN(8)
		}
		c.Region = regions[r.IntN(len(regions))]
		c.PriceSens = math.Round(betaish(r, c.Class)*1000) / 1000
		c.Noise1 = math.Round(r.NormFloat64()*1000) / 1000
		c.Noise2 = math.Round(r.Float64()*1000) / 1000
		c.OrderValue = math.Round(math.Exp(3.6+0.5*r.NormFloat64())*100) / 100
	}
	return cs
}

// betaish draws a price sensitivity in [0,1]: class C customers lean high,
// class A low.
func betaish(r *rand.Rand, class string) float64 {
	m := map[string]float64{"A": 0.25, "B": 0.5, "C": 0.65}[class]
	v := m + 0.22*r.NormFloat64()
	return math.Min(1, math.Max(0, v))
}

// Result is one customer's simulated campaign outcome.
type Result struct {
	Treated   bool
	Type      string
	Converted bool
	Revenue   float64
}

// Run simulates a randomized campaign of the offer: each customer is treated
// with probability treatShare, gets a hidden type drawn from the offer's type
// probabilities, and buys with that type's probability in its arm.
func Run(cs []Customer, o Offer, treatShare float64, seed uint64) []Result {
	r := rand.New(rand.NewPCG(seed, 0xca4b))
	out := make([]Result, len(cs))
	for i := range cs {
		res := &out[i]
		res.Treated = r.Float64() < treatShare
		p := o.TypeProbs(&cs[i])
		u := r.Float64()
		k := 0
		for k < 3 && u >= p[k] {
			u -= p[k]
			k++
		}
		res.Type = Types[k]
		arm := 0
		if res.Treated {
			arm = 1
		}
		if r.Float64() < response[res.Type][arm] {
			res.Converted = true
			res.Revenue = cs[i].OrderValue
		}
	}
	return out
}

// DataHeader is the header of WriteData's CSV.
var DataHeader = []string{"customer_id", "recency_days", "frequency", "monetary", "value_loyalty_class", "channel", "age",
	"region", "price_sensitivity", "noise_1", "noise_2", "treatment", "converted", "revenue"}

// WriteData writes the campaign table: features, treatment ("treatment" or
// "control"), converted (0/1) and revenue.
func WriteData(w io.Writer, cs []Customer, rs []Result) error {
	bw := bufio.NewWriter(w)
	for k, h := range DataHeader {
		if k > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString(h)
	}
	bw.WriteByte('\n')
	var b []byte
	for i := range cs {
		c, r := &cs[i], &rs[i]
		b = b[:0]
		b = strconv.AppendInt(b, c.ID, 10)
		b = append(b, ',')
		b = strconv.AppendFloat(b, c.RecencyDays, 'f', -1, 64)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(c.Frequency), 10)
		b = append(b, ',')
		b = strconv.AppendFloat(b, c.Monetary, 'f', 2, 64)
		b = append(b, ',')
		b = append(b, c.Class...)
		b = append(b, ',')
		b = append(b, c.Channel...)
		b = append(b, ',')
		if c.Age > 0 {
			b = strconv.AppendInt(b, int64(c.Age), 10)
		}
		b = append(b, ',')
		b = append(b, c.Region...)
		b = append(b, ',')
		b = strconv.AppendFloat(b, c.PriceSens, 'f', -1, 64)
		b = append(b, ',')
		b = strconv.AppendFloat(b, c.Noise1, 'f', -1, 64)
		b = append(b, ',')
		b = strconv.AppendFloat(b, c.Noise2, 'f', -1, 64)
		if r.Treated {
			b = append(b, ",treatment,"...)
		} else {
			b = append(b, ",control,"...)
		}
		if r.Converted {
			b = append(b, '1')
		} else {
			b = append(b, '0')
		}
		b = append(b, ',')
		b = strconv.AppendFloat(b, r.Revenue, 'f', 2, 64)
		b = append(b, '\n')
		if _, err := bw.Write(b); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// WriteTruth writes the hidden truth: the customer's drawn type, the true
// uplift and both response probabilities under the offer.
func WriteTruth(w io.Writer, cs []Customer, rs []Result, o Offer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "customer_id,type,true_uplift,p_treated,p_control")
	for i := range cs {
		pc, pt := o.Response(&cs[i])
		fmt.Fprintf(bw, "%d,%s,%.6f,%.6f,%.6f\n", cs[i].ID, rs[i].Type, pt-pc, pt, pc)
	}
	return bw.Flush()
}
