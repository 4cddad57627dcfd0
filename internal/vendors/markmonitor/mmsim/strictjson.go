package mmsim

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"time"
)

// The API is a Spring Boot service that reads bodies with Jackson. Two of
// Jackson's defaults there differ from Go's encoding/json, and the simulator
// follows Jackson:
//
//   - Property names match exactly (MapperFeature.ACCEPT_CASE_INSENSITIVE_PROPERTIES
//     is off): "Locale" is not "locale". encoding/json would match it.
//   - Unknown properties are ignored (Spring Boot turns
//     DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES off). So a miscased
//     key is not an error by itself: the property it was meant for is simply
//     missing, and a missing mandatory property is the 400 validation error
//     of that field.
//
// See https://docs.spring.io/spring-boot/how-to/spring-mvc.html#howto.spring-mvc.customize-jackson-objectmapper
// for the Spring Boot defaults.

// exactKeys rewrites the JSON document data so that only object keys that
// spell a JSON property of t exactly are kept, at every depth; the rest are
// dropped, as Jackson ignores them. Values whose Go type is not a struct (a
// Time, a string-or-object ContactRef given as a string) are kept as they
// are. Numbers keep their text.
func exactKeys(data []byte, t reflect.Type) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	return json.Marshal(filterKeys(doc, t))
}

var timeType = reflect.TypeFor[Time]()

func filterKeys(v any, t reflect.Type) any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch x := v.(type) {
	case []any:
		if t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
			return v
		}
		for i := range x {
			x[i] = filterKeys(x[i], t.Elem())
		}
	case map[string]any:
		switch {
		case t.Kind() == reflect.Map:
			for k, e := range x {
				x[k] = filterKeys(e, t.Elem())
			}
		case t.Kind() == reflect.Struct && t != timeType && t != reflect.TypeFor[time.Time]():
			fields := jsonFields(t)
			for k, e := range x {
				ft, ok := fields[k]
				if !ok {
					delete(x, k)
					continue
				}
				x[k] = filterKeys(e, ft)
			}
		}
	}
	return v
}

// jsonFields maps the exact JSON property names of struct type t (embedded
// structs' promoted fields included) to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for f := range t.Fields() {
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		if f.Anonymous && name == "" {
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					if _, dup := out[k]; !dup {
						out[k] = v
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = ft
	}
	return out
}

// jsonBodyOK reports whether the request's Content-Type is one Spring's
// Jackson converter reads: application/json or application/*+json. A body
// without a Content-Type is application/octet-stream to Spring, so it is not.
func jsonBodyOK(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return false
	}
	if mt == "application/json" {
		return true
	}
	sub, ok := strings.CutPrefix(mt, "application/")
	return ok && strings.HasSuffix(sub, "+json")
}

// SpringError is Spring Boot's default error body, which framework-level
// refusals (415, 406) get: Markmonitor's own handlers, which write the
// {"errors":[…]} and {"validations":[…]} bodies, never run for them.
type SpringError struct {
	Timestamp string `json:"timestamp"`
	Status    int    `json:"status"`
	Error     string `json:"error"`
	Path      string `json:"path"`
}

// writeSpringError answers status with Spring Boot's default error body.
func writeSpringError(w http.ResponseWriter, r *http.Request, status int, now time.Time) {
	writeJSON(w, status, SpringError{
		Timestamp: now.UTC().Format("2006-01-02T15:04:05.000+00:00"),
		Status:    status,
		Error:     http.StatusText(status),
		Path:      r.URL.Path,
	})
}

// unsupportedMediaType answers 415 as Spring does, naming the types it reads
// in an Accept header.
func (s *Server) unsupportedMediaType(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Accept", "application/json, application/*+json")
	writeSpringError(w, r, http.StatusUnsupportedMediaType, s.opt.Now())
}
