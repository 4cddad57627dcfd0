package ccadb

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

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
)

// Client talks to the CCADB: the Salesforce token endpoint, the two Apex
// REST routes and the public report. It is safe for concurrent use.
type Client struct {
	base      string
	reportURL string
	http      *http.Client
	oauth     *oauth2.Config
	refresh   string
	log       *slog.Logger
	redactor  *redact.Redactor
	interval  time.Duration
	retries   int
	backoff   time.Duration

	tokMu sync.Mutex
	tok   *oauth2.Token

	paceMu   sync.Mutex
	lastCall time.Time
}

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
		base:      base,
		reportURL: cfg.ReportURL,
		http:      hc,
		oauth:     OAuthConfig(cfg),
		refresh:   cfg.RefreshToken,
		log:       log,
		redactor:  r,
		interval:  cfg.RequestInterval,
		retries:   3,
		backoff:   500 * time.Millisecond,
	}
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
		RedirectURL: base + "/",
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

// pace spaces API calls by the configured interval: the CCADB runs each
// request as an asynchronous Salesforce job and asks for a delay between them.
func (c *Client) pace(ctx context.Context) error {
	if c.interval <= 0 {
		return nil
	}
	c.paceMu.Lock()
	wait := time.Until(c.lastCall.Add(c.interval))
	if wait < 0 {
		wait = 0
	}
	c.lastCall = time.Now().Add(wait)
	c.paceMu.Unlock()
	return httpx.Sleep(ctx, wait)
}

// retryable reports whether a failed attempt may be sent again: the request
// was not processed (429) or the server failed (5xx) or the transport did.
// Both CCADB routes are safe to repeat: GetCertificateId only reads, an
// update is idempotent, and a repeated add is refused as a duplicate with the
// existing id, which the caller adopts.
func retryable(status int, err error) bool {
	if err != nil {
		return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
	}
	return status == http.StatusTooManyRequests || status >= 500
}

// call POSTs body to an Apex REST route with the bearer token, refreshing the
// token once on 401 INVALID_SESSION_ID, and retrying 429/5xx with backoff.
func (c *Client) call(ctx context.Context, route string, body any) (*Response, int, error) {
	payload, err := json.Marshal(body)
	if err != nil {
		return nil, 0, err
	}
	refreshed := false
	for attempt := 1; ; attempt++ {
		if err := c.pace(ctx); err != nil {
			return nil, 0, err
		}
		tok, err := c.token(ctx)
		if err != nil {
			return nil, 0, err
		}
		status, respBody, err := c.post(ctx, route, tok, payload)
		if err == nil && status == http.StatusUnauthorized && !refreshed {
			if errs := parseSFErrors(respBody); len(errs) > 0 && errs[0].ErrorCode == "INVALID_SESSION_ID" {
				c.log.Info("ccadb: access token expired; refreshing once", "route", route)
				c.invalidate(tok)
				refreshed = true
				attempt--
				continue
			}
		}
		if retryable(status, err) && attempt < c.retries {
			d := c.backoff*time.Duration(1<<(attempt-1)) + rand.N(c.backoff)
			c.log.Warn("ccadb: retrying", "route", route, "status", status, "error", errString(err), "in", d)
			if err := httpx.Sleep(ctx, d); err != nil {
				return nil, 0, err
			}
			continue
		}
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %w", route, err)
		}
		return c.decode(route, status, respBody)
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

func (c *Client) post(ctx context.Context, route, token string, payload []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+route, bytes.NewReader(payload))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	return c.do(req)
}

func (c *Client) do(req *http.Request) (int, []byte, error) {
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.log.Debug("ccadb: request failed", "method", req.Method, "path", req.URL.Path, "error", err)
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := httpx.ReadAll(resp.Body, 256<<20)
	c.log.Debug("ccadb: request", "method", req.Method, "path", req.URL.Path, "status", resp.StatusCode, "bytes", len(body), "duration", time.Since(start))
	return resp.StatusCode, body, err
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

// Report fetches and parses the public report. It is one GET, retried on
// 5xx and transport errors; no credentials are sent.
func (c *Client) Report(ctx context.Context) (*report, error) {
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.reportURL, nil)
		if err != nil {
			return nil, fmt.Errorf("CCADB report URL: %w", err)
		}
		req.Header.Set("Accept", "text/csv")
		status, body, err := c.do(req)
		if retryable(status, err) && attempt < c.retries {
			if err := httpx.Sleep(ctx, c.backoff*time.Duration(1<<(attempt-1))); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("fetch the CCADB report: %w", err)
		}
		if status != http.StatusOK {
			return nil, fmt.Errorf("fetch the CCADB report: HTTP %d: %s", status, snippet(body))
		}
		return parseReport(bytes.NewReader(body))
	}
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

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
