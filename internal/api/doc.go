// Package api serves paymux's merchant JSON API (v1), inbound provider webhooks, the
// operational endpoints and the public pages that providers send shoppers back to.
// Handlers bind and validate the request, call the engine and render its answer;
// every rule lives in the engine or the domain.
package api
