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
	opts  Options
	pool  chan *conn    // idle connections
	slots chan struct{} // at most Conns connections in use, across concurrent Sends
	sent  atomic.Int64
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
	return &Sender{opts: opts, pool: make(chan *conn, opts.Conns), slots: make(chan struct{}, opts.Conns)}, nil
}

// Sent counts the messages accepted by the server.
func (s *Sender) Sent() int64 { return s.sent.Load() }

func (s *Sender) get() (*conn, error) {
	select {
	case c := <-s.pool:
		return c, nil
	default:
		return dialConn(&s.opts)
	}
}

func (s *Sender) put(c *conn) {
	select {
	case s.pool <- c:
	default:
		c.quit()
	}
}

// Close closes the idle connections.
func (s *Sender) Close() error {
	for {
		select {
		case c := <-s.pool:
			c.quit()
		default:
			return nil
		}
	}
}

// Send sends each message in its own SMTP transaction, the messages split
// over up to Conns connections, pipelined on each.
func (s *Sender) Send(ctx context.Context, msgs []campaign.Message) []error {
	errs := make([]error, len(msgs))
	if len(msgs) == 0 {
		return errs
	}
	conns := min(len(msgs), s.opts.Conns)
	per := (len(msgs) + conns - 1) / conns
	var wg sync.WaitGroup
	for from := 0; from < len(msgs); from += per {
		group := make([]*campaign.Message, 0, per)
		ge := make([]*error, 0, per)
		for i := from; i < min(from+per, len(msgs)); i++ {
			group = append(group, &msgs[i])
			ge = append(ge, &errs[i])
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case s.slots <- struct{}{}:
				defer func() { <-s.slots }()
			case <-ctx.Done():
				for _, e := range ge {
					*e = ctx.Err()
				}
				return
			}
			c, err := s.get()
			if err != nil {
				for _, e := range ge {
					*e = fmt.Errorf("connect to %s: %w", s.opts.Addr, err)
				}
				return
			}
			if err := c.sendAll(s.opts.From, group, ge, s.Compose); err != nil {
				return // c is closed
			}
			ok := int64(0)
			for _, e := range ge {
				if *e == nil {
					ok++
				}
			}
			s.sent.Add(ok)
			s.put(c)
		}()
	}
	wg.Wait()
	return errs
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
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n")
	}
}
