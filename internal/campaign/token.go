package campaign

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sagitta-dev/sagitta/internal/contact"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// ErrToken: an unsubscribe token is malformed or its signature is wrong.
var ErrToken = errors.New("invalid unsubscribe token")

// UnsubscribePath is the API path of one-click unsubscribes.
const UnsubscribePath = "/v1/unsubscribe"

// UnsubscribeToken signs (channel, customer, campaign) with HMAC-SHA256.
func (s *Service) UnsubscribeToken(campaign string, customer int64, channel string) string {
	payload := channel + "." + strconv.FormatInt(customer, 36) + "." + campaign
	m := hmac.New(sha256.New, s.opts.Secret)
	m.Write([]byte("unsubscribe\x00" + payload))
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// UnsubscribeURL is the one-click unsubscribe link of a message.
func (s *Service) UnsubscribeURL(campaign string, customer int64, channel string) string {
	return strings.TrimRight(s.opts.PublicURL, "/") + UnsubscribePath + "?t=" + url.QueryEscape(s.UnsubscribeToken(campaign, customer, channel))
}

// ParseToken checks a token and returns what it names.
func (s *Service) ParseToken(tok string) (campaign string, customer int64, channel string, err error) {
	p, sig, ok := strings.Cut(tok, ".")
	if !ok {
		return "", 0, "", ErrToken
	}
	raw, err1 := base64.RawURLEncoding.DecodeString(p)
	got, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil {
		return "", 0, "", ErrToken
	}
	m := hmac.New(sha256.New, s.opts.Secret)
	m.Write([]byte("unsubscribe\x00"))
	m.Write(raw)
	if !hmac.Equal(m.Sum(nil)[:16], got) {
		return "", 0, "", ErrToken
	}
	parts := strings.SplitN(string(raw), ".", 3)
	if len(parts) != 3 || !slices.Contains(Channels, parts[0]) {
		return "", 0, "", ErrToken
	}
	id, err := strconv.ParseInt(parts[1], 36, 64)
	if err != nil {
		return "", 0, "", ErrToken
	}
	return parts[2], id, parts[0], nil
}

// Unsubscribe applies a one-click unsubscribe: the customer opts out of
// the channel, which is suppressed, and the contact history records it.
// Messages of running campaigns not yet sent to the customer are dropped
// at send time.
func (s *Service) Unsubscribe(ctx context.Context, tok string) (customer int64, channel string, err error) {
	campaign, customer, channel, err := s.ParseToken(tok)
	if err != nil {
		return 0, "", err
	}
	now := s.opts.Clock().UTC().Truncate(time.Microsecond)
	err = s.opts.Store.UpdateMarketing(ctx, func(tx store.MarketingTx) error {
		return contact.Record(ctx, tx, []store.Contact{{CustomerID: customer, Channel: channel, Kind: store.ContactUnsubscribed,
			Campaign: campaign, Step: DefaultStep, At: now, Detail: "one-click unsubscribe"}})
	})
	if err != nil {
		return 0, "", fmt.Errorf("unsubscribe: %w", err)
	}
	return customer, channel, nil
}
