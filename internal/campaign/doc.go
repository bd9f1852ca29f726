// Package campaign runs marketing campaigns: an audience (a saved segment
// or a rule, intersected with the eligibility of the campaign's offer),
// channels in order of preference, message templates (Go text/template)
// and a schedule. Preview shows the audience, sample messages and what each
// rule drops; Launch freezes the audience in the store and queues it; the
// Dispatcher sends, through the Sender of each channel, exactly once per
// (campaign, customer, step): the delivery (the intent) is recorded in the
// store under that unique key before the send, and a dispatcher that
// starts again resumes from the store — re-sending only the deliveries
// whose outcome it did not record, with the same idempotency key. With a
// JournalDir, senders that report each acceptance (AckSender) have it
// appended to a per-chunk acceptance journal as it happens, so that after
// a process crash what the receiver accepted is recorded, not re-sent
// (journal.go has the guarantees and their limits).
//
// Every send is guarded at send time by package contact (consent per
// channel, caps over the shared history, quiet hours, suppression) and by
// the admission lists. A Holdout, when set, keeps part of the audience out
// (the measurement issue implements it); Recommender, when set, fills the
// templates' recommendations. Work goes through the Queue interface, in
// process for now (MemQueue).
//
// It must not import net/http or a concrete store; channels are Senders
// declared here and implemented in internal/channel/...
package campaign
