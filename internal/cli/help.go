package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/certsync/certsync/internal/vendors"
)

// errHelp means help was asked for and printed: the command exits 0.
var errHelp = errors.New("help printed")

// commandHelp is what `certsync CMD -h` prints besides the flags.
type commandHelp struct {
	usage   string   // the synopsis after "certsync "
	about   string   // what the command does, a few lines
	reads   []string // the settings it reads, a name and maybe a remark; "vendors" expands to every vendor's prefix
	example string
}

// helps has an entry for every command (a new command adds its own; one
// without an entry still runs, and its -h lists only its flags).
var helps = map[string]commandHelp{
	"validate": {
		usage: "validate [-i FILE | FILE]",
		about: `Checks the inventory offline: YAML syntax, every field and every cross-reference.
Every problem is printed as FILE:LINE:COL: PATH: MESSAGE. No network, no credentials.`,
		reads:   []string{"CERTSYNC_INVENTORY"},
		example: "certsync validate inventory.yaml",
	},
	"plan": {
		usage: "plan [-i FILE | FILE] [-o text|json|markdown] [--out PLANFILE] [--detailed-exitcode] [--ci] [--target ADDRESS ...] [--sandbox] [--max-paid N] [--max-destructive N]",
		about: `Reads the vendors' live state and shows what apply would change. Changes nothing.
Exit codes: 0 no changes (or without --detailed-exitcode), 1 error or an item that needs
attention, 2 changes pending (--detailed-exitcode only).
--ci (automatic when the state directory does not exist, and no --out is given) lists
write-only fields that cannot be read back and local-only differences (files missing
on this machine) apart: they are not counted and do not make exit code 2.
Output: -o defaults to text, or to json when CERTSYNC_LOG_FORMAT=json (then a text plan
is printed only with -o text); logs always go to stderr.
The plan lists the guards it trips (--max-paid, --max-destructive, or the inventory's
guards:): apply would refuse it.`,
		reads:   []string{"CERTSYNC_INVENTORY", "CERTSYNC_STATE_DIR", "CERTSYNC_LOG_FORMAT", "CERTSYNC_LOG_LEVEL", "CERTSYNC_NOTIFY_URL", "CERTSYNC_SANDBOX_LATENCY (with --sandbox)", "NO_COLOR", "vendors"},
		example: "certsync plan -i inventory.yaml --detailed-exitcode\n  certsync plan --ci -o markdown --out plan.json > plan.md",
	},
	"apply": {
		usage: "apply [-i FILE | PLANFILE] [--auto-approve] [-o text|json] [--target ADDRESS ...] [--sandbox] [--max-paid N] [--max-destructive N] [--force]",
		about: `Plans and applies: shows the plan, asks for "yes" on a terminal (--auto-approve in
scripts), then runs the changes. With PLANFILE (from plan --out) it applies exactly that
plan, after checking that the live state has not moved. -o json prints the plan and one
result per change (address, action, outcome, error) as one JSON document; it is the
default when CERTSYNC_LOG_FORMAT=json. Takes the state directory's lock.
A plan with more paid or destructive changes than the guards allow is refused, nothing
sent, unless --max-paid/--max-destructive raise the limit for this run or --force.`,
		reads:   []string{"CERTSYNC_INVENTORY", "CERTSYNC_STATE_DIR", "CERTSYNC_CONCURRENCY", "CERTSYNC_LOG_FORMAT", "CERTSYNC_LOG_LEVEL", "CERTSYNC_NOTIFY_URL", "CERTSYNC_SANDBOX_LATENCY (with --sandbox)", "NO_COLOR", "vendors"},
		example: "certsync apply -i inventory.yaml\n  certsync apply --auto-approve -o json plan.json",
	},
	"run": {
		usage: "run --schedule CRON [-i FILE] [--apply] [--sandbox] [--metrics-addr ADDR] [--no-initial-run] [--grace 30s] [--max-paid N] [--max-destructive N] [--force]",
		about: `Plans (or, with --apply, applies) on a cron schedule, one run at a time, until SIGTERM.
Serves /metrics and /healthz with --metrics-addr. Each run sends its notifications.
With --apply, a plan over a guard is not applied: the run fails and says which.`,
		reads:   []string{"CERTSYNC_INVENTORY", "CERTSYNC_STATE_DIR", "CERTSYNC_CONCURRENCY", "CERTSYNC_LOG_FORMAT", "CERTSYNC_LOG_LEVEL", "CERTSYNC_NOTIFY_URL", "CERTSYNC_SANDBOX_LATENCY (with --sandbox)", "vendors"},
		example: `certsync run --schedule "0 */6 * * *" --apply --metrics-addr :9090`,
	},
	"sandbox": {
		usage: "sandbox [--listen ADDR] [--state DIR] [-i FILE] [--faults FILE]",
		about: `Serves every vendor's simulator on one address and prints the export lines that point
certsync (or curl) at them. Stop with Ctrl-C. --faults injects the failures a YAML file
lists (5xx, 429, dropped connections, latency) to rehearse outages; GET
/_sandbox/requests answers how many requests each simulator received.`,
		reads:   []string{"CERTSYNC_INVENTORY", "CERTSYNC_STATE_DIR", "CERTSYNC_SANDBOX_LATENCY", "CERTSYNC_LOG_FORMAT", "CERTSYNC_LOG_LEVEL"},
		example: "certsync sandbox --listen 127.0.0.1:8780 > sandbox.env &   # then: . ./sandbox.env",
	},
	"import": {
		usage: "import [--sandbox] [--vendor NAME ...] [--ca-owner NAME] [--pem-dir DIR] [--out FILE] [--files DIR] [--force]",
		about: `Reads the vendors' live state and writes an inventory (YAML with comments) that plans no
change against it: CCADB intermediates of --ca-owner (certificates and parents matched by
SHA-256 in --pem-dir, or without it read from the CCADB's public PEM report at
CERTSYNC_CCADB_PEM_REPORT_URL), Markmonitor organizations, contacts and
the newest order of each certificate, QUANTIL certificates. What cannot be read back
(write-only CCADB fields, private keys) is left out with a comment saying so. Existing
files are not overwritten unless --force.`,
		reads:   []string{"CERTSYNC_STATE_DIR", "CERTSYNC_LOG_FORMAT", "CERTSYNC_LOG_LEVEL", "CERTSYNC_SANDBOX_LATENCY (with --sandbox)", "vendors"},
		example: `certsync import --ca-owner "Example CA" --out inventory.yaml`,
	},
	"ccadb-login": {
		usage: "ccadb-login",
		about: `Runs the CCADB's one-time authorization-code login and prints the refresh token to
store as CERTSYNC_CCADB_REFRESH_TOKEN.`,
		reads:   []string{"CERTSYNC_CCADB_URL", "CERTSYNC_CCADB_CLIENT_ID", "CERTSYNC_CCADB_CLIENT_SECRET", "CERTSYNC_CCADB_REDIRECT_URI"},
		example: "certsync ccadb-login",
	},
	"schema": {
		usage:   "schema",
		about:   "Prints the inventory's JSON Schema (for editors).",
		example: "certsync schema > inventory.schema.json",
	},
	"version": {
		usage:   "version",
		about:   "Prints certsync's version (also: certsync --version).",
		example: "certsync version",
	},
}

const usage = `certsync makes certificate vendors match a YAML inventory.

Usage:
  certsync validate [-i FILE | FILE]
  certsync plan     [-i FILE | FILE] [-o text|json|markdown] [--out PLANFILE] [--detailed-exitcode]
                    [--ci] [--target ADDRESS ...] [--sandbox] [--max-paid N] [--max-destructive N]
  certsync apply    [-i FILE | PLANFILE] [--auto-approve] [-o text|json] [--target ADDRESS ...] [--sandbox]
                    [--max-paid N] [--max-destructive N] [--force]
  certsync run      --schedule CRON [-i FILE] [--apply] [--sandbox] [--metrics-addr ADDR] [--no-initial-run]
                    [--grace 30s] [--max-paid N] [--max-destructive N] [--force]
  certsync sandbox  [--listen ADDR] [--state DIR] [-i FILE] [--faults FILE]
  certsync import   [--sandbox] [--vendor NAME ...] [--ca-owner NAME] [--pem-dir DIR] [--out FILE]
                    [--files DIR] [--force]
  certsync ccadb-login
  certsync schema
  certsync version | --version

Help on a command: certsync COMMAND -h (or certsync help COMMAND).
Exit codes: 0 success (with --detailed-exitcode: no changes), 1 error,
2 changes pending (--detailed-exitcode only).
Settings come from CERTSYNC_* environment variables; see README.md, Configuration.
`

// printHelp writes the help of command name, with fs's flags.
func printHelp(w io.Writer, name string, fs *flag.FlagSet) {
	h, ok := helps[name]
	if !ok {
		h = commandHelp{usage: name + " [flags]", about: "See README.md, Commands.", example: "certsync " + name}
	}
	fmt.Fprintf(w, "Usage: certsync %s\n\n%s\n", h.usage, h.about)
	var flags strings.Builder
	fs.VisitAll(func(f *flag.Flag) {
		dash := "-"
		if len(f.Name) > 1 {
			dash = "--"
		}
		kind, text := flag.UnquoteUsage(f)
		line := "  " + dash + f.Name
		if kind != "" {
			line += " " + kind
		}
		fmt.Fprintf(&flags, "%s\n      %s", line, text)
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0s" {
			fmt.Fprintf(&flags, " (default %s)", f.DefValue)
		}
		flags.WriteString("\n")
	})
	if flags.Len() > 0 {
		fmt.Fprintf(w, "\nFlags:\n%s", flags.String())
	}
	if len(h.reads) > 0 {
		var names []string
		for _, r := range h.reads {
			if r != "vendors" {
				names = append(names, r)
				continue
			}
			for _, e := range vendors.All() {
				names = append(names, vendors.EnvPrefix(e.Name)+"* (for a "+e.Name+" section)")
			}
		}
		fmt.Fprintf(w, "\nSettings read:\n  %s\n", strings.Join(names, "\n  "))
	}
	fmt.Fprintf(w, "\nExample:\n  %s\n", h.example)
}

// parse parses a command's flags and positional arguments. -h or --help
// prints the command's help to stdout and gives errHelp (exit 0); a bad
// flag has been reported by the flag package, with a pointer to the help.
func (a *app) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	pos, err := parseFlags(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printHelp(a.stdout, fs.Name(), fs)
		return nil, errHelp
	case err != nil:
		fmt.Fprintf(a.stderr, "Run 'certsync %s -h' for help.\n", fs.Name())
		return nil, errReported
	}
	return pos, nil
}

// wantsHelp reports whether args ask for help (before a "--"), so that help
// works even when the settings are broken.
func wantsHelp(args []string) bool {
	for _, s := range args {
		switch s {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// version is Version, or, for a build without -ldflags (go install), the
// module version or VCS revision Go recorded in the binary.
func version() string {
	if Version != "dev" {
		return Version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return Version
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		return "dev (" + rev + dirty + ")"
	}
	return Version
}
