// Package payment is paymux's domain: payments, refunds, their statuses and the one
// table of allowed transitions, the events every change appends, and the coded errors
// the API maps to HTTP. It does no I/O: storage, providers and HTTP live in adapters
// that import this package, never the other way round.
package payment
