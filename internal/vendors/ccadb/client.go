package ccadb

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/time/rate"

	"github.com/certsync/certsync/internal/httpx"
	"github.com/certsync/certsync/internal/redact"
)

// Sentinel errors callers can test with errors.Is.
var (
	// ErrLogin means the refresh token was refused (invalid_grant): only a new
	// authorization in the browser helps, so it is never retried.
	ErrLogin = errors.New("the CCADB refused the refresh token; run `certsync ccadb-login` to get a new one and set CERTSYNC_CCADB_REFRESH_TOKEN")
	// ErrNotFound is GetCertificateIdAPI's "Certificate not found in CCADB."
	ErrNotFound = errors.New("certificate not found in the CCADB")
	// ErrRejected is a ProcessingStatus of Fail: the CCADB refused the request.
	ErrRejected = errors.New("the CCADB rejected the request")
	// ErrLimit is Salesforce's REQUEST_LIMIT_EXCEEDED: no retry helps this run.
	ErrLimit = errors.New("the CCADB API request limit is exceeded; try again later")
	// ErrCertificateChanged means an intermediate's certificate file no
	// longer holds the certificate the plan was made from: nothing is sent.
	ErrCertificateChanged = errors.New("the certificate changed since the plan")
)

// Client talks to the CCADB: the Salesforce token endpoint, the two Apex
// REST routes and the public report. It is safe for concurrent use.
type Client struct {
	base      string
	reportURL string
	// pemReportURL is Config.PEMReportURL, read by import only.
	pemReportURL string
	http         *http.Client
	oauth        *oauth2.Config
	refresh      string
	log          *slog.Logger
	redactor     *redact.Redactor
	clock        httpx.Clock
	// pace spaces the Apex REST calls (nil: no pacing). The token endpoint
	// and the public report are not paced.
	pace *rate.Limiter

	tokMu sync.Mutex
	tok   *oauth2.Token
}

// How the CCADB's answers are retried. The CCADB answers 429 when more
// requests arrive in a minute than it serves, or when the same request
// arrives twice within a minute; 500 usually means the request timed out
// under load. Every route is safe to repeat: GetCertificateId only reads, an
// update sets the same values again, and a repeated add is refused as a
// duplicate naming the existing record, which the caller adopts. See
// https://github.com/mozilla/CCADB-Tools/tree/master/API_AddUpdateIntermediateCert
// ("429 error means too many requests made per minute, or a user made the
// same API call request more than once within a minute").
var (
	// readPolicy is for GetCertificateId and the report: a throttled read
	// while planning waits (up to about four minutes in all) rather than
	// failing the run.
	readPolicy = httpx.Policy{
		Attempts: 3, ThrottledAttempts: 8,
		Base: 2 * time.Second, Max: time.Minute, Jitter: 0.5,
		RetryAfterCap: 2 * time.Minute,
		Statuses:      []int{500, 502, 503, 504},
		RetryErrors:   true,
	}
	// writePolicy is for AddUpdate. An attempt that failed may still have
	// reached the CCADB, so the same body is not sent again within its
	// one-minute window: a repeat waits at least RepeatAfter after the
	// previous attempt ended, which is after the CCADB received it.
	writePolicy = httpx.Policy{
		Attempts: 3, ThrottledAttempts: 6,
		Base: 2 * time.Second, Max: 2 * time.Minute, Jitter: 0.5,
		RetryAfterCap: 2 * time.Minute,
		Statuses:      []int{500, 502, 503, 504},
		RetryErrors:   true,
		RepeatAfter:   time.Minute + 5*time.Second,
	}
)

// Response is the JSON every AddUpdate and GetCertificateId call answers.
type Response struct {
	ProcessingStatus string   `json:"ProcessingStatus"`
	Messages         []string `json:"Errors/Warnings"`
	RecordID         string   `json:"RecordId,omitempty"`
	SalesforceID     string   `json:"SalesforceRecordId,omitempty"`
}

// ID returns the record id of either response shape.
func (r *Response) ID() string {
	if r.SalesforceID != "" {
		return r.SalesforceID
	}
	return r.RecordID
}

// RejectedError carries the CCADB's own messages for a Fail response.
type RejectedError struct {
	Status   int
	Response Response
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("%s (HTTP %d): %s", ErrRejected, e.Status, strings.Join(e.Response.Messages, "; "))
}

// Unwrap lets errors.Is(err, ErrRejected) match.
func (e *RejectedError) Unwrap() error { return ErrRejected }

// NewClient builds a client from the configuration.
func NewClient(cfg Config, hc *http.Client, log *slog.Logger, r *redact.Redactor) *Client {
	base := strings.TrimRight(cfg.URL, "/")
	hc = httpx.Client(hc, 2*time.Minute) // Salesforce's per-request transaction limit
	if r == nil {
		r = &redact.Redactor{}
	}
	r.Add(cfg.ClientSecret, cfg.RefreshToken)
	return &Client{
		base:         base,
		reportURL:    cfg.ReportURL,
		pemReportURL: cfg.PEMReportURL,
		http:         hc,
		oauth:        OAuthConfig(cfg),
		refresh:      cfg.RefreshToken,
		log:          log,
		redactor:     r,
		clock:        httpx.SystemClock{},
		pace:         pacer(cfg.RequestInterval),
	}
}

// pacer is a limiter with burst 1 that lets one call through per interval:
// the CCADB runs each request as an asynchronous Salesforce job and asks for
// a delay (5 s or more) between requests. interval <= 0 paces nothing.
func pacer(interval time.Duration) *rate.Limiter {
	if interval <= 0 {
		return nil
	}
	return rate.NewLimiter(rate.Every(interval), 1)
}

func (c *Client) retrier(p httpx.Policy) *httpx.Retrier {
	return &httpx.Retrier{Policy: p, Clock: c.clock, Log: c.log.With("vendor", "ccadb")}
}

// OAuthConfig is the Salesforce connected app as x/oauth2 sees it. Client
// credentials go in the form body: Salesforce rejects HTTP Basic (x/oauth2
// once listed it as a "broken auth header provider").
func OAuthConfig(cfg Config) *oauth2.Config {
	base := strings.TrimRight(cfg.URL, "/")
	return &oauth2.Config{
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
		Endpoint: oauth2.Endpoint{
			AuthURL:   base + "/services/oauth2/authorize",
			TokenURL:  base + "/services/oauth2/token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
		RedirectURL: cfg.redirectURI(),
	}
}

// token returns the cached access token or fetches one with the refresh
// token. Salesforce sends no expiry, so a token is used until the API answers
// 401 INVALID_SESSION_ID and invalidate drops it.
func (c *Client) token(ctx context.Context) (string, error) {
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	if c.tok != nil {
		return c.tok.AccessToken, nil
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, c.http)
	t, err := c.oauth.TokenSource(ctx, &oauth2.Token{RefreshToken: c.refresh}).Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && (re.ErrorCode == "invalid_grant" || re.ErrorCode == "invalid_client" || re.ErrorCode == "invalid_client_id") {
			return "", fmt.Errorf("%w (%s: %s)", ErrLogin, re.ErrorCode, re.ErrorDescription)
		}
		return "", fmt.Errorf("get a CCADB access token: %w", err)
	}
	c.redactor.Add(t.AccessToken)
	if t.RefreshToken != "" && t.RefreshToken != c.refresh {
		c.redactor.Add(t.RefreshToken)
	}
	c.log.Debug("ccadb: got an access token")
	c.tok = t
	return t.AccessToken, nil
}

// invalidate forgets the access token if it is still the one that failed, so
// that goroutines that failed with the same token refresh only once.
func (c *Client) invalidate(bad string) {
	c.tokMu.Lock()
	if c.tok != nil && c.tok.AccessToken == bad {
		c.tok = nil
	}
	c.tokMu.Unlock()
}

// sfError is one element of Salesforce's REST error array.
type sfError struct {
	Message   string `json:"message"`
	ErrorCode string `json:"errorCode"`
}

func parseSFErrors(body []byte) []sfError {
	var errs []sfError
	_ = json.Unmarshal(body, &errs)
	return errs
}

// call POSTs body to an Apex REST route with the bearer token, under the
// route's retry policy. Each attempt gets the token first and then waits for
// its turn: the token endpoint is not the paced API.
func (c *Client) call(ctx context.Context, route string, body any) (*Response, int, error) {
	payload, err := json.Marshal(body)
	if err != nil {
		return nil, 0, err
	}
	policy := readPolicy
	if route == routeAddUpdate {
		policy = writePolicy
	}
	res, err := c.retrier(policy).Do(ctx, route, true, func(ctx context.Context) (httpx.Result, error) {
		return c.attempt(ctx, route, payload)
	})
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", route, err)
	}
	return c.decode(route, res.Status, res.Body)
}

// attempt is one paced POST, sent a second time with a new token if the
// first answer is 401 INVALID_SESSION_ID (Salesforce tokens carry no expiry,
// so an expired one is only found out this way). That answer was refused
// before any processing, so the second send is no repeat.
func (c *Client) attempt(ctx context.Context, route string, payload []byte) (httpx.Result, error) {
	for refreshed := false; ; refreshed = true {
		tok, err := c.token(ctx)
		if err != nil {
			// x/oauth2 failed or the refresh token was refused: not retried,
			// as before (a refused token needs ccadb-login).
			return httpx.Result{}, httpx.Final(err)
		}
		if err := httpx.Wait(ctx, c.clock, c.pace); err != nil {
			return httpx.Result{}, err
		}
		res, err := c.post(ctx, route, tok, payload)
		if err == nil && res.Status == http.StatusUnauthorized && !refreshed {
			if errs := parseSFErrors(res.Body); len(errs) > 0 && errs[0].ErrorCode == "INVALID_SESSION_ID" {
				c.log.Info("ccadb: access token expired; refreshing once", "route", route)
				c.invalidate(tok)
				continue
			}
		}
		return res, err
	}
}

func (c *Client) decode(route string, status int, body []byte) (*Response, int, error) {
	if status == http.StatusUnauthorized || status == http.StatusForbidden || (status == http.StatusBadRequest && bytes.HasPrefix(bytes.TrimSpace(body), []byte("["))) {
		errs := parseSFErrors(body)
		if len(errs) > 0 {
			if errs[0].ErrorCode == "REQUEST_LIMIT_EXCEEDED" {
				return nil, status, fmt.Errorf("%s: %w (%s)", route, ErrLimit, errs[0].Message)
			}
			return nil, status, fmt.Errorf("%s: HTTP %d %s: %s", route, status, errs[0].ErrorCode, errs[0].Message)
		}
	}
	var r Response
	if err := json.Unmarshal(body, &r); err != nil || r.ProcessingStatus == "" {
		return nil, status, fmt.Errorf("%s: unexpected HTTP %d answer: %s", route, status, snippet(body))
	}
	if r.ProcessingStatus == "Fail" || status >= 400 {
		return &r, status, &RejectedError{Status: status, Response: r}
	}
	return &r, status, nil
}

func (c *Client) post(ctx context.Context, route, token string, payload []byte) (httpx.Result, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+route, bytes.NewReader(payload))
	if err != nil {
		return httpx.Result{}, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	return c.do(req)
}

func (c *Client) do(req *http.Request) (httpx.Result, error) {
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.log.Debug("ccadb: request failed", "method", req.Method, "path", req.URL.Path, "error", err)
		return httpx.Result{}, err
	}
	defer resp.Body.Close()
	body, err := httpx.ReadAll(resp.Body, 256<<20)
	c.log.Debug("ccadb: request", "method", req.Method, "path", req.URL.Path, "status", resp.StatusCode, "bytes", len(body), "duration", time.Since(start))
	return httpx.Result{Status: resp.StatusCode, Header: resp.Header, Body: body}, err
}

// CertificateID is GetCertificateIdAPI for an intermediate certificate.
// It returns ErrNotFound when the CCADB has no such record.
func (c *Client) CertificateID(ctx context.Context, flatPEM, sha256 string) (string, error) {
	r, _, err := c.call(ctx, routeRecordID, map[string]string{
		"PEM":        flatPEM,
		"SHA256":     sha256,
		"RecordType": "Intermediate Certificate",
	})
	var rej *RejectedError
	if errors.As(err, &rej) && isNotFound(rej.Response.Messages) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", err
	}
	return r.ID(), nil
}

func isNotFound(msgs []string) bool {
	for _, m := range msgs {
		if strings.Contains(strings.ToLower(m), "not found") {
			return true
		}
	}
	return false
}

// AddUpdate sends one AddUpdateIntermediateCertAPI request. A Fail answer is
// a *RejectedError that still carries the response (with the existing record
// id for a duplicate add).
func (c *Client) AddUpdate(ctx context.Context, body map[string]any) (*Response, error) {
	r, _, err := c.call(ctx, routeAddUpdate, body)
	return r, err
}

// Report fetches the public report and keeps the rows whose SHA-256 is in
// want (see getCSV). The body is parsed as it arrives, never held whole.
func (c *Client) Report(ctx context.Context, want map[string]bool) (*report, error) {
	var rep *report
	err := c.getCSV(ctx, "report", c.reportURL, errReportFormat, func(body io.Reader) error {
		r, err := parseReport(body, want)
		rep = r
		return err
	})
	return rep, err
}

// getCSV fetches one of the CCADB's public CSV reports at u and hands the
// body to parse as it arrives: one GET under the read policy, not paced (a
// report is not the API), no credentials sent. A body that parse refuses as
// malformed (a csv.ParseError, or an error wrapping badFormat) is final; a
// connection that breaks mid-body is retried, and parse then starts again
// on the new body, so it must reset what it keeps.
func (c *Client) getCSV(ctx context.Context, what, u string, badFormat error, parse func(io.Reader) error) error {
	res, err := c.retrier(readPolicy).Do(ctx, what, true, func(ctx context.Context) (httpx.Result, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return httpx.Result{}, httpx.Final(fmt.Errorf("CCADB %s URL: %w", what, err))
		}
		req.Header.Set("Accept", "text/csv")
		start := time.Now()
		resp, err := c.http.Do(req)
		if err != nil {
			c.log.Debug("ccadb: request failed", "method", req.Method, "path", req.URL.Path, "error", err)
			return httpx.Result{}, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			body, _ := httpx.ReadAll(resp.Body, 64<<10)
			return httpx.Result{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil // the policy decides
		}
		err = parse(resp.Body)
		c.log.Debug("ccadb: request", "method", req.Method, "path", req.URL.Path, "query", req.URL.RawQuery, "status", resp.StatusCode, "duration", time.Since(start))
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) || errors.Is(err, badFormat) {
				return httpx.Result{}, httpx.Final(err)
			}
			return httpx.Result{}, err // the connection broke mid-report: retried
		}
		return httpx.Result{Status: resp.StatusCode, Header: resp.Header}, nil
	})
	if err != nil {
		return fmt.Errorf("fetch the CCADB %s: %w", what, err)
	}
	if res.Status != http.StatusOK {
		return fmt.Errorf("fetch the CCADB %s: HTTP %d: %s", what, res.Status, snippet(res.Body))
	}
	return nil
}

const (
	routeRecordID  = "/services/apexrest/get/recordid"
	routeAddUpdate = "/services/apexrest/create/intermediatecert"
)

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
