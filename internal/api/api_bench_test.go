package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/api"
)

const benchBatch = 1000

// eventBatch returns batch n of benchBatch distinct events, each from one of
// 5,000 visitors and perVisitor events in a row from the same visitor (0:
// anonymous events).
func eventBatch(n, perVisitor int) []byte {
	var b bytes.Buffer
	types := []string{"view", "view", "view", "search", "cart_add", "favorite"}
	t0 := time.Date(2011, 1, 1, 0, 0, 0, 0, time.UTC)
	b.WriteByte('[')
	for i := range benchBatch {
		k := n*benchBatch + i
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"event":"`)
		b.WriteString(strconv.Itoa(k))
		if perVisitor > 0 {
			b.WriteString(`","customer":"v`)
			b.WriteString(strconv.Itoa(k / perVisitor * 7919 % 5000))
		}
		b.WriteString(`","type":"`)
		b.WriteString(types[k%len(types)])
		b.WriteString(`","time":"`)
		b.WriteString(t0.Add(time.Duration(k) * time.Second).Format(time.RFC3339))
		b.WriteString(`","item":"`)
		b.WriteString(strconv.Itoa(20000 + k%3000))
		b.WriteString(`","props":{"page":"/p/`)
		b.WriteString(strconv.Itoa(k % 3000))
		b.WriteString(`"}}`)
	}
	b.WriteByte(']')
	return b.Bytes()
}

// BenchmarkIngestEvents posts batches of 1,000 new events to a real server
// over loopback, backed by SQLite: from 1,000 different known visitors (each
// needs an identity lookup), in sessions of 20 events per visitor, and from
// anonymous visitors.
func BenchmarkIngestEvents(b *testing.B) {
	for _, c := range []struct {
		name       string
		perVisitor int
	}{{"visitors=1000", 1}, {"visitors=50", 20}, {"anonymous", 0}} {
		b.Run(c.name, func(b *testing.B) { benchmarkIngestEvents(b, c.perVisitor) })
	}
	b.Run("visitors=1000/clients=4", benchmarkIngestEventsParallel)
}

// benchmarkIngestEventsParallel posts from 4 clients at once, so that
// decoding one request overlaps the transaction of another.
func benchmarkIngestEventsParallel(b *testing.B) {
	e := newEnv(b, api.Options{Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	auth := "Bearer " + e.keys["admin"]
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(max(1, 4/runtime.GOMAXPROCS(0)))
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			postEvents(b, srv, auth, eventBatch(int(next.Add(1)), 1))
		}
	})
	b.ReportMetric(float64(next.Load()*benchBatch)/time.Since(start).Seconds(), "events/s")
}

func postEvents(b *testing.B, srv *httptest.Server, auth string, body []byte) {
	r, err := http.NewRequest("POST", srv.URL+"/v1/events", bytes.NewReader(body))
	if err != nil {
		b.Error(err)
		return
	}
	r.Header.Set("Authorization", auth)
	r.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client().Do(r)
	if err != nil {
		b.Error(err)
		return
	}
	out, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		b.Errorf("status %d: %s %v", resp.StatusCode, out, err)
		return
	}
	var res ingestResult
	if err := json.Unmarshal(out, &res); err != nil || res.Imported != benchBatch {
		b.Errorf("imported %d of %d: %s", res.Imported, benchBatch, out)
	}
}

func benchmarkIngestEvents(b *testing.B, perVisitor int) {
	e := newEnv(b, api.Options{Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	auth := "Bearer " + e.keys["admin"]
	b.ReportAllocs()
	var sent int64
	for n := 0; b.Loop(); n++ {
		b.StopTimer()
		body := eventBatch(n, perVisitor)
		b.SetBytes(int64(len(body)))
		b.StartTimer()
		postEvents(b, srv, auth, body)
		sent += benchBatch
	}
	b.ReportMetric(float64(sent)/b.Elapsed().Seconds(), "events/s")
}
