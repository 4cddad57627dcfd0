package vendors

import (
	"fmt"
	"reflect"
	"strings"
	"time"
)

// Env lists c's vendor settings that are set, as CERTSYNC_NAME=VALUE, from
// the env tags (what `certsync sandbox` prints for other clients).
func Env(c Config) []string {
	var out []string
	for _, e := range All() {
		cfg, ok := c[e.Name]
		if !ok {
			continue
		}
		prefix := EnvPrefix(e.Name)
		sec := reflect.ValueOf(cfg).Elem()
		for j := 0; j < sec.NumField(); j++ {
			name, _, _ := strings.Cut(sec.Type().Field(j).Tag.Get("env"), ",")
			f := sec.Field(j)
			var val string
			switch x := f.Interface().(type) {
			case string:
				val = x
			case time.Duration:
				val = x.String()
			default:
				val = fmt.Sprint(x)
			}
			if name != "" && val != "" {
				out = append(out, prefix+strings.TrimSpace(name)+"="+val)
			}
		}
	}
	return out
}

// EnvNames lists every vendor environment variable, from the env tags of
// each vendor's Config.
func EnvNames() []string {
	var out []string
	for _, e := range All() {
		t := reflect.TypeOf(e.NewConfig()).Elem()
		for j := 0; j < t.NumField(); j++ {
			if name, _, _ := strings.Cut(t.Field(j).Tag.Get("env"), ","); strings.TrimSpace(name) != "" {
				out = append(out, EnvPrefix(e.Name)+strings.TrimSpace(name))
			}
		}
	}
	return out
}
