package vendors_test

import (
	"context"
	"slices"
	"testing"

	"github.com/sethvargo/go-envconfig"

	"github.com/certsync/certsync/internal/vendors"
	"github.com/certsync/certsync/internal/vendors/ccadb"
	"github.com/certsync/certsync/internal/vendors/quantil"
)

// Each vendor's settings come from CERTSYNC_<NAME>_* by its own Config's
// tags, defaults included; Clone copies them deeply; Env prints them back.
func TestConfigFromTheTable(t *testing.T) {
	lookup := envconfig.MapLookuper(map[string]string{
		"CERTSYNC_QUANTIL_USER":    "cdn-user",
		"CERTSYNC_QUANTIL_API_KEY": "cdn-key-123",
		"CERTSYNC_CCADB_URL":       "https://ccadb.example",
	})
	c, err := vendors.LoadConfig(context.Background(), lookup)
	if err != nil {
		t.Fatal(err)
	}
	q := vendors.ConfigOf[quantil.Config](c, quantil.Name)
	if q.User != "cdn-user" || q.URL != "https://api.quantil.com" {
		t.Errorf("quantil config = %+v, want the user set and the default URL", q)
	}
	if got := vendors.ConfigOf[ccadb.Config](c, ccadb.Name).URL; got != "https://ccadb.example" {
		t.Errorf("ccadb URL = %q", got)
	}
	if !slices.Contains(c.Secrets(), "cdn-key-123") {
		t.Error("the QUANTIL API key is not among the secrets")
	}
	cp := c.Clone()
	cp[quantil.Name].(*quantil.Config).User = "changed"
	if vendors.ConfigOf[quantil.Config](c, quantil.Name).User != "cdn-user" {
		t.Error("changing a clone changed the original")
	}
	env := vendors.Env(c)
	if !slices.Contains(env, "CERTSYNC_QUANTIL_USER=cdn-user") {
		t.Errorf("Env = %v", env)
	}
	for _, n := range []string{"CERTSYNC_QUANTIL_USER", "CERTSYNC_CCADB_REFRESH_TOKEN", "CERTSYNC_MARKMONITOR_PASSWORD"} {
		if !slices.Contains(vendors.EnvNames(), n) {
			t.Errorf("EnvNames lacks %s", n)
		}
	}
}
