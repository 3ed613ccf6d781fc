package payment_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/paymux/paymux/internal/payment"
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func checkBase62(t *testing.T, s string) {
	t.Helper()
	for _, c := range s {
		if !strings.ContainsRune(base62, c) {
			t.Fatalf("%q has %q outside base62", s, c)
		}
	}
}

func TestNewIDShape(t *testing.T) {
	t.Parallel()
	prefixes := []string{payment.PrefixPayment, payment.PrefixRefund, payment.PrefixEvent, payment.PrefixMerchant,
		payment.PrefixKey, payment.PrefixUser, payment.PrefixConn, ""}
	want := map[string]string{"pay_": payment.PrefixPayment, "re_": payment.PrefixRefund, "evt_": payment.PrefixEvent,
		"mer_": payment.PrefixMerchant, "key_": payment.PrefixKey, "usr_": payment.PrefixUser, "conn_": payment.PrefixConn}
	for lit, c := range want {
		if lit != c {
			t.Errorf("prefix constant %q, want %q", c, lit)
		}
	}
	for _, prefix := range prefixes {
		t.Run(prefix, func(t *testing.T) {
			t.Parallel()
			for range 100 {
				id := payment.NewID(prefix)
				if !strings.HasPrefix(id, prefix) || len(id) != len(prefix)+22 {
					t.Fatalf("NewID(%q) = %q, want the prefix and 22 characters", prefix, id)
				}
				checkBase62(t, id[len(prefix):])
			}
		})
	}
}

func TestRandomStringLengths(t *testing.T) {
	t.Parallel()
	for n := 0; n <= 64; n++ {
		s := payment.RandomString(n)
		if len(s) != n {
			t.Fatalf("RandomString(%d) has length %d", n, len(s))
		}
		checkBase62(t, s)
	}
}

func TestNewIDUnique(t *testing.T) {
	t.Parallel()
	const workers, each = 4, 25_000 // 100k ids
	var (
		mu   sync.Mutex
		seen = make(map[string]struct{}, workers*each)
		wg   sync.WaitGroup
	)
	// Every symbol should turn up in every position over this many ids.
	var counts [22][62]int
	for range workers {
		wg.Go(func() {
			local := make([]string, each)
			for i := range local {
				local[i] = payment.NewID(payment.PrefixPayment)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, id := range local {
				if _, dup := seen[id]; dup {
					t.Errorf("duplicate id %s", id)
				}
				seen[id] = struct{}{}
				for pos, c := range id[len(payment.PrefixPayment):] {
					counts[pos][strings.IndexRune(base62, c)]++
				}
			}
		})
	}
	wg.Wait()
	if len(seen) != workers*each {
		t.Errorf("%d distinct ids of %d", len(seen), workers*each)
	}
	// Expected count per cell is 100000/62 ≈ 1613; 1000 is more than 15 standard
	// deviations away, so this only catches a broken alphabet or a stuck position.
	for pos := range counts {
		for sym, n := range counts[pos] {
			if n < 1000 || n > 2300 {
				t.Errorf("symbol %q at position %d seen %d times in 100k ids", base62[sym], pos, n)
			}
		}
	}
}
