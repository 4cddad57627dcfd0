package quantil

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/certsync/certsync/internal/httpx"
	"github.com/certsync/certsync/internal/redact"
)

// Sentinel errors.
var (
	// ErrAmbiguous is httpx.ErrAmbiguous: reconcile by reading first.
	ErrAmbiguous = httpx.ErrAmbiguous
	// ErrNotFound is NoSuchSsl (404).
	ErrNotFound = errors.New("no such certificate")
)

// APIError is an error answer, with the request id QUANTIL support asks for.
type APIError struct {
	Status    int
	Code      string
	Message   string
	RequestID string
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("HTTP %d", e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RequestID != "" {
		s += " (x-cnc-request-id " + e.RequestID + ")"
	}
	return s
}

// Unwrap maps 404 to ErrNotFound.
func (e *APIError) Unwrap() error {
	if e.Status == http.StatusNotFound {
		return ErrNotFound
	}
	return nil
}

// Paths of the API's routes.
const (
	// v1Path is the legacy XML certificate family (list, view, add,
	// modify, delete).
	v1Path = "/api/ssl/certificate"
	// v2Path is the V2 JSON certificate API (create, get, update, delete,
	// and the domains using a certificate under {id}/domain).
	v2Path = "/api/certificate"
	// bindPath binds a certificate to CDN domains.
	bindPath = "/api/config/certificate/batch"
)

// Client talks to the QUANTIL certificate API: the legacy XML family for
// reads, and for writes either that family or the V2 JSON API.
type Client struct {
	// v2 selects the V2 API for add, modify and delete.
	v2     bool
	base   string
	user   string
	apiKey string
	http   *http.Client
	log    *slog.Logger
	now    func() time.Time
	clock  httpx.Clock
}

// policy is how QUANTIL answers are retried. Reads, a modify (PUT of the
// same content) and a delete are safe to repeat after a 429, a 5xx or a
// transport error. An add (POST) is not: a lost answer may hide a created
// certificate, which the caller finds by name before adding again; it is
// repeated only after a 429 or when no connection was made. A 429's
// Retry-After is honoured.
var policy = httpx.Policy{
	Attempts: 3, ThrottledAttempts: 10,
	Base: time.Second, Max: 30 * time.Second, Jitter: 0.5,
	RetryAfterCap: 2 * time.Minute,
	Statuses:      []int{500, 502, 503, 504},
	RetryErrors:   true,
	Unsafe429:     true,
	UnsafeNotSent: true,
}

// NewClient builds a client; it sends nothing until the first call.
func NewClient(cfg Config, hc *http.Client, log *slog.Logger, r *redact.Redactor, now func() time.Time) *Client {
	hc = httpx.Client(hc, time.Minute)
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	if r != nil {
		r.Add(cfg.APIKey)
	}
	api, _ := cfg.api() // New refused an invalid value
	return &Client{v2: api == "v2", base: strings.TrimRight(cfg.URL, "/"), user: cfg.User, apiKey: cfg.APIKey, http: hc, log: log, now: now, clock: httpx.SystemClock{}}
}

// request builds one signed request; each attempt is signed anew. body
// builds the payload from the Date string the request is signed with, since
// the DES fields depend on it.
func (c *Client) request(ctx context.Context, method, p string, body func(date string) ([]byte, error)) (*http.Request, error) {
	date := c.now().UTC().Format(http.TimeFormat)
	var payload io.Reader
	if body != nil {
		b, err := body(date)
		if err != nil {
			return nil, err
		}
		payload = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+p, payload)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Date", date)
	req.SetBasicAuth(c.user, signature(c.apiKey, date))
	// The legacy family speaks XML; the V2 and domain routes JSON.
	mt := "application/json"
	if strings.HasPrefix(p, v1Path) {
		mt = "application/xml"
	}
	req.Header.Set("Accept", mt)
	if body != nil {
		req.Header.Set("Content-Type", mt)
	}
	return req, nil
}

// send performs one exchange and reads the whole answer.
func (c *Client) send(req *http.Request) (httpx.Result, error) {
	method, p := req.Method, req.URL.Path
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.log.Debug("quantil: request failed", "method", method, "path", p, "error", err)
		return httpx.Result{}, err
	}
	defer resp.Body.Close()
	data, err := httpx.ReadAll(resp.Body, 32<<20)
	c.log.Debug("quantil: request", "method", method, "path", p, "status", resp.StatusCode, "request_id", resp.Header.Get("x-cnc-request-id"), "duration", time.Since(start))
	return httpx.Result{Status: resp.StatusCode, Header: resp.Header, Body: data}, err
}

// do runs a request under the policy. idempotent says whether it may be
// repeated after an ambiguous failure; if it may not, such a failure is
// ErrAmbiguous.
func (c *Client) do(ctx context.Context, method, p string, body func(string) ([]byte, error), idempotent bool) (http.Header, []byte, error) {
	retry := httpx.Retrier{Policy: policy, Clock: c.clock, Log: c.log.With("vendor", "quantil")}
	var early error // the request could not be built: nothing was sent
	res, err := retry.Do(ctx, method+" "+p, idempotent, func(ctx context.Context) (httpx.Result, error) {
		req, err := c.request(ctx, method, p, body)
		if err != nil {
			early = err
			return httpx.Result{}, httpx.Final(err)
		}
		return c.send(req)
	})
	switch {
	case early != nil:
		return nil, nil, fmt.Errorf("%s %s: %w", method, p, early)
	case err != nil && !idempotent && !httpx.NotSent(err):
		return nil, nil, fmt.Errorf("%s %s: %w: %v", method, p, ErrAmbiguous, err)
	case err != nil:
		return nil, nil, fmt.Errorf("%s %s: %w", method, p, err)
	case res.Status >= 500 && !idempotent:
		return nil, nil, fmt.Errorf("%s %s: %w: %v", method, p, ErrAmbiguous, decodeError(res.Status, res.Header, res.Body))
	case res.Status >= 300:
		return nil, nil, fmt.Errorf("%s %s: %w", method, p, decodeError(res.Status, res.Header, res.Body))
	}
	return res.Header, res.Body, nil
}

func decodeError(status int, hdr http.Header, data []byte) *APIError {
	e := &APIError{Status: status, RequestID: hdr.Get("x-cnc-request-id")}
	var b apiError
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		_ = json.Unmarshal(trimmed, &b)
	} else {
		_ = xml.Unmarshal(trimmed, &b)
	}
	e.Code, e.Message = b.Code, b.Message
	if e.Code == "" && e.Message == "" {
		e.Message = http.StatusText(status)
	}
	return e
}

// Upload is what add and modify send: PEMs in clear, encrypted per request
// on v1. A nil Comment leaves the certificate's comment as it is: the
// element (v1) or key (v2) is not sent, and the API keeps the stored one.
type Upload struct {
	Name                   string
	Comment                *string
	CertPEM, KeyPEM, Chain []byte
}

func (u Upload) body(date string) ([]byte, error) {
	r := certRequest{
		Name: u.Name, Comment: u.Comment, Algorithm: "des",
		Cert: encrypt(u.CertPEM, date), Key: encrypt(u.KeyPEM, date),
	}
	if len(u.Chain) > 0 {
		r.Chain = encrypt(u.Chain, date)
	}
	out, err := xml.Marshal(r)
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), out...), nil
}

// v2Body is the V2 create and update body: plain PEM, the certificate
// followed by its chain in one field.
func (u Upload) v2Body(string) ([]byte, error) {
	cert := string(u.CertPEM)
	if len(u.Chain) > 0 {
		if !strings.HasSuffix(cert, "\n") {
			cert += "\n"
		}
		cert += string(u.Chain)
	}
	return json.Marshal(v2CertRequest{Name: u.Name, Comment: u.Comment, Certificate: cert, PrivateKey: string(u.KeyPEM)})
}

// List returns every certificate of the account, with the domains that use
// each (the v1 list has no paging; V2 has no list).
func (c *Client) List(ctx context.Context) ([]Certificate, error) {
	_, data, err := c.do(ctx, http.MethodGet, v1Path, nil, true)
	if err != nil {
		return nil, err
	}
	var l certList
	if err := xml.Unmarshal(data, &l); err != nil {
		return nil, fmt.Errorf("read the certificate list: %w", err)
	}
	return l.Items, nil
}

// View reads one certificate (no key material: the API never returns it).
func (c *Client) View(ctx context.Context, id string) (*Certificate, error) {
	_, data, err := c.do(ctx, http.MethodGet, v1Path+"/"+url.PathEscape(id), nil, true)
	if err != nil {
		return nil, err
	}
	var one Certificate
	if err := xml.Unmarshal(data, &one); err != nil {
		return nil, fmt.Errorf("read certificate %s: %w", id, err)
	}
	return &one, nil
}

// Add uploads a new certificate and returns its id, taken from Location
// (both generations answer so).
func (c *Client) Add(ctx context.Context, u Upload) (string, error) {
	p, body := v1Path, u.body
	if c.v2 {
		p, body = v2Path, u.v2Body
	}
	hdr, _, err := c.do(ctx, http.MethodPost, p, body, false)
	if err != nil {
		return "", err
	}
	loc := hdr.Get("Location")
	if loc == "" {
		return "", errors.New("add: the answer has no Location header, so the new certificate's id is unknown")
	}
	if parsed, err := url.Parse(loc); err == nil {
		loc = parsed.Path
	}
	return path.Base(loc), nil
}

// Modify replaces a certificate (PUT); sending the same content twice is
// harmless, so it is retried.
func (c *Client) Modify(ctx context.Context, id string, u Upload) error {
	p, body := v1Path, u.body
	if c.v2 {
		p, body = v2Path, u.v2Body
	}
	_, _, err := c.do(ctx, http.MethodPut, p+"/"+url.PathEscape(id), body, true)
	return err
}

// Delete removes a certificate; one already gone counts as deleted. The API
// refuses to delete a certificate that domains use.
func (c *Client) Delete(ctx context.Context, id string) error {
	p := v1Path
	if c.v2 {
		p = v2Path
	}
	_, _, err := c.do(ctx, http.MethodDelete, p+"/"+url.PathEscape(id), nil, true)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// Get reads one certificate through the V2 API.
func (c *Client) Get(ctx context.Context, id string) (*V2Certificate, error) {
	_, data, err := c.do(ctx, http.MethodGet, v2Path+"/"+url.PathEscape(id), nil, true)
	if err != nil {
		return nil, err
	}
	var r struct {
		Data V2Certificate `json:"data"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("read certificate %s: %w", id, err)
	}
	return &r.Data, nil
}

// Domains returns the names of the CDN domains that use certificate id,
// through the V2 API (GET /api/certificate/{id}/domain), sorted.
func (c *Client) Domains(ctx context.Context, id string) ([]string, error) {
	_, data, err := c.do(ctx, http.MethodGet, v2Path+"/"+url.PathEscape(id)+"/domain", nil, true)
	if err != nil {
		return nil, err
	}
	var r v2DomainsResponse
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("read the domains of certificate %s: %w", id, err)
	}
	out := make([]string, 0, len(r.Data.Domains))
	for _, d := range r.Data.Domains {
		out = append(out, strings.ToLower(d.DomainName))
	}
	sort.Strings(out)
	return out, nil
}

// Bind makes the CDN domains serve certificate id (PUT
// /api/config/certificate/batch). A domain that served another certificate
// moves to this one. Binding the same again changes nothing, so it is
// retried.
func (c *Client) Bind(ctx context.Context, id string, domains []string) error {
	body := func(string) ([]byte, error) {
		return json.Marshal(bindRequest{CertificateID: id, DomainNames: domains})
	}
	_, _, err := c.do(ctx, http.MethodPut, bindPath, body, true)
	return err
}
