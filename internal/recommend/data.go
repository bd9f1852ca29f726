package recommend

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Dataset is a list of implicit-feedback interactions (user saw, rated or
// bought item at a time) over dense user and item numbers.
type Dataset struct {
	Users []string  // user names by number
	Items []string  // item names by number
	U, I  []int32   // per interaction
	T     []int64   // Unix seconds, 0 when unknown
	W     []float32 // weight: 1 for a purchase or a rating, less for a lighter event
	users map[string]int32
	items map[string]int32
}

// NewDataset returns an empty dataset.
func NewDataset() *Dataset {
	return &Dataset{users: map[string]int32{}, items: map[string]int32{}}
}

// Add appends one interaction of weight 1.
func (d *Dataset) Add(user, item string, t int64) { d.AddWeighted(user, item, t, 1) }

// AddWeighted appends one interaction of weight w (> 0).
func (d *Dataset) AddWeighted(user, item string, t int64, w float32) {
	u, ok := d.users[user]
	if !ok {
		u = int32(len(d.Users))
		d.users[user] = u
		d.Users = append(d.Users, user)
	}
	i, ok := d.items[item]
	if !ok {
		i = int32(len(d.Items))
		d.items[item] = i
		d.Items = append(d.Items, item)
	}
	d.U = append(d.U, u)
	d.I = append(d.I, i)
	d.T = append(d.T, t)
	d.W = append(d.W, w)
}

// Len is the number of interactions.
func (d *Dataset) Len() int { return len(d.U) }

// Formats of an interaction file.
const (
	FormatAuto         = "auto"
	FormatCSV          = "csv"           // header user,item[,rating,timestamp]
	FormatMovieLens    = "movielens"     // u.data: user TAB item TAB rating TAB timestamp, no header
	FormatOnlineRetail = "online-retail" // UCI Online Retail: sales with a customer id
)

// ReadInteractions reads an interaction file (gzip is read transparently).
// Formats: csv with a header naming user and item (and optionally rating and
// timestamp, Unix seconds or RFC 3339); movielens u.data; online-retail
// (lines with a CustomerID and a positive Quantity, cancellations "C…"
// left out). auto picks one from the first line. The rating, when present, is
// not a weight: every line is one interaction (implicit feedback).
func ReadInteractions(ctx context.Context, r io.Reader, name, format string) (*Dataset, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	if b, err := br.Peek(2); err == nil && b[0] == 0x1f && b[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 1<<16)
	}
	if format == "" || format == FormatAuto {
		first, _ := br.Peek(512)
		line := strings.ToLower(strings.SplitN(string(first), "\n", 2)[0])
		switch {
		case strings.HasPrefix(line, "invoiceno,"):
			format = FormatOnlineRetail
		case strings.Count(line, "\t") == 3 && !strings.Contains(line, "user"):
			format = FormatMovieLens
		default:
			format = FormatCSV
		}
	}
	d := NewDataset()
	var err error
	switch format {
	case FormatMovieLens:
		err = readMovieLens(ctx, br, name, d)
	case FormatCSV:
		err = readCSV(ctx, br, name, d)
	case FormatOnlineRetail:
		err = readOnlineRetail(ctx, br, name, d)
	default:
		return nil, fmt.Errorf("unknown interaction format %q (auto, csv, movielens, online-retail)", format)
	}
	if err != nil {
		return nil, err
	}
	if d.Len() == 0 {
		return nil, fmt.Errorf("%s: no interactions", name)
	}
	return d, nil
}

func readMovieLens(ctx context.Context, r *bufio.Reader, name string, d *Dataset) error {
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		if line%(1<<16) == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		f := strings.Split(sc.Text(), "\t")
		if len(f) == 1 && strings.TrimSpace(f[0]) == "" {
			continue
		}
		if len(f) < 2 {
			return fmt.Errorf("%s:%d: want user TAB item TAB rating TAB timestamp, got %q", name, line, sc.Text())
		}
		var t int64
		if len(f) >= 4 {
			var err error
			if t, err = strconv.ParseInt(strings.TrimSpace(f[3]), 10, 64); err != nil {
				return fmt.Errorf("%s:%d: column 4 (timestamp): %q is not Unix seconds", name, line, f[3])
			}
		}
		d.Add(f[0], f[1], t)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	return nil
}

func readCSV(ctx context.Context, r io.Reader, name string, d *Dataset) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return fmt.Errorf("%s: cannot read the header: %w", name, err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	uc, ok1 := col["user"]
	ic, ok2 := col["item"]
	if !ok1 || !ok2 {
		return fmt.Errorf("%s:1: the header must name the columns user and item (and optionally rating, timestamp), got %q", name, strings.Join(head, ","))
	}
	tc, hasT := col["timestamp"]
	return eachRecord(ctx, cr, name, func(line int, rec []string) error {
		if uc >= len(rec) || ic >= len(rec) || rec[uc] == "" || rec[ic] == "" {
			return fmt.Errorf("%s:%d: user and item are required", name, line)
		}
		var t int64
		if hasT && tc < len(rec) && rec[tc] != "" {
			var err error
			if t, err = parseTime(rec[tc]); err != nil {
				return fmt.Errorf("%s:%d: column %d (timestamp): %v", name, line, tc+1, err)
			}
		}
		d.Add(rec[uc], rec[ic], t)
		return nil
	})
}

// eachRecord calls fn for every CSV record after the header, with its line
// number, checking ctx now and then.
func eachRecord(ctx context.Context, cr *csv.Reader, name string, fn func(line int, rec []string) error) error {
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if line%(1<<16) == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if err := fn(line, rec); err != nil {
			return err
		}
	}
}

func parseTime(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) {
		return int64(f), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Unix(), nil
		}
	}
	return 0, fmt.Errorf("%q is neither Unix seconds nor a date", s)
}

func readOnlineRetail(ctx context.Context, r io.Reader, name string, d *Dataset) error {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return fmt.Errorf("%s: cannot read the header: %w", name, err)
	}
	if len(head) < 8 {
		return fmt.Errorf("%s:1: an Online Retail file has 8 columns (InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country), got %d", name, len(head))
	}
	// InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
	return eachRecord(ctx, cr, name, func(line int, rec []string) error {
		if strings.HasPrefix(rec[0], "C") || rec[6] == "" {
			return nil
		}
		q, err := strconv.ParseFloat(rec[3], 64)
		if err != nil {
			return fmt.Errorf("%s:%d: column 4 (Quantity): %q is not a number", name, line, rec[3])
		}
		if q <= 0 {
			return nil
		}
		t, err := time.Parse("2006-01-02 15:04:05", rec[4])
		if err != nil {
			return fmt.Errorf("%s:%d: column 5 (InvoiceDate): %q is not YYYY-MM-DD hh:mm:ss", name, line, rec[4])
		}
		d.Add(strings.TrimSuffix(rec[6], ".0"), rec[1], t.Unix())
		return nil
	})
}
