// Package sqlstore implements store.Store once, in SQL that SQLite and PostgreSQL
// both run. The engine packages (store/sqlite, store/postgres) supply what differs,
// as named methods of a Dialect and a Writer: placeholders, row locks, error
// classification, and how write transactions are committed (group commit on SQLite,
// pooled transactions on PostgreSQL).
package sqlstore
