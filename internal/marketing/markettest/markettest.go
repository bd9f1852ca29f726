// Package markettest builds real fixtures for the tests of offers,
// campaigns and channels: a shop in a real SQLite store with features
// computed, an in-process SMTP server (github.com/emersion/go-smtp) that
// keeps what it receives, and an HTTP webhook receiver that honours
// Idempotency-Key and can fail or stall on purpose.
package markettest

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/jackc/pgx/v5"

	"github.com/sagitta-dev/sagitta/internal/channel/webhook"
	"github.com/sagitta-dev/sagitta/internal/identity"
	"github.com/sagitta-dev/sagitta/internal/ingest"
	"github.com/sagitta-dev/sagitta/internal/insight"
	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/store/postgres"
	"github.com/sagitta-dev/sagitta/internal/store/sqlite"
)

// AsOf is the instant the fixture's features are computed at.
var AsOf = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// Shop opens a SQLite store in dir with n customers "c0".."c{n-1}" of the
// source "shop": e-mail c{i}@example.org and phone for all; customer i opts
// in to e-mail unless i%10 == 9 (opted out), to sms when i%2 == 0; i%3
// orders of 10·(1+i%7) each over the last months (i%3 == 0: never bought);
// then computes features, tags and segments as of AsOf.
func Shop(tb testing.TB, dir string, n int) (store.Store, *insight.Service) {
	tb.Helper()
	st, err := sqlite.Open(context.Background(), dir, sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return ShopIn(tb, st, dir, n)
}

// ShopIn fills st (empty) with the shop of Shop; dir keeps the features.
func ShopIn(tb testing.TB, st store.Store, dir string, n int) (store.Store, *insight.Service) {
	tb.Helper()
	ctx := context.Background()
	var b ingest.Batch
	for i := range n {
		consent := map[string]string{"email": store.ConsentOptIn}
		if i%10 == 9 {
			consent["email"] = store.ConsentOptOut
		}
		if i%2 == 0 {
			consent["sms"] = store.ConsentOptIn
		}
		b.Customers = append(b.Customers, ingest.CustomerRecord{Source: "shop", ID: fmt.Sprint("c", i), Email: fmt.Sprintf("c%d@example.org", i),
			Phone: fmt.Sprintf("+4915%08d", i), Updated: AsOf.AddDate(-1, 0, 0), Attrs: map[string]string{"name": fmt.Sprint("Customer ", i)}, Consent: consent})
		for k := range i % 3 {
			b.Lines = append(b.Lines, ingest.OrderLineRecord{Source: "shop", Order: fmt.Sprintf("o%d-%d", i, k), Customer: fmt.Sprint("c", i),
				Time: AsOf.AddDate(0, -1-k*2, -(i % 20)), Item: fmt.Sprint("i", i%50), Quantity: 1, UnitPrice: float64(10 * (1 + i%7)),
				Amount: float64(10 * (1 + i%7)), Kind: "sale"})
		}
	}
	if _, err := ingest.NewLoader(st, identity.NewResolver(identity.DefaultPolicy())).Load(ctx, &b); err != nil {
		tb.Fatal(err)
	}
	in, err := insight.Open(ctx, st, insight.Options{DataDir: dir, Clock: func() time.Time { return AsOf }})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := in.Recompute(ctx, AsOf, true); err != nil {
		tb.Fatal(err)
	}
	return st, in
}

// Mail is one message the SMTP server received.
type Mail struct {
	From, To string
	Header   mail.Header
	Body     string
	Auth     string // the user that authenticated, "" when none
	TLS      bool
}

// Mailbox is an SMTP server on loopback that keeps every message.
type Mailbox struct {
	Addr   string
	Server *smtp.Server
	mu     sync.Mutex
	mails  []Mail
	// Reject, when set, is asked for each recipient; a non-nil error is
	// returned to the client (an *smtp.SMTPError with a 5xx code bounces).
	Reject func(to string) error
	// Keep false only counts (for benchmarks).
	Keep bool
	// Delay slows every DATA down, to catch a dispatcher mid-campaign.
	Delay time.Duration
	count int
	user  string
	pass  string
}

// NewMailbox starts the server. With user set, AUTH PLAIN is required;
// with tlsOn, STARTTLS is offered with a self-signed certificate and the
// returned config trusts it.
func NewMailbox(tb testing.TB, user, pass string, tlsOn bool) (*Mailbox, *tls.Config) {
	tb.Helper()
	mb := &Mailbox{Keep: true, user: user, pass: pass}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, isTLS := c.TLSConnectionState()
		return &session{mb: mb, tls: isTLS, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.ErrorLog = log.New(io.Discard, "", 0) // clients killed on purpose
	srv.MaxMessageBytes = 1 << 20
	srv.AllowInsecureAuth = !tlsOn
	srv.ReadTimeout, srv.WriteTimeout = 30*time.Second, 30*time.Second
	var client *tls.Config
	if tlsOn {
		cert, pool := selfSigned(tb)
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		client = &tls.Config{RootCAs: pool, ServerName: "localhost"}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	mb.Addr, mb.Server = ln.Addr().String(), srv
	go srv.Serve(ln)
	tb.Cleanup(func() { srv.Close() })
	return mb, client
}

// Mails returns a copy of the messages received.
func (mb *Mailbox) Mails() []Mail {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return append([]Mail(nil), mb.mails...)
}

// Count is the number of messages received.
func (mb *Mailbox) Count() int {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return mb.count
}

type session struct {
	mb       *Mailbox
	tls      bool
	conn     *smtp.Conn
	from, to string
	authed   string
}

func (s *session) AuthMechanisms() []string {
	if s.mb.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != s.mb.user || pass != s.mb.pass {
			return errors.New("bad credentials")
		}
		s.authed = user
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.mb.user != "" && s.authed == "" {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.mb.Reject != nil {
		if err := s.mb.Reject(to); err != nil {
			return err
		}
	}
	s.to = to
	return nil
}

func (s *session) Data(r io.Reader) error {
	if s.mb.Delay > 0 {
		time.Sleep(s.mb.Delay)
	}
	if !s.mb.Keep {
		if _, err := io.Copy(io.Discard, r); err != nil {
			return err
		}
		s.mb.mu.Lock()
		s.mb.count++
		s.mb.mu.Unlock()
		return nil
	}
	m, err := mail.ReadMessage(bufio.NewReader(r))
	if err != nil {
		return err
	}
	body, err := io.ReadAll(m.Body)
	if err != nil {
		return err
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.mb.mu.Lock()
	s.mb.mails = append(s.mb.mails, Mail{From: s.from, To: s.to, Header: m.Header, Body: string(body), Auth: s.authed, TLS: isTLS || s.tls})
	s.mb.count++
	s.mb.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.from, s.to = "", "" }
func (s *session) Logout() error { return nil }

func selfSigned(tb testing.TB) (tls.Certificate, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// Hook is a webhook receiver: it verifies signatures, keeps one accepted
// payload per Idempotency-Key and counts every request.
type Hook struct {
	URL    string
	Secret []byte
	mu     sync.Mutex
	// FailFirst makes the first FailFirst requests of each key fail: odd
	// ones with 500, even ones by stalling past the client's timeout.
	FailFirst int
	Stall     time.Duration
	tries     map[string]int
	accepted  map[string]webhook.Payload
	requests  int
	badSig    int
}

// NewHook starts the receiver.
func NewHook(tb testing.TB, secret []byte) *Hook {
	h := &Hook{Secret: secret, tries: map[string]int{}, accepted: map[string]webhook.Payload{}}
	srv := httptest.NewServer(http.HandlerFunc(h.serve))
	tb.Cleanup(srv.Close)
	h.URL = srv.URL
	return h
}

func (h *Hook) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	key := r.Header.Get("Idempotency-Key")
	h.mu.Lock()
	h.requests++
	if !webhook.Verify(h.Secret, body, r.Header.Get("X-Sagitta-Signature"), time.Now(), 5*time.Minute) || key == "" {
		h.badSig++
		h.mu.Unlock()
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	h.tries[key]++
	n := h.tries[key]
	if _, dup := h.accepted[key]; dup {
		h.mu.Unlock()
		w.WriteHeader(http.StatusOK) // processed already: not again
		return
	}
	if n <= h.FailFirst {
		h.mu.Unlock()
		if n%2 == 0 && h.Stall > 0 {
			time.Sleep(h.Stall)
		}
		http.Error(w, "try later", http.StatusInternalServerError)
		return
	}
	var p webhook.Payload
	if err := jsonUnmarshal(body, &p); err != nil {
		h.mu.Unlock()
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h.accepted[key] = p
	h.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

// Accepted returns the accepted payloads by key.
func (h *Hook) Accepted() map[string]webhook.Payload {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]webhook.Payload, len(h.accepted))
	for k, v := range h.accepted {
		out[k] = v
	}
	return out
}

// Requests counts every request; BadSignatures those refused.
func (h *Hook) Requests() (requests, badSignatures int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.requests, h.badSig
}

// KeyOf returns the X-Sagitta-Key header of a mail.
func KeyOf(m Mail) string { return strings.TrimSpace(m.Header.Get("X-Sagitta-Key")) }

// Postgres opens a store in a fresh schema of the PostgreSQL server at
// $SAGITTA_TEST_POSTGRES (default loopback), dropped when the test ends;
// it skips the test when none is reachable (fails when
// SAGITTA_REQUIRE_POSTGRES=1).
func Postgres(tb testing.TB) store.Store {
	tb.Helper()
	dsn := os.Getenv("SAGITTA_TEST_POSTGRES")
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		if os.Getenv("SAGITTA_REQUIRE_POSTGRES") == "1" {
			tb.Fatalf("PostgreSQL not reachable: %v", err)
		}
		tb.Skipf("PostgreSQL not reachable (%v): set SAGITTA_TEST_POSTGRES or start a server", err)
	}
	conn.Close(ctx)
	b := make([]byte, 8)
	rand.Read(b)
	schema := "sagitta_mt_" + hex.EncodeToString(b)
	st, err := postgres.Open(context.Background(), dsn, postgres.Options{Schema: schema})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		st.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, dsn); err == nil {
			c.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
			c.Close(ctx)
		}
	})
	return st
}
