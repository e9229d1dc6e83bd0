package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"syscall"
	"time"
)

// ErrForbiddenAddress is wrapped by the error of a webhook delivery that was
// refused because the address being dialled is loopback, link-local, private,
// unspecified or multicast and the sender does not allow private addresses.
var ErrForbiddenAddress = errors.New("webhook address not allowed")

// WebhookSender POSTs each message as JSON; any 2xx is delivery. It follows no
// redirect: a 3xx answer is a failed delivery, retried later like any other
// non-2xx answer.
//
// Unless AllowPrivate is set, it refuses to connect to a loopback, link-local,
// private (RFC 1918, fc00::/7), unspecified or multicast address. The check is
// made on the address actually being dialled, after name resolution, so a name
// that resolves (or later re-resolves) to such an address is refused too. For
// the same reason the guarded client ignores the HTTP(S)_PROXY environment
// variables: behind a proxy, the proxy and not zeren would pick the address.
type WebhookSender struct {
	// URL is where messages are posted (config notify.webhookURL).
	URL string
	// AllowPrivate lets the webhook be on a loopback, link-local, private,
	// unspecified or multicast address (config notify.allowPrivate), and lets the
	// client use the environment's HTTP proxy as http.DefaultTransport does.
	AllowPrivate bool
	// Client, when set, replaces the default client. Its transport is then used
	// as given (the address check is the caller's concern), but redirects are
	// still not followed.
	Client *http.Client
}

// Send posts the message.
func (s WebhookSender) Send(ctx context.Context, m Message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("webhook: encode message %d: %w", m.ID, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", fmt.Sprintf("zeren-outbox-%d", m.ID))
	res, err := httpClient(s.Client, s.AllowPrivate).Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<16))
	switch {
	case res.StatusCode/100 == 2:
		return nil
	case res.StatusCode/100 == 3:
		return fmt.Errorf("webhook answered %s (to %q); redirects are not followed", res.Status, res.Header.Get("Location"))
	default:
		return fmt.Errorf("webhook answered %s", res.Status)
	}
}

// httpClient is the client every outgoing notification (webhook, group
// robots) is posted with: custom when the caller gave one (redirects still not
// followed), else the shared client that refuses non-public addresses, or the
// one that allows them when allowPrivate.
func httpClient(custom *http.Client, allowPrivate bool) *http.Client {
	if custom != nil {
		c := *custom
		c.CheckRedirect = noRedirects
		return &c
	}
	if allowPrivate {
		return openClient()
	}
	return guardedClient()
}

// The two default clients are shared, so that connections are reused across
// sends.
var (
	guardedClient = sync.OnceValue(func() *http.Client { return newClient(false) })
	openClient    = sync.OnceValue(func() *http.Client { return newClient(true) })
)

func newClient(allowPrivate bool) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	t := http.DefaultTransport.(*http.Transport).Clone()
	if !allowPrivate {
		dialer.Control = checkDialAddress
		t.Proxy = nil
	}
	t.DialContext = dialer.DialContext
	return &http.Client{Transport: t, Timeout: 10 * time.Second, CheckRedirect: noRedirects}
}

// noRedirects makes the client return a 3xx answer as it is.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// checkDialAddress is a net.Dialer Control function: it runs for each address
// the dialer is about to connect to (an IP, not a name) and refuses the ones
// forbiddenAddress names.
func checkDialAddress(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot check %s address %q: %w", ErrForbiddenAddress, network, address, err)
	}
	if why := forbiddenAddress(ap.Addr()); why != "" {
		return fmt.Errorf("%w: %s is a %s address (set notify.allowPrivate to allow it)", ErrForbiddenAddress, ap.Addr(), why)
	}
	return nil
}

// thisNetwork is 0.0.0.0/8, which Linux, like the unspecified address, treats as
// the local host.
var thisNetwork = netip.MustParsePrefix("0.0.0.0/8")

// forbiddenAddress says what kind of non-public address a is, or "" when a
// webhook may be on it.
func forbiddenAddress(a netip.Addr) string {
	a = a.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	switch {
	case !a.IsValid():
		return "invalid"
	case a.IsLoopback():
		return "loopback"
	case a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast():
		return "link-local"
	case a.IsPrivate():
		return "private"
	case a.IsUnspecified(), thisNetwork.Contains(a):
		return "unspecified"
	case a.IsMulticast():
		return "multicast"
	}
	return ""
}
