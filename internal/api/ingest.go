package api

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/sagitta-dev/sagitta/internal/ingest"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// defaultSource names records that carry no source and come without ?source=.
const defaultSource = "api"

// maxIdempotencyKey bounds the Idempotency-Key header.
const maxIdempotencyKey = 255

// recordKind adapts one ingest record type to ingestRecords.
type recordKind[T any] struct {
	fields   func(*T) (pos *int64, source *string)
	validate func(*T) error
	add      func(*ingest.Batch, []T)
}

func (s *server) postCustomers(w http.ResponseWriter, r *http.Request, key store.APIKey) error {
	return ingestRecords(s, w, r, key, recordKind[ingest.CustomerRecord]{
		fields:   func(rec *ingest.CustomerRecord) (*int64, *string) { return &rec.Pos, &rec.Source },
		validate: (*ingest.CustomerRecord).Validate,
		add:      func(b *ingest.Batch, recs []ingest.CustomerRecord) { b.Customers = recs },
	})
}

func (s *server) postItems(w http.ResponseWriter, r *http.Request, key store.APIKey) error {
	return ingestRecords(s, w, r, key, recordKind[ingest.ItemRecord]{
		fields:   func(rec *ingest.ItemRecord) (*int64, *string) { return &rec.Pos, &rec.Source },
		validate: (*ingest.ItemRecord).Validate,
		add:      func(b *ingest.Batch, recs []ingest.ItemRecord) { b.Items = recs },
	})
}

func (s *server) postOrders(w http.ResponseWriter, r *http.Request, key store.APIKey) error {
	return ingestRecords(s, w, r, key, recordKind[ingest.OrderLineRecord]{
		fields:   func(rec *ingest.OrderLineRecord) (*int64, *string) { return &rec.Pos, &rec.Source },
		validate: (*ingest.OrderLineRecord).Validate,
		add:      func(b *ingest.Batch, recs []ingest.OrderLineRecord) { b.Lines = recs },
	})
}

func (s *server) postEvents(w http.ResponseWriter, r *http.Request, key store.APIKey) error {
	return ingestRecords(s, w, r, key, recordKind[ingest.EventRecord]{
		fields:   func(rec *ingest.EventRecord) (*int64, *string) { return &rec.Pos, &rec.Source },
		validate: (*ingest.EventRecord).Validate,
		add:      func(b *ingest.Batch, recs []ingest.EventRecord) { b.Events = recs },
	})
}

// ingestResult is the response of an ingest request. Received = Imported +
// Updated + Duplicates + Rejected.
type ingestResult struct {
	Received         int           `json:"received"`
	Imported         int64         `json:"imported"`
	Updated          int64         `json:"updated"` // customers and items already stored, now changed
	Duplicates       int64         `json:"duplicates"`
	Rejected         int64         `json:"rejected"`
	CustomersCreated int64         `json:"customers_created"`
	CustomersMerged  int64         `json:"customers_merged"`
	Errors           []recordError `json:"errors"`   // the rejected records
	Problems         []recordError `json:"problems"` // values refused inside records that were imported
}

type recordError struct {
	Index int    `json:"index"`
	Error string `json:"error"`
}

// ingestRecords decodes the records of a request, validates each, loads the
// valid ones in one transaction and answers after the commit.
func ingestRecords[T any](s *server, w http.ResponseWriter, r *http.Request, key store.APIKey, kind recordKind[T]) error {
	q := r.URL.Query()
	source := defaultSource
	if q.Has("source") {
		source = q.Get("source")
		if err := ingest.CheckSource(source); err != nil {
			return errorf(http.StatusBadRequest, "%v", err)
		}
	}
	if ce := r.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		return errorf(http.StatusUnsupportedMediaType, "Content-Encoding %s is not supported; send the body uncompressed", ce)
	}
	idemKey := r.Header.Get("Idempotency-Key")
	if len(idemKey) > maxIdempotencyKey {
		return errorf(http.StatusBadRequest, "Idempotency-Key longer than %d bytes", maxIdempotencyKey)
	}

	var body io.Reader = http.MaxBytesReader(w, r.Body, s.maxBody)
	var h hash.Hash
	if idemKey != "" {
		h = sha256.New()
		fmt.Fprintf(h, "%s\x00%s\x00", r.URL.Path, source) // the same body sent elsewhere is another request
		body = io.TeeReader(body, h)
	}
	recs, err := decodeRecords[T](body, isJSONLines(r.Header.Get("Content-Type")), s.maxRecs)
	if err != nil {
		return err
	}

	var reservation *idemEntry
	if idemKey != "" {
		var sum [32]byte
		h.Sum(sum[:0])
		state, e := s.idem.begin(key.ID+"\x00"+idemKey, sum)
		switch state {
		case idemReplay:
			w.Header().Set("Idempotent-Replayed", "true")
			writeBody(w, e.status, e.body)
			return nil
		case idemConflict:
			return errorf(http.StatusConflict, "Idempotency-Key %q was already used with a different request", idemKey)
		case idemInProgress:
			return errorf(http.StatusConflict, "a request with Idempotency-Key %q is still in progress; retry later", idemKey)
		}
		reservation = e
		defer s.idem.abort(reservation) // unless finished
	}

	res, err := load(r.Context(), s, recs, source, kind)
	if err != nil {
		return err
	}
	out, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("encode ingest result: %w", err)
	}
	out = append(out, '\n')
	if reservation != nil {
		s.idem.finish(reservation, http.StatusOK, out)
	}
	writeBody(w, http.StatusOK, out)
	return nil
}

// load validates recs and loads the valid ones in one transaction.
func load[T any](ctx context.Context, s *server, recs []T, source string, kind recordKind[T]) (ingestResult, error) {
	res := ingestResult{Received: len(recs), Errors: []recordError{}, Problems: []recordError{}}
	valid := recs[:0] // filtered in place
	for i := range recs {
		pos, src := kind.fields(&recs[i])
		*pos = int64(i)
		if *src == "" {
			*src = source
		} else if err := ingest.CheckSource(*src); err != nil {
			res.Errors = append(res.Errors, recordError{i, err.Error()})
			continue
		}
		if err := kind.validate(&recs[i]); err != nil {
			res.Errors = append(res.Errors, recordError{i, err.Error()})
			continue
		}
		valid = append(valid, recs[i])
	}
	res.Rejected = int64(len(res.Errors))
	if len(valid) == 0 {
		return res, nil
	}
	var b ingest.Batch
	kind.add(&b, valid)
	if s.insight != nil {
		// commit and apply as one step against a full recompute's scan
		release := s.insight.IngestGate()
		defer release()
	}
	loader := ingest.NewLoader(s.store, s.resolver)
	loader.Collect = s.insight != nil
	loaded, err := loader.Load(ctx, &b)
	if err != nil {
		return ingestResult{}, fmt.Errorf("load %d records: %w", len(valid), err)
	}
	if s.insight != nil {
		// committed: now keep features, tags and segments current; a failure
		// here loses nothing (the server's maintenance recomputes)
		if _, err := s.insight.Apply(ctx, loaded.Lines, loaded.Events); err != nil {
			s.log.Warn("incremental feature update skipped; a recompute follows", "error", err)
		}
		if loaded.Merged > 0 || loaded.Uncollected > 0 {
			// the merged customers' histories now belong to the survivors, or
			// some new rows could not be told from the duplicates beside them
			s.insight.Invalidate()
		}
	}
	res.Imported, res.Updated, res.Duplicates = loaded.Imported, loaded.Updated, loaded.Duplicates
	res.Rejected += loaded.Rejected
	res.CustomersCreated, res.CustomersMerged = loaded.CustomersCreated, loaded.Merged
	for _, rj := range loaded.Rejects {
		res.Errors = append(res.Errors, recordError{int(rj.Pos), rj.Reason})
	}
	for _, p := range loaded.Problems {
		res.Problems = append(res.Problems, recordError{int(p.Pos), p.Reason})
	}
	byIndex := func(a, b recordError) int { return cmp.Compare(a.Index, b.Index) }
	slices.SortStableFunc(res.Errors, byIndex)
	slices.SortStableFunc(res.Problems, byIndex)
	return res, nil
}
