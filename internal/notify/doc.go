// Package notify writes and sends paymux's emails: the shopper's payment
// confirmation, failed-payment and refund notices, payment links and reminders of
// abandoned payments, the operator's notice that a webhook endpoint was disabled,
// and operators' own free messages.
//
// Each kind has a template per language paymux speaks to shoppers in
// (payment.Locales: en, it, pl), embedded in the binary, with a plain-text and an
// HTML part, branded with the merchant's name, colour and logo. Amounts arrive
// already formatted for the language (internal/money).
//
// Sending goes through SMTP with github.com/wneessen/go-mail. Errors are sorted
// into temporary ones (4xx replies, a server that cannot be reached, a timeout),
// which the caller retries later, and permanent ones (5xx replies such as a
// refused recipient), which it does not.
//
// The package keeps no state and does no storage: the engine records every email
// as a notification row in the transaction of the change that causes it and sends
// it from a durable job.
package notify
