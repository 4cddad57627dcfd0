package sim

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
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
