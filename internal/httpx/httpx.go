// Package httpx holds the HTTP rules every vendor client follows: secrets
// travel over TLS only (plain HTTP is for the local simulators), and
// credentials are never handed to another host by a redirect.
package httpx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// ErrInsecure means a vendor URL would send credentials in clear text.
var ErrInsecure = errors.New("credentials must travel over https")

// CheckURL accepts https URLs, and http only to the loopback interface (the
// sandbox and tests). setting names the variable in the error.
func CheckURL(setting, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%s=%q is not a URL", setting, raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if host == "localhost" {
			return nil
		}
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			return nil
		}
	}
	return fmt.Errorf("%s=%q: %w (http is allowed only to localhost)", setting, raw, ErrInsecure)
}

// IdleConnsPerHost is how many idle connections to one vendor a client
// made by Client keeps for reuse: above any sensible CERTSYNC_CONCURRENCY.
const IdleConnsPerHost = 16

// Client returns a copy of c (or a new client with the timeout) that refuses
// to follow a redirect to another host, since requests carry API keys and
// tokens in their headers.
func Client(c *http.Client, timeout time.Duration) *http.Client {
	var out http.Client
	if c != nil {
		out = *c
	} else {
		out.Timeout = timeout
	}
	if out.Transport == nil {
		// net/http keeps 2 idle connections per host by default: with
		// several changes applied at once (CERTSYNC_CONCURRENCY), every
		// other request opened a new connection, and a TLS handshake.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = IdleConnsPerHost
		out.Transport = t
	}
	out.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) > 0 && req.URL.Host != via[0].URL.Host {
			return fmt.Errorf("refusing a redirect from %s to %s: it would carry credentials to another host", via[0].URL.Host, req.URL.Host)
		}
		if len(via) >= 5 {
			return errors.New("too many redirects")
		}
		return nil
	}
	return &out
}

// ErrTooLarge means an answer exceeded the size a client accepts; a cut-off
// answer (a report missing its last rows) must not pass for a whole one.
var ErrTooLarge = errors.New("the answer is larger than certsync accepts")

// ReadAll reads r up to limit bytes and fails if there is more.
func ReadAll(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return b, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w (%d bytes)", ErrTooLarge, limit)
	}
	return b, nil
}

// Sleep waits d, or until ctx is done (then it returns ctx's cause): the
// pause between retries.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// ErrAmbiguous means a request that changes something may or may not have
// been carried out (a timeout, a 5xx, a dropped connection). Such a request
// is never sent again blindly: the caller reads the vendor's state first.
var ErrAmbiguous = errors.New("the request may or may not have been carried out")
