// Package contact guards every send with the one shared contact history:
// frequency caps per customer per channel and across channels over time
// windows, quiet hours in the customer's time zone, consent per channel
// checked at send time, and suppression (unsubscribed, bounced, the black
// list). Record appends contacts and responses to the history and applies
// what they imply (an unsubscribe withdraws consent, a bounce suppresses).
//
// It reads and writes through store.MarketingReader and store.MarketingTx
// and must not import net/http or a concrete store.
package contact
