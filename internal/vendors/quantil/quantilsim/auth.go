package quantilsim

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Authentication: HTTP Basic with the account's user name
// and, as password, Signature(apiKey, date), where date is the raw x-cnc-date
// header when present and the raw Date header otherwise. The same raw string
// keys the DES encryption of the request's fields, so authenticate returns it.
//
// The date is parsed only to check the clock-skew window, and leniently: the
// reference script sends `date "+… %Z"` in the sender's local zone (UTC, PDT, CST…)
// and QUANTIL's own samples carry PDT, so insisting on GMT would refuse the
// vendor's own reference client.

// authenticate checks r's credentials and date and returns the signed date
// string. Checks run in this order: Authorization present and Basic, a date
// present, parseable and in the window, then user and signature. A date
// problem is reported before a signature mismatch so that a client with a
// wrong clock is told so rather than that its key is wrong.
func (s *Server) authenticate(r *http.Request) (string, *apiError) {
	if r.Header.Get("Authorization") == "" {
		return "", newError(http.StatusUnauthorized, CodeAuthFailure, "The Authorization header is missing.")
	}
	user, password, ok := r.BasicAuth()
	if !ok {
		return "", newError(http.StatusUnauthorized, CodeAuthFailure, "The Authorization header is not HTTP Basic authentication.")
	}
	header := "x-cnc-date"
	date := r.Header.Get(header)
	if date == "" {
		header = "Date"
		date = r.Header.Get(header)
	}
	if date == "" {
		return "", newError(http.StatusUnauthorized, CodeInvalidDate, "The request has neither a Date nor an x-cnc-date header.")
	}
	instants, err := parseDate(date)
	if err != nil {
		return "", newError(http.StatusUnauthorized, CodeInvalidDate, "The %s header [%s] is not an RFC 1123 date: %v.", header, date, err)
	}
	now := s.opt.Now()
	inWindow := false
	for _, t := range instants {
		if d := t.Sub(now); d <= s.opt.ClockSkew && d >= -s.opt.ClockSkew {
			inWindow = true
			break
		}
	}
	if !inWindow {
		return "", newError(http.StatusUnauthorized, CodeInvalidDate,
			"The %s header [%s] is more than %v away from the server time %s.", header, date, s.opt.ClockSkew, now.UTC().Format(http.TimeFormat))
	}
	// Constant-time comparisons: cheap, and the habit costs nothing.
	userOK := subtle.ConstantTimeCompare([]byte(user), []byte(s.opt.User)) == 1
	sigOK := subtle.ConstantTimeCompare([]byte(password), []byte(Signature(s.opt.APIKey, date))) == 1
	if !userOK || !sigOK {
		return "", newError(http.StatusUnauthorized, CodeAuthFailure,
			"The user name or the signature of the %s header is wrong: the password must be base64(HMAC-SHA1(api-key, %s)).", header, header)
	}
	return date, nil
}

// zoneOffsets maps the zone abbreviations `date +%Z` and common clients print
// to their offsets east of UTC. Ambiguous abbreviations list every candidate
// (CST is both US Central and China Standard Time, which matters for a
// Chinese vendor); a date is in the window when any candidate is.
var zoneOffsets = map[string][]time.Duration{
	"GMT": {0}, "UT": {0}, "UTC": {0}, "Z": {0}, "WET": {0},
	"WEST": {1 * time.Hour}, "BST": {1 * time.Hour}, "CET": {1 * time.Hour}, "MET": {1 * time.Hour},
	"CEST": {2 * time.Hour}, "MEST": {2 * time.Hour}, "EET": {2 * time.Hour}, "SAST": {2 * time.Hour},
	"EEST": {3 * time.Hour}, "MSK": {3 * time.Hour},
	"IST": {1 * time.Hour, 2 * time.Hour, 5*time.Hour + 30*time.Minute}, // Irish, Israel, India
	"GST": {4 * time.Hour}, "PKT": {5 * time.Hour},
	"ICT": {7 * time.Hour}, "WIB": {7 * time.Hour},
	"HKT": {8 * time.Hour}, "SGT": {8 * time.Hour}, "AWST": {8 * time.Hour}, "MYT": {8 * time.Hour},
	"PHT": {8 * time.Hour}, "PHST": {8 * time.Hour},
	"JST": {9 * time.Hour}, "KST": {9 * time.Hour},
	"ACST": {9*time.Hour + 30*time.Minute}, "ACDT": {10*time.Hour + 30*time.Minute},
	"AEST": {10 * time.Hour}, "AEDT": {11 * time.Hour},
	"NZST": {12 * time.Hour}, "NZDT": {13 * time.Hour},
	"NST": {-(3*time.Hour + 30*time.Minute)}, "NDT": {-(2*time.Hour + 30*time.Minute)},
	"ADT": {-3 * time.Hour}, "AST": {-4 * time.Hour},
	"EDT": {-4 * time.Hour}, "EST": {-5 * time.Hour},
	"CDT": {-5 * time.Hour}, "CST": {-6 * time.Hour, 8 * time.Hour}, // US Central, China
	"MDT": {-6 * time.Hour}, "MST": {-7 * time.Hour},
	"PDT": {-7 * time.Hour}, "PST": {-8 * time.Hour, 8 * time.Hour}, // US Pacific, Philippines
	"AKDT": {-8 * time.Hour}, "AKST": {-9 * time.Hour},
	"HDT": {-9 * time.Hour}, "HST": {-10 * time.Hour},
}

// dateLayouts are RFC 1123 without its zone, day of week optional, day of
// month with or without a leading zero.
var dateLayouts = []string{"Mon, 2 Jan 2006 15:04:05", "2 Jan 2006 15:04:05"}

// numericZone matches +0800, -07:00, GMT+8, UTC+08:00.
var numericZone = regexp.MustCompile(`^(?:GMT|UTC)?([+-])(\d{1,2}):?(\d{2})?$`)

// parseDate returns the instants v can denote: one for a numeric offset or an
// unambiguous abbreviation, several for ambiguous ones. RFC 850 and asctime
// dates (the other two HTTP date forms) are accepted as GMT.
func parseDate(v string) ([]time.Time, error) {
	v = strings.TrimSpace(v)
	if i := strings.LastIndexByte(v, ' '); i > 0 {
		head, zone := strings.TrimSpace(v[:i]), strings.ToUpper(v[i+1:])
		var wall time.Time
		var err error
		for _, layout := range dateLayouts {
			if wall, err = time.Parse(layout, head); err == nil {
				break
			}
		}
		if err == nil {
			if offs, ok := zoneOffsets[zone]; ok {
				out := make([]time.Time, len(offs))
				for i, off := range offs {
					out[i] = wall.Add(-off)
				}
				return out, nil
			}
			if m := numericZone.FindStringSubmatch(zone); m != nil {
				h, _ := strconv.Atoi(m[2])
				mins, _ := strconv.Atoi(m[3]) // "" when absent: 0
				if h > 14 || mins > 59 {
					return nil, fmt.Errorf("zone offset %s out of range", zone)
				}
				off := time.Duration(h)*time.Hour + time.Duration(mins)*time.Minute
				if m[1] == "-" {
					off = -off
				}
				return []time.Time{wall.Add(-off)}, nil
			}
			return nil, fmt.Errorf("unknown time zone %s", v[i+1:])
		}
	}
	if t, err := http.ParseTime(v); err == nil {
		return []time.Time{t}, nil
	}
	return nil, errors.New("want the form Thu, 17 May 2012 19:37:58 GMT")
}
