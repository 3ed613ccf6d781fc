// Package provider defines what paymux needs from a payment provider (PSP): the
// Connector interface every provider package implements, the Capabilities each one
// declares as data, and the Registry of providers built once in cmd/paymux.
//
// A connector is a client of one provider account (a connection): it turns paymux
// operations into the provider's API calls and the provider's answers and webhooks
// back into payment.Outcome values. It keeps no payment state of its own; the engine
// stores every result.
package provider
