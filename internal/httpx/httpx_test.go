package httpx

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestCheckURL(t *testing.T) {
	for u, ok := range map[string]bool{
		"https://api.example.com": true,
		"http://127.0.0.1:8080/x": true,
		"http://localhost:1":      true,
		"http://[::1]:2":          true,
		"http://api.example.com":  false,
		"http://10.0.0.1":         false,
		"ftp://example.com":       false,
		"not a url":               false,
	} {
		err := CheckURL("X", u)
		if (err == nil) != ok {
			t.Errorf("CheckURL(%q) = %v", u, err)
		}
		if err != nil && ok == false && strings.HasPrefix(u, "http://") && !errors.Is(err, ErrInsecure) {
			t.Errorf("CheckURL(%q) = %v, want ErrInsecure", u, err)
		}
	}
}

func TestNoCrossHostRedirect(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-API-KEY") != "" {
			t.Error("the key reached another host")
		}
	}))
	defer other.Close()
	srv := httptest.NewServer(http.RedirectHandler(strings.Replace(other.URL, "127.0.0.1", "localhost", 1), http.StatusFound))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Header.Set("X-API-KEY", "secret")
	if _, err := Client(nil, 10*time.Second).Do(req); err == nil || !strings.Contains(err.Error(), "refusing a redirect") {
		t.Fatalf("err = %v", err)
	}
}

// A client made by Client keeps enough idle connections for concurrent
// changes; a caller's own transport is left as it is.
func TestClientKeepsIdleConnections(t *testing.T) {
	c := Client(nil, time.Minute)
	tr, ok := c.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("transport %T, want an *http.Transport", c.Transport)
	}
	if tr.MaxIdleConnsPerHost < 4 {
		t.Fatalf("%d idle connections per host, want at least 4", tr.MaxIdleConnsPerHost)
	}
	if tr == http.DefaultTransport {
		t.Fatal("the shared default transport was changed")
	}
	own := &http.Transport{}
	if got := Client(&http.Client{Transport: own}, 0).Transport; got != own {
		t.Errorf("the caller's transport was replaced")
	}
}
