// Package marketing wires offers, the policy table, the contact rules,
// campaigns and the channel senders over one store and the intelligence
// service, from settings read from the environment (SAGITTA_SMTP_*,
// SAGITTA_*_WEBHOOK, SAGITTA_PUBLIC_URL). The API and the CLI use it; it
// holds no logic of its own beyond the wiring and the next-best-offer view.
//
// It must not import net/http (the webhook channel does) or a concrete store.
package marketing
