package webhook

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Schedule is how long to wait after each failed attempt before the next: entry i
// follows failed attempt i+1, so a delivery is tried len(s)+1 times in all, and is
// given up when the last entry's wait ended in another failure.
type Schedule []time.Duration

// DefaultSchedule spans a little over three days, like the large PSPs' schedules:
// quick retries for a blip, then hours apart for an outage.
var DefaultSchedule = Schedule{
	time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour,
	10 * time.Hour, 10 * time.Hour, 24 * time.Hour, 24 * time.Hour,
}

// MaxScheduleEntries bounds a schedule's length.
const MaxScheduleEntries = 50

// ParseSchedule reads a comma-separated list of Go durations such as
// "1m,5m,30m,2h"; each must be positive.
func ParseSchedule(s string) (Schedule, error) {
	var out Schedule
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		d, err := time.ParseDuration(part)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("%q is not a positive duration such as 30s, 5m or 2h", part)
		}
		out = append(out, d)
	}
	if len(out) > MaxScheduleEntries {
		return nil, fmt.Errorf("%d delays: at most %d", len(out), MaxScheduleEntries)
	}
	if len(out) == 0 {
		return nil, errors.New("no delays")
	}
	return out, nil
}

// String writes the schedule as ParseSchedule reads it.
func (s Schedule) String() string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = d.String()
	}
	return strings.Join(parts, ",")
}

// Span is the time from the first attempt to the last, jitter aside.
func (s Schedule) Span() time.Duration {
	var total time.Duration
	for _, d := range s {
		total += d
	}
	return total
}

// Next returns the wait after failed attempt number attempt (1 for the first) and
// whether another attempt follows. The wait is the schedule's entry plus up to 10%
// of random jitter, so that the deliveries of an outage do not all retry at once;
// it is never shorter than the entry.
func (s Schedule) Next(attempt int) (time.Duration, bool) {
	if attempt < 1 || attempt > len(s) {
		return 0, false
	}
	d := s[attempt-1]
	return d + time.Duration(rand.Int64N(int64(d)/10+1)), true
}
