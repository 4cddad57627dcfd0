package ccadb

import (
	"strings"
	"time"

	"github.com/certsync/certsync/internal/diff"
	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/pemutil"
)

// Keys of diff.Object.Keys: what identifies the record but is never compared.
const (
	keyCertPEM   = "certificate_pem"
	keyParentPEM = "parent_pem"
	keySHA256    = "sha256"
)

// desiredObject turns one inventory intermediate into the fields certsync
// manages, in catalogue order. Unset inventory fields are left out: they are
// not managed.
func desiredObject(it *Intermediate) *diff.Object {
	set := map[string]inventory.Leaf{}
	for _, l := range inventory.Leaves(&it.Record) {
		if l.Set {
			set[l.Path] = l
		}
	}
	obj := &diff.Object{Keys: map[string]string{
		keyCertPEM:   pemutil.Flatten(it.Cert.Raw),
		keyParentPEM: pemutil.Flatten(it.ParentCert.Raw),
		keySHA256:    pemutil.SHA256(it.Cert.Raw),
	}}
	for _, f := range fields {
		if l, ok := set[f.path]; ok {
			obj.Fields = append(obj.Fields, diff.Field{Name: f.path, Value: l.Value})
		}
	}
	return obj
}

// Why a live value is unknown.
const (
	unknownNotInReport = "the record is not in the CCADB report yet"
	unknownWriteOnly   = "the CCADB report does not show this field and certsync has no record of setting it"
)

// liveObject builds the live view of a record: report columns where the
// report has them, certsync's own record of what it last sent for the
// fields the report never shows, and "unknown" for the rest.
func liveObject(id string, row reportRow, applied map[string]any) *diff.Object {
	obj := &diff.Object{ID: id}
	for _, f := range fields {
		fl := diff.Field{Name: f.path}
		var ok bool
		if row != nil {
			fl.Value, ok = row.value(f)
		}
		if !ok {
			if v, had := applied[f.path]; had {
				fl.Value, ok = diff.Normalize(v), true
			}
		}
		if !ok {
			fl.Unknown = unknownWriteOnly
			if row == nil && f.column != "" {
				fl.Unknown = unknownNotInReport
			}
		}
		obj.Fields = append(obj.Fields, fl)
	}
	// Not a managed field (the inventory cannot set it): shown for metrics
	// and never compared.
	if t, ok := parseReportDate(row["Valid To (GMT)"]); ok {
		obj.Fields = append(obj.Fields, diff.Field{Name: "expires", Value: t.Format(time.RFC3339)})
	}
	return obj
}

// parseReportDate reads the report's dates: V5 writes 2025-06-18, v2/v4
// 2023.03.14, some a full timestamp.
func parseReportDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(strings.ReplaceAll(s, ".", "-"))
	for _, f := range []string{time.DateOnly, time.RFC3339, time.DateTime} {
		if t, err := time.Parse(f, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// requestBody builds an AddUpdateIntermediateCertAPI body carrying exactly
// the managed fields of the change. id "" makes it an add.
func requestBody(c diff.Change, id string) map[string]any {
	body := map[string]any{}
	section := func(name string) map[string]any {
		if name == "" {
			return body
		}
		s, ok := body[name].(map[string]any)
		if !ok {
			s = map[string]any{}
			body[name] = s
		}
		return s
	}
	cert := section(secCert)
	cert[keyRecordID] = id
	cert[keyPEM] = c.Keys[keyCertPEM]
	if id == "" {
		cert[keyParent] = c.Keys[keyParentPEM]
	}
	for _, f := range fields {
		v, ok := c.Desired[f.path]
		if !ok {
			continue
		}
		if f.kind == list {
			if l, isList := v.([]string); isList && l == nil {
				v = []string{} // [] resets; never send null for a managed list
			}
		}
		section(f.section)[f.key] = v
	}
	return body
}
