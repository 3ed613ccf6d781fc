package payment

import (
	"crypto/rand"
	"encoding/binary"
)

// Id prefixes, as in the public API.
const (
	PrefixPayment  = "pay_"
	PrefixRefund   = "re_"
	PrefixEvent    = "evt_"
	PrefixMerchant = "mer_"
	PrefixKey      = "key_"
	PrefixUser     = "usr_"
	PrefixConn     = "conn_"
)

const idAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// NewID returns prefix followed by 22 base62 characters (about 131 random bits), so
// ids are unguessable and cannot be enumerated.
func NewID(prefix string) string { return prefix + RandomString(22) }

// RandomString returns n random base62 characters from crypto/rand.
func RandomString(n int) string {
	out := make([]byte, n)
	var buf [8]byte
	for i := 0; i < n; {
		_, _ = rand.Read(buf[:]) // crypto/rand.Read never fails on supported platforms
		v := binary.LittleEndian.Uint64(buf[:])
		// Nine base62 digits per 64-bit word: each digit stays within 2^-10 of
		// uniform (a tenth digit would not).
		for j := 0; j < 9 && i < n; j++ {
			out[i] = idAlphabet[v%62]
			v /= 62
			i++
		}
	}
	return string(out)
}
