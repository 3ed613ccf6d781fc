package api

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/store"
)

// listQuery parses list parameters strictly: unknown ones are refused by name, as in
// JSON bodies, so a typo never silently returns an unfiltered list.
type listQuery struct {
	v       url.Values
	allowed map[string]bool
}

func newListQuery(v url.Values, allowed ...string) (*listQuery, error) {
	return newQuery(v, append(allowed, "limit", "starting_after")...)
}

// newQuery is newListQuery for lists that are not paged, such as exports.
func newQuery(v url.Values, allowed ...string) (*listQuery, error) {
	q := &listQuery{v: v, allowed: map[string]bool{}}
	for _, a := range allowed {
		q.allowed[a] = true
	}
	for k := range v {
		if !q.allowed[k] {
			names := make([]string, 0, len(q.allowed))
			for a := range q.allowed {
				names = append(names, a)
			}
			return nil, payment.Invalid(k, payment.CodeParameterUnknown, "unknown query parameter %q: this list takes %s", k, strings.Join(sortStrings(names), ", "))
		}
	}
	return q, nil
}

func (q *listQuery) str(name string) string { return q.v.Get(name) }

func (q *listQuery) limit() (int, error) {
	raw := q.v.Get("limit")
	if raw == "" {
		return store.DefaultLimit, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > store.MaxLimit {
		return 0, payment.Invalid("limit", payment.CodeParameterInvalid, "limit must be an integer from 1 to %d, got %q", store.MaxLimit, raw)
	}
	return n, nil
}

// time parses a unix timestamp in seconds or an RFC 3339 time.
func (q *listQuery) time(name string) (time.Time, error) {
	raw := q.v.Get(name)
	if raw == "" {
		return time.Time{}, nil
	}
	if n, err := strconv.ParseInt(raw, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		return time.Time{}, payment.Invalid(name, payment.CodeParameterInvalid, "%s must be a unix timestamp in seconds or an RFC 3339 time, got %q", name, raw)
	}
	return t.UTC(), nil
}

func sortStrings(s []string) []string {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}
