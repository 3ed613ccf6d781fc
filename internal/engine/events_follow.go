package engine

import (
	"context"
	"errors"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/store"
	"github.com/paymux/paymux/internal/webhook"
)

// Following the event stream live (paymux listen, the backoffice's live view).
//
// Events are numbered (Seq) when they are written, not when they commit. SQLite has
// one writer, so the two orders agree; on PostgreSQL a transaction can commit after
// one that wrote a higher Seq. A follower therefore keeps re-reading the events of
// the last FollowLag above its floor, and moves the floor only past events it has
// seen for longer than that, sending each event once by remembering what it sent.

// DefaultFollowPoll is how often FollowEvents asks the store for new events.
const DefaultFollowPoll = 250 * time.Millisecond

// FollowParams choose what FollowEvents delivers.
type FollowParams struct {
	// Types are event types as webhook endpoints take them ("refund.succeeded",
	// or "*"); none means every event.
	Types []string
	// After resumes after this event (e.g. SSE's Last-Event-ID); empty starts with
	// the events that happen from now on.
	After string
	// Poll is how often the store is asked; zero means DefaultFollowPoll.
	Poll time.Duration
	// Ready, if set, is called once the parameters are accepted, before any event
	// (e.g. to send response headers only when there is no error to report).
	Ready func()
	// Tick, if set, is called after every poll (e.g. to send keep-alives); an error
	// ends the follow.
	Tick func() error
}

// FollowEvents calls fn with each of the scope's events matching p, as they commit,
// oldest first, until ctx ends (then it returns nil) or fn or the store fails. An
// unknown After is a 404-coded error naming it.
func (e *Engine) FollowEvents(ctx context.Context, s store.Scope, p FollowParams, fn func(*payment.Event) error) error {
	if err := webhook.CheckEventTypes("types", p.Types); err != nil {
		return err
	}
	types := p.Types
	var err error
	if p.Poll <= 0 {
		p.Poll = DefaultFollowPoll
	}
	var floor int64
	if p.After != "" {
		ev, err := e.store.GetEvent(ctx, s, p.After)
		if err != nil {
			return notFound(err, "event", p.After)
		}
		floor = ev.Seq
	} else if floor, err = e.store.LastEventSeq(ctx, s); err != nil {
		return storeErr(err)
	}
	f := follower{floor: floor, lag: e.cfg.FollowLag, sent: map[int64]time.Time{}}
	if p.Ready != nil {
		p.Ready()
	}
	t := time.NewTicker(p.Poll)
	defer t.Stop()
	for {
		if err := f.poll(ctx, e, s, func(ev *payment.Event) error {
			if len(types) > 0 && !webhook.Matches(types, ev.Type) {
				return nil
			}
			return fn(ev)
		}); err != nil {
			if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
				return nil
			}
			return err
		}
		if p.Tick != nil {
			if err := p.Tick(); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// follower is FollowEvents' cursor: every event at or below floor has been sent or
// will never commit; sent holds those above it, with when they were first seen.
type follower struct {
	floor int64
	lag   time.Duration
	sent  map[int64]time.Time
}

func (f *follower) poll(ctx context.Context, e *Engine, s store.Scope, fn func(*payment.Event) error) error {
	const page = 100
	after := f.floor
	for {
		evs, err := e.store.EventsAfter(ctx, s, after, page)
		if err != nil {
			return storeErr(err)
		}
		for _, ev := range evs {
			after = ev.Seq
			if _, done := f.sent[ev.Seq]; done {
				continue
			}
			if err := fn(ev); err != nil {
				return err
			}
			f.sent[ev.Seq] = e.now()
		}
		if len(evs) < page {
			break
		}
	}
	// Settle what has been seen for longer than the lag: nothing below it can still
	// commit (the lag is longer than any write transaction takes).
	settled := e.now().Add(-f.lag)
	for seq, at := range f.sent {
		if !at.After(settled) && seq > f.floor {
			f.floor = seq
		}
	}
	for seq := range f.sent {
		if seq <= f.floor {
			delete(f.sent, seq)
		}
	}
	return nil
}
