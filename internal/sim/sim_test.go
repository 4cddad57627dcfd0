package sim

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestInjector(t *testing.T) {
	var handled atomic.Int32
	var in Injector
	srv := httptest.NewServer(in.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handled.Add(1)
		io.WriteString(w, "ok")
	})))
	defer srv.Close()
	in.Add(Fault{Method: "POST", Path: "/a", Status: 503, Body: "busy", Times: 1})
	in.Add(Fault{Path: "/drop", DropAfterCommit: true, Times: 1})
	in.Add(Fault{Path: "/gone", Drop: true, Skip: 1})

	get := func(method, path string) (int, error) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	if code, _ := get("POST", "/a"); code != 503 {
		t.Errorf("first POST /a = %d, want the injected 503", code)
	}
	if code, _ := get("POST", "/a"); code != 200 {
		t.Errorf("second POST /a = %d, want 200 (Times: 1)", code)
	}
	before := handled.Load()
	if _, err := get("POST", "/drop"); err == nil {
		t.Error("DropAfterCommit answered")
	}
	if handled.Load() != before+1 {
		t.Error("DropAfterCommit did not run the handler first")
	}
	if code, err := get("GET", "/gone"); err != nil || code != 200 {
		t.Errorf("first /gone should pass (Skip: 1): %d %v", code, err)
	}
	before = handled.Load()
	if _, err := get("GET", "/gone"); err == nil || handled.Load() != before {
		t.Error("Drop answered or handled the request")
	}
	if n := in.Count("POST /a"); n != 2 {
		t.Errorf("Count(POST /a) = %d, want 2", n)
	}
	if n := in.Count(""); n != 5 {
		t.Errorf("Count() = %d, want 5", n)
	}
}

func TestInjectorDelayAndProbability(t *testing.T) {
	var handled atomic.Int32
	var in Injector
	srv := httptest.NewServer(in.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handled.Add(1)
		io.WriteString(w, "ok")
	})))
	defer srv.Close()
	// A delay fault handles the request after the delay (no timing is
	// asserted: only that it is answered normally and counted as a hit).
	in.Add(Fault{Path: "/slow", Delay: time.Millisecond, Times: 1})
	// Probability 1 hits every request; a tiny one (almost) never does.
	in.Add(Fault{Path: "/always", Status: 500, Probability: 1})
	in.Add(Fault{Path: "/rarely", Status: 500, Probability: 1e-12})

	get := func(path string) int {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get("/slow"); code != 200 || handled.Load() != 1 {
		t.Errorf("delayed request = %d, handled %d; want 200, handled once", code, handled.Load())
	}
	for i := 0; i < 5; i++ {
		if code := get("/always"); code != 500 {
			t.Fatalf("probability 1: got %d, want 500", code)
		}
		if code := get("/rarely"); code != 200 {
			t.Fatalf("probability 1e-12: got %d, want 200", code)
		}
	}
}

func TestCountsHandler(t *testing.T) {
	var a, b Injector
	srvA := httptest.NewServer(a.Wrap(http.NotFoundHandler()))
	defer srvA.Close()
	for i := 0; i < 3; i++ {
		resp, err := http.Get(srvA.URL + "/x")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	h := CountsHandler(map[string]*Injector{"a": &a, "b": &b})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", RequestsPath, nil))
	if got := strings.TrimSpace(rec.Body.String()); got != `{"a":3,"b":0}` {
		t.Errorf("counts = %s", got)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", RequestsPath, nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST = %d, want 405", rec.Code)
	}
}
