package notify

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/certsync/certsync/internal/httpx"
)

// Setting is the environment variable that holds the webhook URLs.
const Setting = "CERTSYNC_NOTIFY_URL"

// ErrBadURL means a webhook URL is not a URL, or would travel in clear text.
// Errors wrapping it name the entry by position and host only: a webhook
// URL carries its own credential (a Slack URL's path is a token), so the
// whole URL is never put in an error or a log line.
var ErrBadURL = errors.New("bad webhook URL")

// ParseURLs splits the value of CERTSYNC_NOTIFY_URL (one URL or a
// comma-separated list; blanks around entries are ignored, a comma inside a
// URL must be written %2C) and checks each entry with the vendor clients'
// rule: https, or http to the loopback interface only. Duplicates are
// dropped. An empty value gives no URLs and no error: notifications are off.
func ParseURLs(value string) ([]string, error) {
	var out []string
	for _, raw := range strings.Split(value, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		out = append(out, raw)
	}
	return checkURLs(out)
}

func checkURLs(urls []string) ([]string, error) {
	var out []string
	var errs []error
	seen := map[string]bool{}
	for i, raw := range urls {
		if err := checkURL(i+1, raw); err != nil {
			errs = append(errs, err)
			continue
		}
		if !seen[raw] {
			seen[raw] = true
			out = append(out, raw)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// checkURL applies httpx.CheckURL but words the error itself, since
// CheckURL quotes the whole URL (right for a vendor's base URL, a leak for a
// webhook's).
func checkURL(n int, raw string) error {
	err := httpx.CheckURL(Setting, raw)
	if err == nil {
		return nil
	}
	u, perr := url.Parse(raw)
	if perr != nil || u.Host == "" {
		return fmt.Errorf("%s entry %d: %w: not an absolute URL (https://host/path)", Setting, n, ErrBadURL)
	}
	if errors.Is(err, httpx.ErrInsecure) {
		return fmt.Errorf("%s entry %d (%s://%s/…): %w: %w (http is allowed only to localhost)", Setting, n, u.Scheme, u.Host, ErrBadURL, httpx.ErrInsecure)
	}
	return fmt.Errorf("%s entry %d (%s): %w", Setting, n, u.Host, ErrBadURL)
}

// secretForms are the parts of a webhook URL that are registered with the
// redactor: the URL, its path and query (where Slack, Teams and most hooks
// keep their token), and a password in it.
func secretForms(raw string) []string {
	out := []string{raw}
	u, err := url.Parse(raw)
	if err != nil {
		return out
	}
	if u.Path != "" && u.Path != "/" {
		out = append(out, u.Path, u.EscapedPath())
	}
	if u.RawQuery != "" {
		out = append(out, u.RawQuery)
	}
	if p, ok := u.User.Password(); ok {
		out = append(out, p)
	}
	if u.User != nil {
		out = append(out, u.User.String())
	}
	return out
}

// hostOf is the one part of a webhook URL that may be logged.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(unparsable URL)"
	}
	return u.Host
}
