package ccadb

import (
	"reflect"
	"strings"
	"time"

	"github.com/certsync/certsync/internal/diff"
	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/pemutil"
)

// keySHA256 is the only diff.Object key: the certificate's SHA-256 names the
// record in certsync's state and finds its PEMs when applying. PEMs are not
// carried in plans; apply flattens them from the parsed inventory.
const keySHA256 = "sha256"

// desiredObject turns one inventory intermediate into the fields certsync
// manages, in catalogue order. Unset inventory fields are left out: they are
// not managed.
//
// It reads each catalogue field through its precomputed place in Record
// (recordIndex), so only the managed fields cost an allocation: at 10,000
// intermediates, walking every leaf of every record dominated a plan's
// memory.
func desiredObject(it *Intermediate, sha string) *diff.Object {
	rec := reflect.ValueOf(&it.Record).Elem()
	obj := &diff.Object{Keys: map[string]string{keySHA256: sha}}
	for i, f := range fields {
		fv, ok := fieldAt(rec, recordIndex[i])
		if !ok {
			continue // under a group nobody set
		}
		switch v := fv.Addr().Interface().(type) {
		case *inventory.String:
			if v.Set {
				obj.Fields = append(obj.Fields, diff.Field{Name: f.path, Value: v.Value})
			}
		case *inventory.Bool:
			if v.Set {
				obj.Fields = append(obj.Fields, diff.Field{Name: f.path, Value: v.Value})
			}
		case *inventory.Strings:
			if v.Set {
				vals := v.Values
				if vals == nil {
					vals = []string{}
				}
				obj.Fields = append(obj.Fields, diff.Field{Name: f.path, Value: vals})
			}
		}
	}
	return obj
}

// fieldAt is v.FieldByIndex(idx), stepping through the pointers to groups
// of fields (Record.Audits, Record.Policy); ok is false under a nil one.
func fieldAt(v reflect.Value, idx []int) (reflect.Value, bool) {
	for _, i := range idx {
		if v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(i)
	}
	return v, true
}

// recordIndex holds, for each entry of fields, its reflect index path in
// Record, found once from the yaml tags.
var recordIndex = buildRecordIndex()

func buildRecordIndex() [][]int {
	paths := map[string][]int{}
	var walk func(t reflect.Type, prefix string, idx []int)
	walk = func(t reflect.Type, prefix string, idx []int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "" || name == "-" || f.Tag.Get("retired") != "" {
				continue
			}
			p := name
			if prefix != "" {
				p = prefix + "." + name
			}
			at := append(append([]int(nil), idx...), i)
			switch f.Type {
			case reflect.TypeOf(inventory.String{}), reflect.TypeOf(inventory.Bool{}), reflect.TypeOf(inventory.Strings{}):
				paths[p] = at
			default:
				switch {
				case f.Type.Kind() == reflect.Struct:
					walk(f.Type, p, at)
				case f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct:
					walk(f.Type.Elem(), p, at) // fieldAt steps through the pointer
				}
			}
		}
	}
	walk(reflect.TypeOf(Record{}), "", nil)
	out := make([][]int, len(fields))
	for i, f := range fields {
		idx, ok := paths[f.path]
		if !ok {
			panic("ccadb: catalogue field " + f.path + " has no inventory key") // caught by every test
		}
		out[i] = idx
	}
	return out
}

// Why a live value is unknown.
const (
	unknownNotInReport = "the record is not in the CCADB report yet"
	unknownWriteOnly   = "the CCADB report does not show this field and certsync has no record of setting it"
)

// liveObject builds the live view of the fields desired manages (only
// those: a record's other ~70 fields are never compared): report columns
// where the report has the record and the column, else certsync's record of
// what it last sent, else unknown. row is nil when the report does not list
// the record.
func liveObject(id string, desired *diff.Object, row *reportRow, sent map[string]any) *diff.Object {
	obj := &diff.Object{ID: id, Fields: make([]diff.Field, 0, len(desired.Fields)+1)}
	byPath := catalogue
	for _, d := range desired.Fields {
		f := byPath[d.Name]
		fl := diff.Field{Name: f.path}
		var ok bool
		if row != nil {
			fl.Value, ok = row.value(f)
		}
		if !ok {
			if v, had := sent[f.path]; had {
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
	if t, ok := parseReportDate(row.col(colValidTo)); ok {
		obj.Fields = append(obj.Fields, diff.Field{Name: "expires", Value: t.Format(time.RFC3339)})
	}
	return obj
}

// catalogue is the field catalogue by inventory path.
var catalogue = fieldByPath()

// parseReportDate reads the report's dates: V5 writes 2025-06-18, older
// reports 2023.03.14, some a full timestamp.
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
// the managed fields of the change, with today's keys only. id "" makes it
// an add (with the parent's PEM); otherwise id must be an 18-character
// record id (isRecordID). PEMs are flattened to one line, as the API asks.
func requestBody(c diff.Change, id, certPEM, parentPEM string) map[string]any {
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
	if id != "" {
		cert[keyRecordID] = id
	}
	cert[keyPEM] = certPEM
	if id == "" {
		cert[keyParent] = parentPEM
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

// flatPEMs reads an intermediate's certificate again (see CertificateDER)
// and flattens it and its parent for a request.
func flatPEMs(it *Intermediate, dir string) (cert, parent string, err error) {
	der, err := it.CertificateDER(dir)
	if err != nil {
		return "", "", err
	}
	return pemutil.Flatten(der), pemutil.Flatten(it.ParentCert.Raw), nil
}
