package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/paymux/paymux/internal/payment"
)

// Resolver looks up a host's addresses; *net.Resolver implements it. Tests inject
// their own to make a name resolve to a private address.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// MaxURLLength bounds an endpoint's URL.
const MaxURLLength = 2048

// resolveTimeout bounds the DNS lookup that checks a live endpoint's host.
const resolveTimeout = 5 * time.Second

// reserved are address ranges that are neither loopback, link-local nor private by
// the standard library's reckoning, yet are not the public internet either.
var reserved = []struct {
	prefix netip.Prefix
	why    string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), `a "this network" address`},
	{netip.MustParsePrefix("100.64.0.0/10"), "a carrier-grade NAT (shared) address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking network address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address"},
}

// nat64 is the well-known NAT64 prefix, whose addresses embed an IPv4 address.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// Blocked says why ip may not receive live webhooks (e.g. "a loopback address"), or
// returns "" for a public internet address. Letting an API key point webhooks at
// paymux's own network would let it probe that network (SSRF), so live mode sends
// only to public addresses. IPv4-mapped and NAT64 IPv6 addresses are judged by the
// IPv4 address they carry.
func Blocked(ip netip.Addr) string {
	ip = ip.Unmap()
	if nat64.Contains(ip) {
		b := ip.As16()
		return Blocked(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
	}
	switch {
	case !ip.IsValid():
		return "not an address"
	case ip.IsLoopback():
		return "a loopback address"
	case ip.IsUnspecified():
		return "an unspecified address"
	case ip.IsLinkLocalUnicast():
		return "a link-local address (where cloud metadata services answer)"
	case ip.IsPrivate():
		return "a private network address"
	case ip.IsMulticast(), ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast():
		return "a multicast address"
	}
	for _, r := range reserved {
		if r.prefix.Contains(ip) {
			return r.why
		}
	}
	return ""
}

// CheckURL checks an endpoint URL for a mode and returns it as it will be used.
// Any absolute http(s) URL without credentials or fragment does in test mode, so
// that a merchant can develop against a receiver on their own machine. Live mode
// needs a host that is, or resolves only to, public internet addresses, and https;
// the address is checked again at every delivery (see Client), since a name's
// addresses can change after this check.
func (c *Client) CheckURL(ctx context.Context, livemode bool, raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	bad := func(format string, a ...any) error {
		return payment.Invalid("url", payment.CodeParameterInvalid, format, a...)
	}
	if raw == "" {
		return "", payment.Invalid("url", payment.CodeParameterMissing,
			"url is required: the https:// address on your server that receives paymux's webhooks")
	}
	if len(raw) > MaxURLLength {
		return "", bad("url is %d characters: at most %d", len(raw), MaxURLLength)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "", bad("url does not parse: give an absolute URL such as https://shop.example/webhooks/paymux")
	case u.Scheme != "http" && u.Scheme != "https":
		return "", bad("url must start with https:// (or http:// in test mode), got %q", raw)
	case u.Host == "" || u.Hostname() == "":
		return "", bad("url has no host: give an absolute URL such as https://shop.example/webhooks/paymux")
	case u.User != nil:
		return "", bad("url must not hold a user name or password: authenticate webhooks by their Paymux-Signature instead")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return "", bad("url must not have a #fragment")
	}
	if !livemode {
		return raw, nil
	}
	refused := func(what, why string) error {
		return bad("url %s %s: in live mode webhooks go only to public internet addresses, so that an API key cannot make paymux reach its own network; "+
			"use your server's public https:// URL, or a test key (sk_test_…) to develop against a local receiver", what, why)
	}
	httpsOnly := func() (string, error) {
		if u.Scheme != "https" {
			return "", bad("url must use https:// in live mode (webhooks carry payment data); use http:// only with a test key (sk_test_…), e.g. for a receiver on your own machine")
		}
		return raw, nil
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if ip, err := netip.ParseAddr(host); err == nil {
		if why := Blocked(ip); why != "" {
			return "", refused("points to "+ip.String()+",", why)
		}
		return httpsOnly()
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return "", refused("points to "+host+",", "a name for this machine (a loopback address)")
	}
	rctx, cancel := context.WithTimeout(ctx, resolveTimeout)
	defer cancel()
	addrs, err := c.resolver.LookupIPAddr(rctx, host)
	if err != nil || len(addrs) == 0 {
		return "", bad("url's host %s does not resolve (%s): check the name, or retry if your DNS was just changed", host, lookupReason(err))
	}
	for _, a := range addrs {
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok {
			continue
		}
		if why := Blocked(ip); why != "" {
			return "", refused("has host "+host+", which resolves to "+ip.Unmap().String()+",", why)
		}
	}
	return httpsOnly()
}

func lookupReason(err error) string {
	var de *net.DNSError
	switch {
	case err == nil:
		return "no addresses"
	case errors.As(err, &de) && de.IsNotFound:
		return "no such host"
	case errors.As(err, &de) && de.IsTimeout:
		return "the lookup timed out"
	}
	return fmt.Sprint(err)
}
