package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/payment"
	"github.com/paymux/paymux/internal/store"
	"github.com/paymux/paymux/internal/testutil/apptest"
)

// sseEvent is one event read from /v1/events/stream.
type sseEvent struct {
	ID, Type, PaymentID string
}

// openStream follows the stream with key; events arrive on the channel until the
// stream ends, which closes it.
func openStream(t *testing.T, env *apptest.Env, key, query string, headers ...string) (<-chan sseEvent, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	req, _ := http.NewRequestWithContext(ctx, "GET", env.URL+"/v1/events/stream"+query, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("open stream: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		cancel()
		t.Fatalf("open stream: status %d", resp.StatusCode)
	}
	out := make(chan sseEvent, 10000)
	go func() {
		defer close(out)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var data string
		for sc.Scan() {
			line := sc.Text()
			if d, ok := strings.CutPrefix(line, "data: "); ok {
				data = d
			}
			if line != "" || data == "" {
				continue
			}
			var ev struct {
				ID, Type  string
				PaymentID string `json:"payment_id"`
			}
			_ = json.Unmarshal([]byte(data), &ev)
			out <- sseEvent{ev.ID, ev.Type, ev.PaymentID}
			data = ""
		}
	}()
	t.Cleanup(cancel)
	return out, cancel
}

// collect reads events from ch until want says it has enough, or fails after timeout.
func collectEvents(t *testing.T, ch <-chan sseEvent, timeout time.Duration, want func([]sseEvent) bool) []sseEvent {
	t.Helper()
	var got []sseEvent
	deadline := time.After(timeout)
	for !want(got) {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("the stream ended after %d events", len(got))
			}
			got = append(got, ev)
		case <-deadline:
			t.Fatalf("after %s, %d events: %v", timeout, len(got), got)
		}
	}
	return got
}

// Many payments written at once, by concurrent requests: the stream sends every one
// of their events exactly once, each payment's events in order, and nothing of
// another merchant or of live mode.
func TestEventStreamDeliversEveryEventOnce(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		other, err := env.App.Engine.CreateMerchant(t.Context(), "Other Shop")
		if err != nil {
			t.Fatal(err)
		}
		mine, _ := openStream(t, env, env.Keys.TestSecretKey, "")
		theirs, _ := openStream(t, env, other.TestSecretKey, "")
		live, _ := openStream(t, env, env.Keys.LiveSecretKey, "")

		const n = 40
		var wg sync.WaitGroup
		ids := make(chan string, n)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ids <- paid(t, env)
			}()
		}
		wg.Wait()
		close(ids)
		pays := map[string]bool{}
		for id := range ids {
			pays[id] = true
		}
		// Each payment: payment.created, then payment.succeeded.
		got := collectEvents(t, mine, 30*time.Second, func(evs []sseEvent) bool { return len(evs) >= 2*n })
		time.Sleep(300 * time.Millisecond) // anything more (a duplicate) would come now
		for len(mine) > 0 {
			got = append(got, <-mine)
		}
		seen := map[string]bool{}
		last := map[string]string{}
		for _, ev := range got {
			if seen[ev.ID] {
				t.Errorf("event %s sent twice", ev.ID)
			}
			seen[ev.ID] = true
			if !pays[ev.PaymentID] {
				t.Errorf("event %s of payment %s, which is not one of this merchant's", ev.ID, ev.PaymentID)
			}
			if ev.Type == "payment.succeeded" && last[ev.PaymentID] != "payment.created" {
				t.Errorf("payment %s: succeeded after %q, want after payment.created", ev.PaymentID, last[ev.PaymentID])
			}
			last[ev.PaymentID] = ev.Type
		}
		if len(got) != 2*n {
			t.Errorf("%d events, want %d", len(got), 2*n)
		}
		select {
		case ev := <-theirs:
			t.Errorf("another merchant's stream got %v", ev)
		case ev := <-live:
			t.Errorf("the live stream got test event %v", ev)
		default:
		}
	})
}

// A client that reconnects with Last-Event-ID gets what happened while it was away.
func TestEventStreamResumesWithLastEventID(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, env *apptest.Env) {
		ch, cancel := openStream(t, env, env.Keys.TestSecretKey, "?types=payment.created")
		first := paid(t, env)
		got := collectEvents(t, ch, 10*time.Second, func(evs []sseEvent) bool { return len(evs) == 1 })
		if got[0].PaymentID != first || got[0].Type != "payment.created" {
			t.Fatalf("first event %v", got[0])
		}
		cancel()
		var missed []string
		for range 3 {
			missed = append(missed, paid(t, env))
		}
		ch, _ = openStream(t, env, env.Keys.TestSecretKey, "?types=payment.created", "Last-Event-ID", got[0].ID)
		again := collectEvents(t, ch, 10*time.Second, func(evs []sseEvent) bool { return len(evs) == 3 })
		for i, ev := range again {
			if ev.PaymentID != missed[i] || ev.Type != "payment.created" {
				t.Errorf("resumed event %d: %v, want payment.created of %s", i, ev, missed[i])
			}
		}
	})
}

// Closing the server's streams (as serve does on shutdown) ends them, so that
// shutdown never waits on a follower.
func TestEventStreamEndsOnShutdown(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t, "sqlite")
	ch, _ := openStream(t, env, env.Keys.TestSecretKey, "")
	env.App.API.CloseStreams()
	select {
	case _, ok := <-ch:
		if ok {
			t.Fatal("an event after CloseStreams")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the stream is still open 5s after CloseStreams")
	}
	r := env.Secret("GET", "/v1/events/stream?limit=5", nil)
	wantError(t, r, http.StatusBadRequest, "parameter_unknown", "limit", "this stream takes after, types")
	r = env.Do("GET", "/v1/events/stream", env.Keys.TestPublishableKey, nil)
	wantError(t, r, http.StatusForbidden, "secret_key_required", "", "secret key")
}

// On PostgreSQL an event can commit after one numbered later; the stream still sends
// it (once), as long as it commits within the follow lag.
func TestEventStreamSendsLateCommits(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t, "postgres")
	ch, _ := openStream(t, env, env.Keys.TestSecretKey, "")
	s := store.Scope{MerchantID: env.Keys.ID}
	newEv := func(typ string) *payment.Event {
		return &payment.Event{ID: payment.NewID(payment.PrefixEvent), MerchantID: s.MerchantID, Type: typ,
			PaymentID: "pay_late", Actor: payment.Actor{Type: payment.ActorSystem, ID: "test"},
			Data: payment.EventData{Object: json.RawMessage(`{}`)}, CreatedAt: time.Now().UTC()}
	}
	early, late := newEv("payment.created"), newEv("payment.succeeded")
	inserted, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- env.App.Store.Write(t.Context(), func(ctx context.Context, tx store.Tx) error {
			if err := tx.InsertEvent(ctx, early); err != nil {
				return err
			}
			close(inserted)
			<-release // hold the commit while a later-numbered event commits
			return nil
		})
	}()
	<-inserted
	if err := env.App.Store.Write(t.Context(), func(ctx context.Context, tx store.Tx) error {
		return tx.InsertEvent(ctx, late)
	}); err != nil {
		t.Fatal(err)
	}
	if early.Seq >= late.Seq {
		t.Fatalf("seq %d then %d: the test needs the held event numbered first", early.Seq, late.Seq)
	}
	got := collectEvents(t, ch, 10*time.Second, func(evs []sseEvent) bool { return len(evs) == 1 })
	if got[0].ID != late.ID {
		t.Fatalf("first streamed %v, want the committed %s", got[0], late.ID)
	}
	time.Sleep(time.Second) // the stream has moved on past late's number
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got = collectEvents(t, ch, 10*time.Second, func(evs []sseEvent) bool { return len(evs) == 1 })
	if got[0].ID != early.ID {
		t.Fatalf("then streamed %v, want the late-committed %s", got[0], early.ID)
	}
	select {
	case ev := <-ch:
		t.Errorf("then %v: sent again", ev)
	case <-time.After(time.Second):
	}
}
