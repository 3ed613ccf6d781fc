package api_test

import (
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/paymux/paymux/internal/testutil/apptest"
)

// Two paymux instances on one PostgreSQL database deliver 500 events between them:
// every event is delivered, none twice (no crash happens here, and no job outlives
// its lease, so at-least-once means exactly once), no delivery is ever sent by both
// at the same moment, and the events of each payment arrive in order. Both
// instances take part.
func TestWebhookTwoInstancesOnePostgres(t *testing.T) {
	t.Parallel()
	schedule := apptest.WithWebhookRetrySchedule(20*time.Millisecond, 50*time.Millisecond, 100*time.Millisecond,
		200*time.Millisecond, 400*time.Millisecond, 800*time.Millisecond)
	// The production lease: with the tests' short one, a job slowed past it by a
	// loaded machine is taken again, which at-least-once allows but this test counts.
	lease := apptest.WithJobLease(30 * time.Second)
	a := apptest.Start(t, "postgres", schedule, lease)
	b := apptest.Start(t, "postgres", schedule, lease, apptest.WithDatabaseURL(a.DatabaseURL))
	// Every seventh event fails its first attempt, so that retries cross instances too.
	rcv := newHookReceiver(t, func(r hookRequest, earlier []hookRequest) int {
		h := fnv.New32a()
		h.Write([]byte(r.EventID))
		if h.Sum32()%7 == 0 && len(earlier) == 0 {
			return http.StatusServiceUnavailable
		}
		return 0
	})
	rcv.delay = 2 * time.Millisecond // widen the window in which a second sender would overlap
	newEndpoint(t, a, a.Keys.TestSecretKey, map[string]any{"url": rcv.url("/h"), "enabled_events": []string{"*"}})

	const payments = 250 // a created and a succeeded event each
	key := a.Keys.TestSecretKey
	var wg sync.WaitGroup
	work := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				env := a
				if i%2 == 1 {
					env = b
				}
				r := env.Do("POST", "/v1/payments", key, `{"amount":1000,"currency":"EUR"}`)
				if r.Status != http.StatusCreated {
					t.Errorf("create: %d %s", r.Status, r.Body)
					return
				}
				id := str(r.JSON(t), "id")
				if r := env.Do("POST", "/v1/payments/"+id+"/confirm", key, `{"payment_method":"pm_card_visa"}`); r.Status != http.StatusOK {
					t.Errorf("confirm: %d %s", r.Status, r.Body)
				}
			}
		}()
	}
	for i := range payments {
		work <- i
	}
	close(work)
	wg.Wait()
	if t.Failed() {
		return
	}
	rcv.waitFor("500 events delivered", 90*time.Second, func(r []hookRequest) bool {
		seen := map[string]bool{}
		for _, x := range succeeded(r, "/h", "") {
			seen[x.EventID] = true
		}
		return len(seen) == 2*payments
	})
	time.Sleep(500 * time.Millisecond) // a duplicate would show by now
	reqs := rcv.requests()
	rcv.mu.Lock()
	overlaps := rcv.overlaps
	rcv.mu.Unlock()
	if len(overlaps) > 0 {
		t.Errorf("%d deliveries were sent twice at the same time, e.g. %s", len(overlaps), overlaps[0])
	}
	delivered := map[string]int{}
	perPayment := map[string][]string{}
	retried := 0
	for _, r := range reqs {
		if r.Status != http.StatusOK {
			retried++
			continue
		}
		delivered[r.EventID]++
		perPayment[r.PaymentID] = append(perPayment[r.PaymentID], r.Type)
	}
	for id, n := range delivered {
		if n != 1 {
			var how []string
			for _, r := range reqs {
				if r.EventID == id {
					how = append(how, fmt.Sprintf("%s attempt %s of %s → %d", r.At.Format("15:04:05.000"), r.Header.Get("Paymux-Attempt"), r.Header.Get("Paymux-Delivery-Id"), r.Status))
				}
			}
			t.Errorf("event %s delivered %d times: %v", id, n, how)
		}
	}
	if len(perPayment) != payments {
		t.Errorf("events of %d payments, want %d", len(perPayment), payments)
	}
	for pay, types := range perPayment {
		if fmt.Sprint(types) != "[payment.created payment.succeeded]" {
			t.Errorf("payment %s: events arrived as %v", pay, types)
		}
	}
	if retried == 0 {
		t.Errorf("no attempt failed: the retries were not exercised")
	}
	// Both instances ran delivery jobs.
	for name, env := range map[string]*apptest.Env{"first": a, "second": b} {
		if n := deliveryJobsRun(t, env); n == 0 {
			t.Errorf("the %s instance ran no delivery job", name)
		} else {
			t.Logf("the %s instance ran %d delivery jobs", name, n)
		}
	}
}

var deliveryJobsRE = regexp.MustCompile(`paymux_jobs_total\{kind="webhook\.deliver",result="(?:done|again)"\} (\d+)`)

func deliveryJobsRun(t *testing.T, env *apptest.Env) int {
	t.Helper()
	resp, err := http.Get(env.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	n := 0
	for _, m := range deliveryJobsRE.FindAllStringSubmatch(string(b), -1) {
		v, _ := strconv.Atoi(m[1])
		n += v
	}
	return n
}
