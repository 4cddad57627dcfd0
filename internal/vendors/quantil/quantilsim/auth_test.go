package quantilsim

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// zoned formats t in a zone with the given abbreviation and offset, the way
// `date "+%a, %d %b %Y %H:%M:%S %Z"` does on a host in that zone.
func zoned(t time.Time, abbr string, offset time.Duration) string {
	return t.In(time.FixedZone(abbr, int(offset.Seconds()))).Format("Mon, 02 Jan 2006 15:04:05 MST")
}

func TestAuth(t *testing.T) {
	f := newFixture(t)
	now := f.clock.Now()
	signed := func(date string) http.Header {
		return http.Header{"Date": {date}, "Authorization": {basic(testUser, testKey, date)}}
	}
	ok := []struct {
		name string
		hdr  http.Header
	}{
		{"GMT", signed(now.UTC().Format(http.TimeFormat))},
		{"UTC (the reference script's %Z on a UTC host)", signed(zoned(now, "UTC", 0))},
		{"PDT (QUANTIL's own samples)", signed(zoned(now, "PDT", -7*time.Hour))},
		{"PST", signed(zoned(now, "PST", -8*time.Hour))},
		{"CST as China", signed(zoned(now, "CST", 8*time.Hour))},
		{"CST as US Central", signed(zoned(now, "CST", -6*time.Hour))},
		{"CEST", signed(zoned(now, "CEST", 2*time.Hour))},
		{"numeric offset", signed(now.In(time.FixedZone("", 8*3600)).Format("Mon, 02 Jan 2006 15:04:05 -0700"))},
		{"GMT+08:00", signed(now.In(time.FixedZone("", 8*3600)).Format("Mon, 02 Jan 2006 15:04:05") + " GMT+08:00")},
		{"no weekday, one-digit day", signed(now.UTC().Format("2 Jan 2006 15:04:05 GMT"))},
		{"RFC 850", signed(now.UTC().Format(time.RFC850))},
		{"14 minutes fast", signed(now.Add(14 * time.Minute).UTC().Format(http.TimeFormat))},
		{"14 minutes slow", signed(now.Add(-14 * time.Minute).UTC().Format(http.TimeFormat))},
		{"x-cnc-date instead of Date", http.Header{
			"Date":          {""},
			"X-Cnc-Date":    {now.UTC().Format(http.TimeFormat)},
			"Authorization": {basic(testUser, testKey, now.UTC().Format(http.TimeFormat))}}},
		{"x-cnc-date wins over Date", http.Header{
			"Date":          {"Sat, 01 Jan 2000 00:00:00 GMT"},
			"X-Cnc-Date":    {zoned(now, "PDT", -7*time.Hour)},
			"Authorization": {basic(testUser, testKey, zoned(now, "PDT", -7*time.Hour))}}},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			if r := f.do("GET", CertificatePath, "", tc.hdr); r.status != http.StatusOK {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
	}

	gmt := now.UTC().Format(http.TimeFormat)
	bad := []struct {
		name, code string
		hdr        http.Header
	}{
		{"missing Authorization", CodeAuthFailure, http.Header{"Authorization": {""}}},
		{"not Basic", CodeAuthFailure, http.Header{"Authorization": {"Bearer " + Signature(testKey, gmt)}}},
		{"wrong key", CodeAuthFailure, http.Header{"Date": {gmt}, "Authorization": {basic(testUser, "other-key", gmt)}}},
		{"wrong user", CodeAuthFailure, http.Header{"Date": {gmt}, "Authorization": {basic("someone", testKey, gmt)}}},
		{"signature of another spelling of the same instant", CodeAuthFailure,
			http.Header{"Date": {zoned(now, "UTC", 0)}, "Authorization": {basic(testUser, testKey, gmt)}}},
		{"signature of Date while x-cnc-date is sent", CodeAuthFailure, http.Header{
			"Date": {gmt}, "X-Cnc-Date": {zoned(now, "UTC", 0)}, "Authorization": {basic(testUser, testKey, gmt)}}},
		{"missing Date", CodeInvalidDate, http.Header{"Date": {""}}},
		{"unparseable Date", CodeInvalidDate, signed("yesterday")},
		{"unknown zone", CodeInvalidDate, signed(zoned(now, "XYZ", 0))},
		{"16 minutes slow", CodeInvalidDate, signed(now.Add(-16 * time.Minute).UTC().Format(http.TimeFormat))},
		{"16 minutes fast", CodeInvalidDate, signed(now.Add(16 * time.Minute).UTC().Format(http.TimeFormat))},
		// UTC wall time labelled PDT is seven hours off: the zone is honoured.
		{"UTC wall time labelled PDT", CodeInvalidDate, signed(now.UTC().Format("Mon, 02 Jan 2006 15:04:05") + " PDT")},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, f.do("GET", CertificatePath, "", tc.hdr), http.StatusUnauthorized, tc.code)
		})
	}
	// Every route is protected, the writing ones included.
	for _, m := range []struct{ method, path string }{{"POST", CertificatePath}, {"GET", CertificatePath + "/1"},
		{"PUT", CertificatePath + "/1"}, {"DELETE", CertificatePath + "/1"}} {
		r := f.do(m.method, m.path, "<ssl-certificate/>", http.Header{"Authorization": {basic(testUser, "wrong", f.date())}})
		wantError(t, r, http.StatusUnauthorized, CodeAuthFailure)
	}
	if n := len(f.s.Certificates()); n != 0 {
		t.Errorf("%d certificates after unauthenticated writes", n)
	}
}

func TestClockSkewOption(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.ClockSkew = time.Minute })
	date := f.clock.Now().Add(2 * time.Minute).UTC().Format(http.TimeFormat)
	r := f.do("GET", CertificatePath, "", http.Header{"Date": {date}, "Authorization": {basic(testUser, testKey, date)}})
	wantError(t, r, http.StatusUnauthorized, CodeInvalidDate)
	// The window follows the clock.
	f.clock.Advance(90 * time.Second)
	if r := f.do("GET", CertificatePath, "", http.Header{"Date": {date}, "Authorization": {basic(testUser, testKey, date)}}); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

// JSON is the documented default; errors have the same code and message.
func TestErrorBodies(t *testing.T) {
	f := newFixture(t)
	r := f.do("GET", CertificatePath, "", http.Header{"Accept": {""}, "Authorization": {""}})
	if r.status != 401 || r.header.Get("Content-Type") != ContentTypeJSON {
		t.Fatalf("%d %s", r.status, r.header.Get("Content-Type"))
	}
	var e struct{ Code, Message string }
	if err := json.Unmarshal([]byte(r.body), &e); err != nil || e.Code != CodeAuthFailure || e.Message == "" {
		t.Errorf("JSON error %q: %v", r.body, err)
	}
	r = f.do("GET", CertificatePath, "", http.Header{"Accept": {"text/xml"}, "Authorization": {""}})
	if !strings.HasPrefix(r.body, `<?xml version="1.0" encoding="UTF-8"?>`+"\n<response><code>AuthFailure</code><message>") ||
		r.header.Get("Content-Type") != ContentTypeXML {
		t.Errorf("XML error: %s %q", r.header.Get("Content-Type"), r.body)
	}
	if r.header.Get("x-cnc-request-id") == "" {
		t.Error("no x-cnc-request-id on an error")
	}
}

func TestParseDateCandidates(t *testing.T) {
	got, err := parseDate("Fri, 01 May 2026 20:00:00 CST")
	if err != nil || len(got) != 2 {
		t.Fatal(got, err)
	}
	want := []time.Time{time.Date(2026, 5, 2, 2, 0, 0, 0, time.UTC), time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	for i := range want {
		if !got[i].Equal(want[i]) {
			t.Errorf("candidate %d: %v, want %v", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"", "Fri, 01 May 2026 20:00:00", "Fri, 01 May 2026 20:00:00 +2500", "Fri, 32 May 2026 20:00:00 GMT"} {
		if _, err := parseDate(bad); err == nil {
			t.Errorf("parseDate(%q) accepted", bad)
		}
	}
}
