// Package webhook sends paymux's outbound webhooks to merchants' endpoints: which
// event types exist, how an endpoint's URL is checked (in live mode only public
// internet addresses may receive webhooks, checked when the endpoint is saved and
// again at every connection, against DNS rebinding), how a request is signed and
// sent, and when a failed delivery is tried again.
//
// It does no storage: the engine records endpoints, deliveries and attempts in the
// same transactions as the events they carry (a transactional outbox) and runs
// deliveries as durable jobs. Inbound provider webhooks are the engine's and each
// provider's business, not this package's.
//
// The signature scheme is the one pkg/paymuxwebhook verifies:
//
//	Paymux-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
package webhook
