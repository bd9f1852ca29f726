package campaign

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/RoaringBitmap/roaring/v2/roaring64"

	"github.com/sagitta-dev/sagitta/internal/contact"
	"github.com/sagitta-dev/sagitta/internal/measure"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// LineScanner reads the order lines; a store.Store implements it.
type LineScanner interface {
	ScanLines(ctx context.Context, asOf time.Time, fn func(row *store.LineRow) error) error
}

// ReportOptions are the knobs of a campaign report.
type ReportOptions struct {
	Window     time.Duration // attribution window after the touch; default 7 days
	Rule       measure.Rule  // for orders several campaigns cover; default last touch
	Margin     float64       // gross margin of revenue, 0 < m ≤ 1; default 1
	Confidence float64       // default 0.95
}

// Report is a campaign's result against its holdout.
type Report struct {
	Campaign    string          `json:"campaign"`
	LaunchedAt  time.Time       `json:"launched_at"`
	Window      string          `json:"window"`
	Attribution string          `json:"attribution"`
	Assignment  measure.Holdout `json:"assignment"` // the holdout percentages
	Target      string          `json:"target,omitempty"`
	// Sent counts the treated customers a message actually reached; the
	// treatment arm is every customer assigned to it (intention to treat).
	Sent int64 `json:"sent"`
	// Orders are the orders of either arm placed in the window.
	Orders int `json:"orders"`
	// Complete is false while the window has not yet passed.
	Complete bool `json:"complete"`
	measure.Report
}

// reportInput is what a report is computed from.
type reportInput struct {
	campaign  string
	treated   []int64 // the treatment arm (ascending)
	held      []int64 // the holdout arm (ascending)
	touchAt   time.Time
	offerCost float64         // of the treated arm: the offer's unit cost × messages sent
	others    []measure.Touch // other campaigns' touches of the same customers
	orders    []measure.Order // orders of either arm, any time around the campaign
	opts      ReportOptions
	kpiWindow time.Duration
}

// buildReport attributes the orders and summarizes both arms. It is pure,
// so that it can be measured on its own (BenchmarkCampaignReport1M).
//
// Only customers with an order in the window can convert, so only their
// touches go through attribution; everyone else is counted as a
// non-converting member of their arm.
func buildReport(in *reportInput) (measure.Report, int, error) {
	end := in.touchAt.Add(in.opts.Window)
	start := in.touchAt.Add(-in.kpiWindow)
	var after []measure.Order
	before := map[int64]float64{}
	afterAll := map[int64]float64{}
	for _, o := range in.orders {
		switch {
		case o.At.Before(start) || !o.At.Before(end):
		case o.At.Before(in.touchAt):
			before[o.Customer] += o.Revenue
		default:
			after = append(after, o)
			afterAll[o.Customer] += o.Revenue
		}
	}
	var touches []measure.Touch
	for _, arm := range []struct {
		ids  []int64
		held bool
	}{{in.treated, false}, {in.held, true}} {
		for _, id := range arm.ids {
			if _, ok := afterAll[id]; ok {
				touches = append(touches, measure.Touch{Customer: id, Campaign: in.campaign, At: in.touchAt, Holdout: arm.held})
			}
		}
	}
	for _, t := range in.others {
		if _, ok := afterAll[t.Customer]; ok {
			touches = append(touches, t)
		}
	}
	credited := map[int64]float64{}
	for _, c := range measure.Attribute(touches, after, measure.Attribution{Window: in.opts.Window, Rule: in.opts.Rule}) {
		if c.Campaign == in.campaign {
			credited[c.Customer] += c.Revenue
		}
	}
	// Only customers with an order around the launch have an outcome other
	// than zero; the others only count.
	var t measure.Tally
	active := make(map[int64]bool, len(before)+len(afterAll))
	for id := range before {
		active[id] = true
	}
	for id := range afterAll {
		active[id] = true
	}
	var activeT, activeH int64
	for id := range active {
		o := measure.Outcome{Customer: id, KPIBefore: before[id], KPIAfter: afterAll[id]}
		o.Revenue, o.Converted = credited[id]
		if _, ok := slices.BinarySearch(in.treated, id); ok {
			activeT++
		} else if _, ok := slices.BinarySearch(in.held, id); ok {
			o.Holdout = true
			activeH++
		} else {
			continue
		}
		t.Add(o)
	}
	t.Treatment.N += int64(len(in.treated)) - activeT
	t.Holdout.N += int64(len(in.held)) - activeH
	t.Treatment.Cost = in.offerCost // only the arm's total enters the report
	r, err := t.Report(measure.Options{Confidence: in.opts.Confidence, Margin: in.opts.Margin, KPI: true,
		KPIName: "revenue per customer over " + fmtWindow(in.kpiWindow)})
	return r, len(after), err
}

func fmtWindow(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}

// Report measures a launched campaign against its holdout: the orders of
// both arms in the window after the launch (the moment the held out would
// have been contacted), attributed by the rule among every campaign that
// touched them.
func (s *Service) Report(ctx context.Context, name string, o ReportOptions) (Report, error) {
	if o.Window <= 0 {
		o.Window = 7 * 24 * time.Hour
	}
	c, err := s.Get(name)
	if err != nil {
		return Report{}, err
	}
	if c.Trigger != nil {
		return Report{}, fmt.Errorf("campaign %q is a triggered journey: its customers are touched at their own moments, which reports do not "+
			"handle yet (the holdout is kept: contact history kind %q and the arms): %w", name, ContactHoldout, ErrState)
	}
	run, err := s.opts.Store.CampaignRun(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return Report{}, fmt.Errorf("campaign %q has not been launched; there is nothing to report yet: %w", name, ErrState)
	}
	if err != nil {
		return Report{}, err
	}
	arms, err := s.ArmsOf(ctx, name)
	if err != nil {
		return Report{}, err
	}
	lines, ok := s.opts.Store.(LineScanner)
	if !ok {
		return Report{}, errors.New("campaign report: the store cannot scan orders")
	}
	in := &reportInput{campaign: name, touchAt: arms.TouchAt, opts: o, kpiWindow: o.Window}
	if in.treated, err = decodeIDs(run.Audience); err != nil {
		return Report{}, fmt.Errorf("read the audience of campaign %q: %w", name, err)
	}
	if len(arms.Untargeted) > 0 {
		// a targeted launch is measured as a policy: the eligible customers
		// the plan left out stay in the treatment arm (docs/measure.md)
		un, err := decodeIDs(arms.Untargeted)
		if err != nil {
			return Report{}, err
		}
		in.treated = mergeSorted(in.treated, un)
	}
	if in.held, err = arms.HeldOut(); err != nil {
		return Report{}, err
	}
	counts, err := s.opts.Store.DeliveryCounts(ctx, name)
	if err != nil {
		return Report{}, err
	}
	sent := counts[store.DeliverySent]
	if c.Offer != "" && s.opts.Offers != nil {
		if of, err := s.opts.Offers.Get(c.Offer); err == nil {
			in.offerCost = of.UnitCost * float64(sent) // every send of the campaign carries its offer
		}
	}
	member := roaring64.New()
	member.AddMany(toUint64(in.treated))
	member.AddMany(toUint64(in.held))
	from, to := in.touchAt.Add(-in.kpiWindow), in.touchAt.Add(o.Window)
	if in.others, err = s.otherTouches(ctx, name, member, in.touchAt.Add(-o.Window), to); err != nil {
		return Report{}, err
	}
	var cur *measure.Order
	var curID int64
	err = lines.ScanLines(ctx, time.Time{}, func(l *store.LineRow) error {
		if l.CustomerID == 0 || l.Kind != store.OrderSale || l.PlacedAt.Before(from) || !l.PlacedAt.Before(to) || !member.Contains(uint64(l.CustomerID)) {
			return nil
		}
		if cur == nil || curID != l.OrderID {
			in.orders = append(in.orders, measure.Order{Customer: l.CustomerID, ID: fmt.Sprint(l.OrderID), At: l.PlacedAt})
			cur, curID = &in.orders[len(in.orders)-1], l.OrderID
		}
		cur.Revenue += l.Amount
		return nil
	})
	if err != nil {
		return Report{}, fmt.Errorf("read the orders for campaign %q: %w", name, err)
	}
	mr, n, err := buildReport(in)
	if err != nil {
		return Report{}, fmt.Errorf("report campaign %q: %w", name, err)
	}
	return Report{Campaign: name, LaunchedAt: run.LaunchedAt, Window: fmtWindow(o.Window), Attribution: o.Rule.String(), Assignment: arms.Holdout,
		Target: arms.Target, Sent: sent, Orders: n, Complete: !s.opts.Clock().Before(to), Report: mr}, nil
}

// otherTouches are the touches of other launched campaigns (their sends and
// their holdout markers) of the member customers after from and before to.
func (s *Service) otherTouches(ctx context.Context, name string, member *roaring64.Bitmap, from, to time.Time) ([]measure.Touch, error) {
	var out []measure.Touch
	for _, c := range s.List() {
		if c.Name == name {
			continue
		}
		arms, err := s.ArmsOf(ctx, c.Name)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !arms.TouchAt.After(from) || !arms.TouchAt.Before(to) {
			continue
		}
		ds, err := s.opts.Store.Deliveries(ctx, c.Name, store.DeliverySent)
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			if member.Contains(uint64(d.CustomerID)) {
				out = append(out, measure.Touch{Customer: d.CustomerID, Campaign: c.Name, At: arms.TouchAt})
			}
		}
		held, err := arms.HeldOut()
		if err != nil {
			return nil, err
		}
		for _, id := range held {
			if member.Contains(uint64(id)) {
				out = append(out, measure.Touch{Customer: id, Campaign: c.Name, At: arms.TouchAt, Holdout: true})
			}
		}
	}
	return out, nil
}

func decodeIDs(blob []byte) ([]int64, error) {
	bm := roaring64.New()
	if len(blob) > 0 {
		if err := bm.UnmarshalBinary(blob); err != nil {
			return nil, err
		}
	}
	out := make([]int64, 0, bm.GetCardinality())
	it := bm.Iterator()
	for it.HasNext() {
		out = append(out, int64(it.Next()))
	}
	return out, nil
}

func mergeSorted(a, b []int64) []int64 {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

// ParseReportOptions reads the window ("7d", "48h"; "" for the default)
// and the attribution rule ("last", "first", "split"; "" for last).
func ParseReportOptions(window, attribution string) (ReportOptions, error) {
	var o ReportOptions
	if window != "" {
		var d contact.Duration
		if err := d.UnmarshalText([]byte(window)); err != nil || d <= 0 {
			return o, fmt.Errorf("window: %q is not a duration such as 7d or 48h", window)
		}
		o.Window = time.Duration(d)
	}
	r, err := measure.ParseRule(attribution)
	if err != nil {
		return o, fmt.Errorf("attribution: %w", err)
	}
	o.Rule = r
	return o, nil
}
