package email

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"time"

	"github.com/sagitta-dev/sagitta/internal/campaign"
)

// conn is one SMTP client connection. It pipelines (RFC 2920) when the
// server offers PIPELINING: the commands of a transaction go in one write,
// and the end of one message's data goes with the next one's commands, so
// that a message costs about one round trip.
type conn struct {
	nc         net.Conn
	r          *textproto.Reader
	w          *bufio.Writer
	ext        map[string]string
	pipelining bool
	timeout    time.Duration
	open       bool // a transaction's commands were written and not yet answered
}

// replyError is a reply that is not the one expected.
type replyError struct {
	Code int
	Msg  string
}

func (e *replyError) Error() string { return fmt.Sprintf("smtp %d %s", e.Code, e.Msg) }

// permanent wraps a 5xx reply as campaign.ErrPermanent.
func permanent(err error) error {
	var re *replyError
	if errors.As(err, &re) && re.Code >= 500 {
		return fmt.Errorf("%w: %w", err, campaign.ErrPermanent)
	}
	return err
}

func (k *conn) deadline() { k.nc.SetDeadline(time.Now().Add(k.timeout)) }

// reply reads one reply and checks its code class.
func (k *conn) reply(want int) (string, error) {
	code, msg, err := k.r.ReadResponse(want)
	if err != nil {
		var te *textproto.Error
		if errors.As(err, &te) {
			return msg, &replyError{Code: te.Code, Msg: te.Msg}
		}
		return msg, err
	}
	_ = code
	return msg, nil
}

func (k *conn) cmd(want int, format string, a ...any) (string, error) {
	k.deadline()
	fmt.Fprintf(k.w, format+"\r\n", a...)
	if err := k.w.Flush(); err != nil {
		return "", err
	}
	return k.reply(want)
}

func (k *conn) setConn(nc net.Conn) {
	k.nc = nc
	k.r = textproto.NewReader(bufio.NewReaderSize(nc, 16<<10))
	k.w = bufio.NewWriterSize(nc, 64<<10)
}

func (k *conn) ehlo(name string) error {
	msg, err := k.cmd(250, "EHLO %s", name)
	if err != nil {
		return fmt.Errorf("ehlo: %w", err)
	}
	k.ext = map[string]string{}
	for i, line := range strings.Split(msg, "\n") {
		if i == 0 {
			continue
		}
		kw, arg, _ := strings.Cut(line, " ")
		k.ext[strings.ToUpper(kw)] = arg
	}
	_, k.pipelining = k.ext["PIPELINING"]
	return nil
}

// dialConn opens a connection: greeting, EHLO, STARTTLS or implicit TLS, AUTH PLAIN.
func dialConn(o *Options) (*conn, error) {
	host, _, _ := net.SplitHostPort(o.Addr)
	cfg := o.TLSConfig
	if cfg == nil {
		cfg = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	d := net.Dialer{Timeout: o.Timeout}
	nc, err := d.Dial("tcp", o.Addr)
	if err != nil {
		return nil, err
	}
	if o.TLS == TLSImplicit {
		nc = tls.Client(nc, cfg)
	}
	k := &conn{timeout: o.Timeout}
	k.setConn(nc)
	fail := func(err error) (*conn, error) { nc.Close(); return nil, err }
	k.deadline()
	if _, err := k.reply(220); err != nil {
		return fail(fmt.Errorf("greeting: %w", err))
	}
	if err := k.ehlo("localhost"); err != nil {
		return fail(err)
	}
	if o.TLS == TLSStartTLS {
		if _, ok := k.ext["STARTTLS"]; !ok {
			return fail(errors.New("the server does not offer STARTTLS (set tls none only for a relay on loopback)"))
		}
		if _, err := k.cmd(220, "STARTTLS"); err != nil {
			return fail(fmt.Errorf("starttls: %w", err))
		}
		tc := tls.Client(nc, cfg)
		k.deadline()
		if err := tc.Handshake(); err != nil {
			return fail(fmt.Errorf("tls handshake: %w", err))
		}
		k.setConn(tc)
		if err := k.ehlo("localhost"); err != nil {
			return fail(err)
		}
	}
	if o.Username != "" {
		if !strings.Contains(strings.ToUpper(k.ext["AUTH"]), "PLAIN") {
			return fail(errors.New("the server does not offer AUTH PLAIN"))
		}
		tok := base64.StdEncoding.EncodeToString([]byte("\x00" + o.Username + "\x00" + o.Password))
		if _, err := k.cmd(235, "AUTH PLAIN %s", tok); err != nil {
			return fail(fmt.Errorf("smtp auth: %w", err))
		}
	}
	return k, nil
}

func (k *conn) close() { k.nc.Close() }

func (k *conn) quit() {
	k.cmd(221, "QUIT")
	k.nc.Close()
}

// writeTx writes the commands of one transaction.
func (k *conn) writeTx(from, to string) {
	fmt.Fprintf(k.w, "MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nDATA\r\n", from, to)
	k.open = true
}

// readTx reads the replies to writeTx; on a refusal it resets the session.
func (k *conn) readTx() error {
	k.open = false
	_, errMail := k.reply(250)
	_, errRcpt := k.reply(250)
	_, errData := k.reply(354)
	for _, e := range []error{errMail, errRcpt, errData} {
		var re *replyError
		if e != nil && !errors.As(e, &re) {
			return e // the connection is broken
		}
	}
	if errMail == nil && errRcpt == nil && errData == nil {
		return nil
	}
	if errData == nil { // DATA was accepted anyway: end it empty
		k.w.WriteString(".\r\n")
		if err := k.w.Flush(); err != nil {
			return err
		}
		k.reply(250)
	}
	if _, err := k.cmd(250, "RSET"); err != nil {
		return err
	}
	return errors.Join(errMail, errRcpt, errData)
}

// writeData writes a message's content, dot-stuffed, and the final dot.
func (k *conn) writeData(msg []byte) {
	for len(msg) > 0 {
		line := msg
		if i := bytes.IndexByte(msg, '\n'); i >= 0 {
			line, msg = msg[:i+1], msg[i+1:]
		} else {
			msg = nil
		}
		if line[0] == '.' {
			k.w.WriteByte('.')
		}
		k.w.Write(line)
	}
	k.w.WriteString(".\r\n")
}

// sendAll sends the messages on this connection; compose renders one.
// errs gets one error per message; the returned error means the
// connection is unusable (the messages from that one on have errs set).
func (k *conn) sendAll(from string, msgs []*campaign.Message, errs []*error, compose func(*bytes.Buffer, *campaign.Message)) error {
	var buf bytes.Buffer
	// the transaction of the first message
	i := 0
	for i < len(msgs) && msgs[i].To == "" {
		*errs[i] = fmt.Errorf("message %s has no address: %w", msgs[i].Key, campaign.ErrPermanent)
		i++
	}
	if i == len(msgs) {
		return nil
	}
	k.deadline()
	k.writeTx(from, msgs[i].To)
	if err := k.w.Flush(); err != nil {
		return k.broken(msgs, errs, i, err)
	}
	for i < len(msgs) {
		k.deadline()
		if err := k.readTx(); err != nil {
			var re *replyError
			if !errors.As(err, &re) {
				return k.broken(msgs, errs, i, err)
			}
			*errs[i] = permanent(err)
			i = k.next(msgs, errs, i+1)
			if i < len(msgs) {
				k.writeTx(from, msgs[i].To)
				if err := k.w.Flush(); err != nil {
					return k.broken(msgs, errs, i, err)
				}
			}
			continue
		}
		buf.Reset()
		compose(&buf, msgs[i])
		k.writeData(buf.Bytes())
		j := k.next(msgs, errs, i+1)
		if j < len(msgs) && k.pipelining {
			k.writeTx(from, msgs[j].To) // with the end of this message's data
		}
		if err := k.w.Flush(); err != nil {
			return k.broken(msgs, errs, i, err)
		}
		if _, err := k.reply(250); err != nil {
			var re *replyError
			if !errors.As(err, &re) {
				return k.broken(msgs, errs, i, err)
			}
			*errs[i] = permanent(err)
		}
		i = j
		if i < len(msgs) && !k.open {
			k.writeTx(from, msgs[i].To)
			if err := k.w.Flush(); err != nil {
				return k.broken(msgs, errs, i, err)
			}
		}
	}
	return nil
}

// next skips messages without an address.
func (k *conn) next(msgs []*campaign.Message, errs []*error, i int) int {
	for i < len(msgs) && msgs[i].To == "" {
		*errs[i] = fmt.Errorf("message %s has no address: %w", msgs[i].Key, campaign.ErrPermanent)
		i++
	}
	return i
}

// broken marks messages i.. as failed with a transient error.
func (k *conn) broken(msgs []*campaign.Message, errs []*error, i int, err error) error {
	for ; i < len(msgs); i++ {
		*errs[i] = fmt.Errorf("smtp connection: %w", err)
	}
	k.close()
	return err
}
