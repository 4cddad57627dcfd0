package sim

import (
	"encoding/json"
	"net/http"
)

// RequestsPath is where `certsync sandbox` serves its request counts. It is
// outside every simulator's routes and outside their injectors: reading the
// counts is not counted, delayed or faulted.
const RequestsPath = "/_sandbox/requests"

// CountsHandler answers GET with how many requests each simulator has
// received since it started, as a JSON object from vendor name to count
// ({"ccadb": 3, …}); requests answered by an injected fault count too. It is
// how benchmarks measure a run's requests per vendor from outside the
// process.
func CountsHandler(injectors map[string]*Injector) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			http.Error(w, "only GET", http.StatusMethodNotAllowed)
			return
		}
		out := make(map[string]int, len(injectors))
		for name, in := range injectors {
			out[name] = in.Count("")
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	})
}
