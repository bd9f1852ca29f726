package feature

import (
	"bufio"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/sagitta-dev/sagitta/internal/model/rfm"
)

// File format: the magic line "SAGITTA-FEATURES\n", a version byte, then one
// gob value (fileTable): the columns as slices, and the incremental state as
// slices of its fields, so a loaded table can be Applied to and Advanced.
const (
	fileMagic   = "SAGITTA-FEATURES\n"
	fileVersion = 1
)

// ErrFormat: the file is not a feature table this version can read.
var ErrFormat = errors.New("not a feature table file")

type fileTable struct {
	AsOf  time.Time
	IDs   []int64
	Cols  []Column
	Num   map[string][]float64 // aliases left out
	Text  map[string][]string
	State *fileState
}

type fileState struct {
	Location   string
	Offset     int // of the zone when saved, should its name not load
	Bins       int
	HalfLife   float64
	ViewWeight float64
	Attributes []string
	Classes    rfm.ClassOptions
	Lifecycle  rfm.LifecycleOptions
	Price      rfm.PriceOptions

	AsOfSec int64
	AsOfDay rfm.Day
	Ref     rfm.Day

	Monetary, Returns, Discount, DiscAmount   []float64
	LastSec                                   []int64
	Freq, Lines, DiscLines                    []int32
	CouponOrders                              []int32
	First, Last, Prev, LastEvent              []rfm.Day
	CatK, BrandK                              []int32
	ChanK, PayK                               []int16
	CatW, BrandW, ChanW, PayW                 []float32
	Hours                                     []uint8
	OrdSec                                    []int64
	OrdAmount                                 []float64
	OrdCust                                   []int32
	OrdDay                                    []rfm.Day
	OrdPromo                                  []bool
	EvSec                                     []int64
	EvCust                                    []int32
	EvDay                                     []rfm.Day
	EvCart                                    []bool
	PendSec                                   []int64
	PendCust                                  []int32
	CatOff, CatCat                            []int32
	CatDay                                    []rfm.Day
	ExtraKey                                  []uint64
	ExtraDay                                  []rfm.Day
	PromoHits                                 []int32
	Cats, Brands, Channels, Payments, ItemIDs []string
	ItemCat, ItemBrand                        []int32
	Models                                    models
}

// Save writes the table, with its incremental state when it has one.
func (t *Table) Save(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	if _, err := bw.WriteString(fileMagic); err != nil {
		return fmt.Errorf("write feature table: %w", err)
	}
	if err := bw.WriteByte(fileVersion); err != nil {
		return fmt.Errorf("write feature table: %w", err)
	}
	ft := fileTable{AsOf: t.AsOf, IDs: t.IDs, Cols: t.Cols, Num: make(map[string][]float64, len(t.Num)), Text: t.Text}
	for name, col := range t.Num {
		if _, alias := aliases[name]; !alias {
			ft.Num[name] = col
		}
	}
	if t.st != nil {
		ft.State = t.st.file()
	}
	if err := gob.NewEncoder(bw).Encode(&ft); err != nil {
		return fmt.Errorf("write feature table: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write feature table: %w", err)
	}
	return nil
}

// Load reads a table written by Save.
func Load(r io.Reader) (*Table, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	head := make([]byte, len(fileMagic)+1)
	if _, err := io.ReadFull(br, head); err != nil || string(head[:len(fileMagic)]) != fileMagic {
		return nil, fmt.Errorf("read feature table: %w", ErrFormat)
	}
	if v := head[len(fileMagic)]; v != fileVersion {
		return nil, fmt.Errorf("read feature table: version %d, this build reads %d: %w", v, fileVersion, ErrFormat)
	}
	var ft fileTable
	if err := gob.NewDecoder(br).Decode(&ft); err != nil {
		return nil, fmt.Errorf("read feature table: %w", err)
	}
	t := &Table{AsOf: ft.AsOf, IDs: ft.IDs, Cols: ft.Cols, Num: ft.Num, Text: ft.Text}
	if t.Num == nil {
		t.Num = map[string][]float64{}
	}
	if t.Text == nil {
		t.Text = map[string][]string{}
	}
	n := len(t.IDs)
	for name, col := range t.Num {
		if len(col) != n {
			return nil, fmt.Errorf("read feature table: column %q has %d rows, want %d: %w", name, len(col), n, ErrFormat)
		}
	}
	for name, col := range t.Text {
		if len(col) != n {
			return nil, fmt.Errorf("read feature table: column %q has %d rows, want %d: %w", name, len(col), n, ErrFormat)
		}
	}
	for alias, name := range aliases {
		if col, ok := t.Num[name]; ok {
			t.Num[alias] = col
		}
	}
	if ft.State != nil {
		s, err := ft.State.state(n)
		if err != nil {
			return nil, fmt.Errorf("read feature table: %w", err)
		}
		t.st = s
		s.bind(t, n)
	}
	return t, nil
}

func (s *state) file() *fileState {
	o := s.opts
	_, off := time.Now().In(o.Location).Zone()
	f := &fileState{Location: o.Location.String(), Offset: off, Bins: o.Bins, HalfLife: o.HalfLife,
		ViewWeight: o.ViewWeight, Attributes: o.Attributes, Classes: o.Classes, Lifecycle: o.Lifecycle, Price: o.Price,
		AsOfSec: s.asOfSec, AsOfDay: s.k.asOf, Ref: s.k.ref, PromoHits: s.promoHits, Models: s.m,
		CatOff: s.catIdx.off, CatCat: s.catIdx.cat, CatDay: s.catIdx.day,
		Cats: s.cats.names, Brands: s.brands.names, Channels: s.channels.names, Payments: s.payments.names}
	n := len(s.k.acc)
	f.Monetary, f.Returns, f.Discount, f.DiscAmount = make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	f.LastSec = make([]int64, n)
	f.Freq, f.Lines, f.DiscLines, f.CouponOrders = make([]int32, n), make([]int32, n), make([]int32, n), make([]int32, n)
	f.First, f.Last, f.Prev, f.LastEvent = make([]rfm.Day, n), make([]rfm.Day, n), make([]rfm.Day, n), make([]rfm.Day, n)
	f.CatK, f.BrandK, f.ChanK, f.PayK = make([]int32, 4*n), make([]int32, 4*n), make([]int16, 4*n), make([]int16, 4*n)
	f.CatW, f.BrandW, f.ChanW, f.PayW = make([]float32, 4*n), make([]float32, 4*n), make([]float32, 4*n), make([]float32, 4*n)
	f.Hours = make([]uint8, 24*n)
	for i := range s.k.acc {
		a := &s.k.acc[i]
		d := &a.disc
		f.Monetary[i], f.Returns[i], f.Discount[i], f.DiscAmount[i] = a.monetary, s.k.ret[i], float64(d.discount), float64(d.discAmount)
		f.LastSec[i] = a.lastSec
		f.Freq[i], f.Lines[i], f.DiscLines[i], f.CouponOrders[i] = a.freq, a.lines, d.lines, a.couponOrders
		f.First[i], f.Last[i], f.Prev[i], f.LastEvent[i] = a.first, a.last, a.prev, a.lastEvent
		for j, t := range []*top4{&a.cat, &a.brand} {
			copy([][]int32{f.CatK, f.BrandK}[j][4*i:], t.k[:])
			copy([][]float32{f.CatW, f.BrandW}[j][4*i:], t.w[:])
		}
		for j, t := range []*small4{&a.channel, &a.payment} {
			copy([][]int16{f.ChanK, f.PayK}[j][4*i:], t.k[:])
			copy([][]float32{f.ChanW, f.PayW}[j][4*i:], t.w[:])
		}
		copy(f.Hours[24*i:], a.hour[:])
	}
	for e := range s.k.orders.all() {
		f.OrdSec, f.OrdAmount, f.OrdCust = append(f.OrdSec, e.sec), append(f.OrdAmount, e.amount), append(f.OrdCust, e.cust)
		f.OrdDay, f.OrdPromo = append(f.OrdDay, e.day), append(f.OrdPromo, e.promo)
	}
	for _, e := range s.events {
		f.EvSec, f.EvCust, f.EvDay, f.EvCart = append(f.EvSec, e.sec), append(f.EvCust, e.cust), append(f.EvDay, e.day), append(f.EvCart, e.cart)
	}
	for _, p := range s.pending {
		f.PendSec, f.PendCust = append(f.PendSec, p.sec), append(f.PendCust, p.cust)
	}
	for k, d := range s.catIdx.extra {
		f.ExtraKey, f.ExtraDay = append(f.ExtraKey, k), append(f.ExtraDay, d)
	}
	for id, it := range s.items {
		f.ItemIDs, f.ItemCat, f.ItemBrand = append(f.ItemIDs, id), append(f.ItemCat, it.cat), append(f.ItemBrand, it.brand)
	}
	return f
}

func (f *fileState) state(n int) (*state, error) {
	loc, err := time.LoadLocation(f.Location)
	if err != nil {
		loc = time.FixedZone(f.Location, f.Offset)
	}
	if f.Location == "UTC" {
		loc = time.UTC
	}
	opts := Options{Location: loc, Bins: f.Bins, HalfLife: f.HalfLife, ViewWeight: f.ViewWeight, Attributes: f.Attributes,
		Classes: f.Classes, Lifecycle: f.Lifecycle, Price: f.Price}.withDefaults()
	bad := func(what string) error { return fmt.Errorf("state %s has the wrong length: %w", what, ErrFormat) }
	for name, l := range map[string][2]int{"monetary": {len(f.Monetary), 1}, "returns": {len(f.Returns), 1},
		"discount": {len(f.Discount), 1}, "disc_amount": {len(f.DiscAmount), 1}, "last_sec": {len(f.LastSec), 1},
		"freq": {len(f.Freq), 1}, "lines": {len(f.Lines), 1},
		"disc_lines": {len(f.DiscLines), 1}, "coupon_orders": {len(f.CouponOrders), 1}, "first": {len(f.First), 1},
		"last": {len(f.Last), 1}, "prev": {len(f.Prev), 1}, "last_event": {len(f.LastEvent), 1},
		"promo_hits": {len(f.PromoHits), 1}, "cat_off": {len(f.CatOff) - 1, 1},
		"cat_k": {len(f.CatK), 4}, "cat_w": {len(f.CatW), 4}, "brand_k": {len(f.BrandK), 4}, "brand_w": {len(f.BrandW), 4},
		"chan_k": {len(f.ChanK), 4}, "chan_w": {len(f.ChanW), 4}, "pay_k": {len(f.PayK), 4}, "pay_w": {len(f.PayW), 4},
		"hours": {len(f.Hours), 24}} {
		if l[0] != l[1]*n {
			return nil, bad(name)
		}
	}
	if len(f.CatCat) != len(f.CatDay) || len(f.ExtraKey) != len(f.ExtraDay) || len(f.ItemIDs) != len(f.ItemCat) ||
		len(f.ItemIDs) != len(f.ItemBrand) || len(f.OrdSec) != len(f.OrdCust) || len(f.EvSec) != len(f.EvCust) ||
		len(f.PendSec) != len(f.PendCust) || len(f.OrdAmount) != len(f.OrdSec) || len(f.OrdDay) != len(f.OrdSec) ||
		len(f.OrdPromo) != len(f.OrdSec) || len(f.EvDay) != len(f.EvSec) || len(f.EvCart) != len(f.EvSec) {
		return nil, bad("logs")
	}
	s := &state{opts: opts, asOfSec: f.AsOfSec, promoHits: f.PromoHits, m: f.Models, items: make(map[string]itemInfo, len(f.ItemIDs))}
	s.k = kernel{asOf: f.AsOfDay, ref: f.Ref, halfLife: opts.HalfLife, acc: make([]acc, n), ret: f.Returns}
	for i := range n {
		a := &s.k.acc[i]
		a.monetary, a.lastSec = f.Monetary[i], f.LastSec[i]
		a.disc = discAcc{discount: float32(f.Discount[i]), discAmount: float32(f.DiscAmount[i]), lines: f.DiscLines[i]}
		a.freq, a.lines, a.couponOrders = f.Freq[i], f.Lines[i], f.CouponOrders[i]
		a.first, a.last, a.prev, a.lastEvent = f.First[i], f.Last[i], f.Prev[i], f.LastEvent[i]
		for j, t := range []*top4{&a.cat, &a.brand} {
			copy(t.k[:], [][]int32{f.CatK, f.BrandK}[j][4*i:])
			copy(t.w[:], [][]float32{f.CatW, f.BrandW}[j][4*i:])
		}
		for j, t := range []*small4{&a.channel, &a.payment} {
			copy(t.k[:], [][]int16{f.ChanK, f.PayK}[j][4*i:])
			copy(t.w[:], [][]float32{f.ChanW, f.PayW}[j][4*i:])
		}
		copy(a.hour[:], f.Hours[24*i:])
	}
	inRange := func(c int32) bool { return c >= 0 && int(c) < n }
	for i := range f.OrdSec {
		if !inRange(f.OrdCust[i]) {
			return nil, bad("orders")
		}
		s.k.orders.add(orderEntry{sec: f.OrdSec[i], amount: f.OrdAmount[i], cust: f.OrdCust[i], day: f.OrdDay[i], promo: f.OrdPromo[i]})
	}
	for i := range f.EvSec {
		if !inRange(f.EvCust[i]) {
			return nil, bad("events")
		}
		s.events = append(s.events, eventEntry{sec: f.EvSec[i], cust: f.EvCust[i], day: f.EvDay[i], cart: f.EvCart[i]})
	}
	for i := range f.PendSec {
		if !inRange(f.PendCust[i]) {
			return nil, bad("pending")
		}
		s.pending = append(s.pending, pendingAdd{sec: f.PendSec[i], cust: f.PendCust[i]})
	}
	for i := range n {
		if f.CatOff[i] < 0 || f.CatOff[i] > f.CatOff[i+1] || int(f.CatOff[i+1]) > len(f.CatCat) {
			return nil, bad("categories")
		}
	}
	s.catIdx = catIndex{off: f.CatOff, cat: f.CatCat, day: f.CatDay}
	if len(f.ExtraKey) > 0 {
		s.catIdx.extra = make(map[uint64]rfm.Day, len(f.ExtraKey))
		for i, k := range f.ExtraKey {
			s.catIdx.extra[k] = f.ExtraDay[i]
		}
	}
	s.cats.names, s.brands.names, s.channels.names, s.payments.names = f.Cats, f.Brands, f.Channels, f.Payments
	for i, id := range f.ItemIDs {
		s.items[id] = itemInfo{f.ItemCat[i], f.ItemBrand[i]}
	}
	return s, nil
}
