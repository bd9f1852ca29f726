// Package email sends campaign messages over SMTP: a pool of connections
// (STARTTLS or implicit TLS, AUTH PLAIN), one transaction per message with
// a Message-ID derived from the delivery key (a re-send after a crash
// carries the same one), List-Unsubscribe and List-Unsubscribe-Post
// (RFC 8058 one-click) headers. A 5xx reply is a hard bounce
// (campaign.ErrPermanent): the delivery fails and the address is
// suppressed; 4xx replies and network errors are retried by the
// dispatcher.
//
// It implements campaign.Sender; it must not import a store.
package email
