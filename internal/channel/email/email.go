package email

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/sagitta-dev/sagitta/internal/campaign"
)

// TLS modes.
const (
	TLSStartTLS = "starttls" // STARTTLS required (the default)
	TLSImplicit = "tls"      // TLS from the first byte (port 465)
	TLSNone     = "none"     // plain text: only for a relay on loopback
)

// Options configure a Sender.
type Options struct {
	Addr      string // host:port of the SMTP server
	From      string // envelope and header sender
	Username  string // AUTH PLAIN when set
	Password  string
	TLS       string      // TLSStartTLS (default), TLSImplicit or TLSNone
	TLSConfig *tls.Config // nil: the system roots, server name from Addr
	Conns     int         // parallel connections; default 8
	Timeout   time.Duration
	// Domain of Message-IDs; default the domain of From.
	Domain string
	// UnsubscribeMailto, when set, is offered in List-Unsubscribe besides the link.
	UnsubscribeMailto string
}

// Sender is a campaign.Sender over SMTP. It is safe for concurrent use.
type Sender struct {
	opts Options
	pool chan *smtp.Client
	sent atomic.Int64
}

var _ campaign.Sender = (*Sender)(nil)

// New returns a Sender; connections are opened when needed.
func New(opts Options) (*Sender, error) {
	if opts.Addr == "" || opts.From == "" {
		return nil, errors.New("smtp sender: an address and a From are required")
	}
	if _, _, err := net.SplitHostPort(opts.Addr); err != nil {
		return nil, fmt.Errorf("smtp sender: address %q: %w", opts.Addr, err)
	}
	if opts.TLS == "" {
		opts.TLS = TLSStartTLS
	}
	if opts.TLS != TLSStartTLS && opts.TLS != TLSImplicit && opts.TLS != TLSNone {
		return nil, fmt.Errorf("smtp sender: tls %q is not starttls, tls or none", opts.TLS)
	}
	if opts.Username != "" && opts.TLS == TLSNone {
		host, _, _ := net.SplitHostPort(opts.Addr)
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return nil, errors.New("smtp sender: refusing to send a password without TLS to a server that is not on loopback")
		}
	}
	if opts.Conns <= 0 {
		opts.Conns = 8
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.Domain == "" {
		if at := strings.LastIndexByte(opts.From, '@'); at >= 0 {
			opts.Domain = strings.Trim(opts.From[at+1:], "> ")
		} else {
			opts.Domain = "sagitta.invalid"
		}
	}
	return &Sender{opts: opts, pool: make(chan *smtp.Client, opts.Conns)}, nil
}

// Sent counts the messages accepted by the server.
func (s *Sender) Sent() int64 { return s.sent.Load() }

func (s *Sender) dial() (*smtp.Client, error) {
	cfg := s.opts.TLSConfig
	host, _, _ := net.SplitHostPort(s.opts.Addr)
	if cfg == nil {
		cfg = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	d := net.Dialer{Timeout: s.opts.Timeout}
	conn, err := d.Dial("tcp", s.opts.Addr)
	if err != nil {
		return nil, err
	}
	var c *smtp.Client
	switch s.opts.TLS {
	case TLSImplicit:
		c = smtp.NewClient(tls.Client(conn, cfg))
	case TLSStartTLS:
		if c, err = smtp.NewClientStartTLS(conn, cfg); err != nil {
			conn.Close()
			return nil, fmt.Errorf("starttls: %w", err)
		}
	default:
		c = smtp.NewClient(conn)
	}
	c.CommandTimeout = s.opts.Timeout
	c.SubmissionTimeout = s.opts.Timeout
	if s.opts.Username != "" {
		if err := c.Auth(sasl.NewPlainClient("", s.opts.Username, s.opts.Password)); err != nil {
			c.Close()
			return nil, fmt.Errorf("smtp auth: %w", err)
		}
	}
	return c, nil
}

func (s *Sender) get() (*smtp.Client, error) {
	select {
	case c := <-s.pool:
		return c, nil
	default:
		return s.dial()
	}
}

func (s *Sender) put(c *smtp.Client) {
	select {
	case s.pool <- c:
	default:
		c.Quit()
	}
}

// Close closes the idle connections.
func (s *Sender) Close() error {
	for {
		select {
		case c := <-s.pool:
			c.Quit()
		default:
			return nil
		}
	}
}

// Send sends each message in its own SMTP transaction, on up to Conns
// connections at once.
func (s *Sender) Send(ctx context.Context, msgs []campaign.Message) []error {
	errs := make([]error, len(msgs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(len(msgs), s.opts.Conns) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c *smtp.Client
			var buf bytes.Buffer
			defer func() {
				if c != nil {
					s.put(c)
				}
			}()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(msgs) {
					return
				}
				if err := ctx.Err(); err != nil {
					errs[i] = err
					continue
				}
				if c == nil {
					var err error
					if c, err = s.get(); err != nil {
						errs[i] = fmt.Errorf("connect to %s: %w", s.opts.Addr, err)
						continue
					}
				}
				err := s.send(c, &msgs[i], &buf)
				var se *smtp.SMTPError
				switch {
				case err == nil:
					s.sent.Add(1)
				case errors.As(err, &se) && se.Code >= 500:
					errs[i] = fmt.Errorf("smtp %d %s: %w", se.Code, se.Message, campaign.ErrPermanent)
					if c.Reset() != nil {
						c.Close()
						c = nil
					}
				default:
					errs[i] = err
					c.Close() // the connection is in an unknown state
					c = nil
				}
			}
		}()
	}
	wg.Wait()
	return errs
}

func (s *Sender) send(c *smtp.Client, m *campaign.Message, buf *bytes.Buffer) error {
	if m.To == "" {
		return fmt.Errorf("message %s has no address: %w", m.Key, campaign.ErrPermanent)
	}
	if err := c.Mail(s.opts.From, nil); err != nil {
		return err
	}
	if err := c.Rcpt(m.To, nil); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	buf.Reset()
	s.Compose(buf, m)
	if _, err := w.Write(buf.Bytes()); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// MessageID is the Message-ID of a delivery: the same for every send of it.
func (s *Sender) MessageID(key string) string {
	h := sha256.Sum256([]byte(key))
	return "<" + hex.EncodeToString(h[:12]) + "@" + s.opts.Domain + ">"
}

// Compose writes the RFC 5322 message.
func (s *Sender) Compose(b *bytes.Buffer, m *campaign.Message) {
	hdr := func(k, v string) {
		b.WriteString(k)
		b.WriteString(": ")
		b.WriteString(v)
		b.WriteString("\r\n")
	}
	hdr("From", s.opts.From)
	hdr("To", m.To)
	hdr("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	hdr("Date", time.Now().UTC().Format(time.RFC1123Z))
	hdr("Message-ID", s.MessageID(m.Key))
	hdr("X-Sagitta-Key", m.Key)
	if m.Unsubscribe != "" {
		lu := "<" + m.Unsubscribe + ">"
		if s.opts.UnsubscribeMailto != "" {
			lu += ", <mailto:" + s.opts.UnsubscribeMailto + "?subject=unsubscribe>"
		}
		hdr("List-Unsubscribe", lu)
		hdr("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	}
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=utf-8")
	hdr("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(b)
	qp.Write([]byte(m.Body))
	qp.Close()
	b.WriteString("\r\n")
}
