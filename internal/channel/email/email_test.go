package email_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/channel/email"
	"github.com/sagitta-dev/sagitta/internal/marketing/markettest"
)

func TestSendPipelined(t *testing.T) {
	for _, tc := range []struct {
		name     string
		user     string
		tls      bool
		mode     string
		pipeline bool
	}{
		{"plain", "", false, email.TLSNone, true},
		{"starttls and auth", "u", true, email.TLSStartTLS, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mb, cfg := markettest.NewMailbox(t, tc.user, "pw", tc.tls)
			mb.Reject = func(to string) error {
				if strings.HasPrefix(to, "bad") {
					return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
				}
				if strings.HasPrefix(to, "later") {
					return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}
				}
				return nil
			}
			s, err := email.New(email.Options{Addr: mb.Addr, From: "shop@example.org", Username: tc.user, Password: "pw", TLS: tc.mode, TLSConfig: cfg, Conns: 2})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var msgs []campaign.Message
			for i := range 20 {
				to := fmt.Sprintf("c%d@example.org", i)
				switch i {
				case 3, 14:
					to = fmt.Sprintf("bad%d@example.org", i)
				case 7:
					to = "later@example.org"
				case 9:
					to = ""
				}
				msgs = append(msgs, campaign.Message{Key: fmt.Sprint("k/", i, "/main"), To: to, Subject: "Grüße", Body: ".starts with a dot\nline two\n..two dots\n",
					Unsubscribe: "https://x/u?t=1"})
			}
			errs := s.Send(context.Background(), msgs)
			for i, err := range errs {
				switch i {
				case 3, 14, 9:
					if !errors.Is(err, campaign.ErrPermanent) {
						t.Errorf("message %d: %v; want a permanent failure", i, err)
					}
				case 7:
					if err == nil || errors.Is(err, campaign.ErrPermanent) {
						t.Errorf("message %d: %v; want a transient failure", i, err)
					}
				default:
					if err != nil {
						t.Errorf("message %d: %v", i, err)
					}
				}
			}
			mails := mb.Mails()
			if len(mails) != 16 || s.Sent() != 16 {
				t.Fatalf("%d mails, Sent %d; want 16", len(mails), s.Sent())
			}
			for _, m := range mails {
				if m.Body != ".starts with a dot\r\nline two\r\n..two dots\r\n" && m.Body != ".starts with a dot\nline two\n..two dots\n" {
					t.Errorf("body %q: dot-stuffing lost", m.Body)
				}
				if m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" || !strings.HasPrefix(m.Header.Get("Message-Id"), "<") {
					t.Errorf("headers %v", m.Header)
				}
				if tc.tls && (!m.TLS || m.Auth != "u") {
					t.Errorf("tls %v auth %q", m.TLS, m.Auth)
				}
			}
		})
	}
}

func TestRefusesPasswordInClear(t *testing.T) {
	if _, err := email.New(email.Options{Addr: "mail.example.org:25", From: "a@b.c", Username: "u", Password: "p", TLS: email.TLSNone}); err == nil {
		t.Error("a password without TLS to a remote server was accepted")
	}
	mb, _ := markettest.NewMailbox(t, "", "", false)
	s, _ := email.New(email.Options{Addr: mb.Addr, From: "a@b.c"}) // STARTTLS by default; the server has none
	errs := s.Send(context.Background(), []campaign.Message{{Key: "k", To: "x@y.z", Body: "b"}})
	if errs[0] == nil || !strings.Contains(errs[0].Error(), "STARTTLS") || mb.Count() != 0 {
		t.Errorf("send without STARTTLS: %v", errs[0])
	}
}
