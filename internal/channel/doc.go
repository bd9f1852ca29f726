// Package channel groups the channel adapters of campaigns: email (SMTP),
// webhook (SMS and app push through any provider's HTTP endpoint) and
// call (the outbound-call task list). Each implements campaign.Sender or
// works on the store's call tasks; none imports a concrete store.
package channel
