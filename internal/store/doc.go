// Package store defines paymux's persistence: the Store and Tx interfaces every
// engine implements (SQLite and PostgreSQL, in the sibling packages), the records
// that are not domain objects (merchants, keys, jobs, idempotency keys), and the
// errors stores return. The conformance suite in storetest runs against every engine.
//
// Every merchant-owned row carries merchant_id and every query filters by it, so
// tenants never see each other's data and a later move to sharding by merchant
// changes no query's meaning.
package store
