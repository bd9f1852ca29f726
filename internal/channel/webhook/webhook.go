package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sagitta-dev/sagitta/internal/campaign"
)

// MinSecret is the shortest signing secret a Sender accepts, in bytes.
const MinSecret = 16

// Options configure a Sender.
type Options struct {
	URL     string
	Secret  []byte        // signs every body (required)
	Client  *http.Client  // nil: a client with Timeout
	Timeout time.Duration // per request; default 10 s
	Tries   int           // attempts within one Send; default 4
	Backoff time.Duration // first backoff; default 200 ms, doubling
	Conns   int           // requests at once; default 16
	Clock   func() time.Time
}

// Sender is a campaign.Sender over an HTTP webhook.
type Sender struct {
	opts Options
	sent atomic.Int64
}

var _ campaign.AckSender = (*Sender)(nil)

// New returns a Sender.
func New(opts Options) (*Sender, error) {
	if opts.URL == "" {
		return nil, errors.New("webhook sender: a URL is required")
	}
	if len(opts.Secret) < MinSecret {
		return nil, fmt.Errorf("webhook sender: a signing secret of at least %d bytes is required", MinSecret)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: opts.Timeout}
	}
	if opts.Tries <= 0 {
		opts.Tries = 4
	}
	if opts.Backoff <= 0 {
		opts.Backoff = 200 * time.Millisecond
	}
	if opts.Conns <= 0 {
		opts.Conns = 16
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	return &Sender{opts: opts}, nil
}

// Sent counts the messages the receiver accepted.
func (s *Sender) Sent() int64 { return s.sent.Load() }

// Payload is the JSON body of a webhook call.
type Payload struct {
	Key         string `json:"key"`
	Campaign    string `json:"campaign"`
	Step        string `json:"step"`
	CustomerID  int64  `json:"customer_id"`
	Channel     string `json:"channel"`
	To          string `json:"to,omitempty"`
	Body        string `json:"body"`
	Offer       string `json:"offer,omitempty"`
	Code        string `json:"code,omitempty"`
	Unsubscribe string `json:"unsubscribe,omitempty"`
}

// Sign returns the signature header of a body at an instant.
func Sign(secret, body []byte, at time.Time) string {
	ts := strconv.FormatInt(at.Unix(), 10)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature header against the body, accepting
// timestamps within tolerance of now.
func Verify(secret, body []byte, header string, now time.Time, tolerance time.Duration) bool {
	var ts int64
	var sig string
	for _, part := range bytes.Split([]byte(header), []byte(",")) {
		k, v, _ := bytes.Cut(part, []byte("="))
		switch string(k) {
		case "t":
			ts, _ = strconv.ParseInt(string(v), 10, 64)
		case "v1":
			sig = string(v)
		}
	}
	if ts == 0 || sig == "" {
		return false
	}
	at := time.Unix(ts, 0)
	if d := now.Sub(at); d > tolerance || d < -tolerance {
		return false
	}
	return hmac.Equal([]byte(Sign(secret, body, at)), []byte(header))
}

// Send posts each message, on up to Conns requests at once.
func (s *Sender) Send(ctx context.Context, msgs []campaign.Message) []error {
	return s.SendAck(ctx, msgs, nil)
}

// SendAck is Send that calls accepted(i) (when not nil) as soon as the
// receiver answered msgs[i] with a 2xx (or 409: the key was processed).
func (s *Sender) SendAck(ctx context.Context, msgs []campaign.Message, accepted func(i int)) []error {
	errs := make([]error, len(msgs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(len(msgs), s.opts.Conns) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(msgs) {
					return
				}
				errs[i] = s.post(ctx, &msgs[i])
				if errs[i] == nil {
					s.sent.Add(1)
					if accepted != nil {
						accepted(i)
					}
				}
			}
		}()
	}
	wg.Wait()
	return errs
}

func (s *Sender) post(ctx context.Context, m *campaign.Message) error {
	body, err := json.Marshal(Payload{Key: m.Key, Campaign: m.Campaign, Step: m.Step, CustomerID: m.CustomerID, Channel: m.Channel,
		To: m.To, Body: m.Body, Offer: m.Offer, Code: m.Code, Unsubscribe: m.Unsubscribe})
	if err != nil {
		return fmt.Errorf("%v: %w", err, campaign.ErrPermanent)
	}
	wait := s.opts.Backoff
	var last error
	for try := range s.opts.Tries {
		if try > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
			wait *= 2
		}
		var retry bool
		retry, last = s.once(ctx, m.Key, body)
		if last == nil || !retry {
			return last
		}
	}
	return fmt.Errorf("after %d tries: %w", s.opts.Tries, last)
}

// once makes one request; retry tells whether a failure may be retried.
func (s *Sender) once(ctx context.Context, key string, body []byte) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.opts.URL, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("%v: %w", err, campaign.ErrPermanent)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	req.Header.Set("X-Sagitta-Signature", Sign(s.opts.Secret, body, s.opts.Clock()))
	resp, err := s.opts.Client.Do(req)
	if err != nil {
		return true, fmt.Errorf("post to the webhook: %w", err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300, c == http.StatusConflict: // 409: the key was processed already
		return false, nil
	case c == http.StatusRequestTimeout, c == http.StatusTooManyRequests, c >= 500:
		return true, fmt.Errorf("webhook answered %d", c)
	default:
		return false, fmt.Errorf("webhook answered %d: %w", c, campaign.ErrPermanent)
	}
}
