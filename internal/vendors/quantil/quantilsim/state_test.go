package quantilsim

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPersistence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "quantil.json")
	f := newFixture(t, func(o *Options) { o.StatePath = path })
	leaf := newLeaf(t, leafOpts{})
	a := f.add("a", leaf, testInter.PEM())
	b := f.add("b", leaf, "")
	c := f.add("c", leaf, "")
	wantSuccess(t, f.do("PUT", CertificatePath+"/"+b, uploadBody("b2", leaf, "", f.date()), nil), http.StatusOK)
	wantSuccess(t, f.do("DELETE", CertificatePath+"/"+c, "", nil), http.StatusOK)
	before := f.s.Certificates()

	// Each change is one journal entry; the snapshot is written when the
	// journal is folded into it.
	fi, err := os.Stat(path + ".journal")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("state journal mode %v, want 0600: it holds private keys", fi.Mode().Perm())
	}

	// A second simulator on the same file, as after a restart.
	s2, err := New(f.opt)
	if err != nil {
		t.Fatal(err)
	}
	after := s2.Certificates()
	if fmt.Sprint(after) != fmt.Sprint(before) || len(after) != 2 || after[0].ID != a || after[1].Name != "b2" {
		t.Fatalf("after restart:\n%+v\nwant\n%+v", after, before)
	}
	for i := range before {
		if !after[i].NotAfter.Equal(before[i].NotAfter) || !after[i].UpdatedAt.Equal(before[i].UpdatedAt) {
			t.Errorf("times of %s changed", after[i].ID)
		}
	}
	// The id counter continues past the deleted id.
	ts2 := httptest.NewServer(s2)
	defer ts2.Close()
	f2 := &fixture{t: t, s: s2, ts: ts2, clock: f.clock, opt: f.opt}
	if id := f2.add("d", leaf, ""); id != "100004" {
		t.Errorf("id after restart %s", id)
	}
	// Names stay unique across the restart.
	wantError(t, f2.do("POST", CertificatePath, uploadBody("a", leaf, "", f2.date()), nil), http.StatusConflict, CodeNameAlreadyExists)
}

func TestStateFileErrors(t *testing.T) {
	dir := t.TempDir()
	leaf := newLeaf(t, leafOpts{})
	for name, content := range map[string]string{
		"corrupt.json":  "{not json",
		"badid.json":    `{"Certificates":[{"ID":"x1","Name":"a"}]}`,
		"dupid.json":    `{"Certificates":[{"ID":"1","Name":"a"},{"ID":"1","Name":"b"}]}`,
		"dupname.json":  `{"Certificates":[{"ID":"1","Name":"a"},{"ID":"2","Name":"a"}]}`,
		"leading0.json": `{"Certificates":[{"ID":"01","Name":"a"}]}`,
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := New(Options{User: "u", APIKey: "k", StatePath: p}); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	// A file without NextID continues after the highest id.
	p := filepath.Join(dir, "noNext.json")
	if err := os.WriteFile(p, []byte(`{"Certificates":[{"ID":"500000","Name":"a","CertPEM":`+fmt.Sprintf("%q", leaf.PEM())+`}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{User: "u", APIKey: "k", StatePath: p})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := s.Seed(Certificate{CertPEM: leaf.PEM()}); err != nil || c.ID != "500001" {
		t.Errorf("%+v %v", c, err)
	}
}

// A change that cannot be saved is not made, and the client is told.
func TestSaveFailure(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "quantil.json")
	f := newFixture(t, func(o *Options) { o.StatePath = path })
	leaf := newLeaf(t, leafOpts{})
	id := f.add("saved", leaf, "")
	// Close the state store under the server: every later save fails, as
	// on a full or failing disk.
	if err := f.s.store.Close(); err != nil {
		t.Fatal(err)
	}
	before := f.s.Certificates()
	wantError(t, f.do("POST", CertificatePath, uploadBody("lost", leaf, "", f.date()), nil), http.StatusInternalServerError, CodeInternalError)
	wantError(t, f.do("PUT", CertificatePath+"/"+id, uploadBody("lost", leaf, "", f.date()), nil), http.StatusInternalServerError, CodeInternalError)
	e := wantError(t, f.do("DELETE", CertificatePath+"/"+id, "", nil), http.StatusInternalServerError, CodeInternalError)
	if !strings.Contains(e.Message, "not made") {
		t.Errorf("message %q", e.Message)
	}
	if _, err := f.s.Seed(Certificate{CertPEM: leaf.PEM()}); err == nil {
		t.Error("Seed succeeded without saving")
	}
	if after := f.s.Certificates(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("state changed:\n%+v\n%+v", before, after)
	}
	// The id was not consumed either, on disk: a restarted server goes on
	// from it.
	s2, err := New(f.opt)
	if err != nil {
		t.Fatal(err)
	}
	f.s = s2
	f.ts.Config.Handler = s2
	if id := f.add("later", leaf, ""); id != "100002" {
		t.Errorf("id after failed saves %s", id)
	}
}
