package diff

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// The three renderers print the same plan for three readers: a person at a
// terminal (Text), a program (JSON) and a pull-request comment (Markdown).
// None of them prints a sensitive value: Compute has already redacted them.

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiRed    = "\x1b[31m"
	ansiCyan   = "\x1b[36m"
)

// symbol returns the Terraform-like marker and colour of an action.
func (p *Plan) symbol(c Change) (string, string) {
	sym := p.SpecOf(c.Address, c.Action).Symbol
	switch sym {
	case "+":
		return sym, ansiGreen
	case "~":
		return sym, ansiYellow
	case "-":
		return sym, ansiRed
	case "<=":
		return sym, ansiCyan
	}
	return sym, ""
}

func (p *Plan) verb(c Change) string { return p.SpecOf(c.Address, c.Action).Verb }

// FormatValue prints a field value the way plans show it.
func FormatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "(none)"
	case string:
		if x == Redacted {
			return x
		}
		return fmt.Sprintf("%q", x)
	case []string:
		q := make([]string, len(x))
		for i, s := range x {
			q[i] = fmt.Sprintf("%q", s)
		}
		return "[" + strings.Join(q, ", ") + "]"
	default:
		return fmt.Sprint(x)
	}
}

func formatOld(f FieldChange) string {
	if f.Unknown != "" {
		return "(unknown: " + f.Unknown + ")"
	}
	return FormatValue(f.Old)
}

// Text writes the plan for a person. color adds ANSI colours; callers enable
// it only on a terminal and without NO_COLOR.
func Text(w io.Writer, p *Plan, color bool) error {
	paint := func(c, s string) string {
		if !color || c == "" {
			return s
		}
		return c + s + ansiReset
	}
	var b strings.Builder
	if p.CI != "" {
		fmt.Fprintf(&b, "CI mode (%s): write-only fields that cannot be read back and local-only differences are listed apart and do not count as changes.\n\n", p.CI)
	}
	if !p.Empty() {
		b.WriteString("certsync will perform the following actions:\n")
	}
	for _, c := range p.Changes {
		sym, col := p.symbol(c)
		fmt.Fprintf(&b, "\n  %s\n", paint(ansiBold, fmt.Sprintf("# %s will be %s", c.Address, p.verb(c))+reasonSuffix(c.Reason)))
		fmt.Fprintf(&b, "  %s %s\n", paint(col, sym), c.Address)
		for _, f := range c.Fields {
			if c.Action == Create || (f.Old == nil && f.Unknown == "" && c.LiveID == "") {
				fmt.Fprintf(&b, "      %s %s = %s\n", paint(ansiGreen, "+"), f.Field, FormatValue(f.New))
				continue
			}
			fmt.Fprintf(&b, "      %s %s = %s -> %s\n", paint(ansiYellow, "~"), f.Field, formatOld(f), FormatValue(f.New))
		}
		if len(c.DependsOn) > 0 {
			fmt.Fprintf(&b, "      after: %s\n", joinAddrs(c.DependsOn))
		}
		if c.Price != nil {
			fmt.Fprintf(&b, "      price: %s\n", c.Price)
		}
		for _, n := range c.Notes {
			fmt.Fprintf(&b, "      note: %s\n", n)
		}
	}
	if len(p.Info) > 0 {
		b.WriteString("\nNo change planned:\n")
		for _, in := range p.Info {
			fmt.Fprintf(&b, "  i %s: %s\n", in.Address, in.Message)
			for _, r := range in.Records {
				fmt.Fprintf(&b, "      publish: %s\n", r)
			}
		}
	}
	if len(p.Unknown) > 0 {
		b.WriteString("\nNot known from here: write-only fields that cannot be read back (not counted):\n")
		for _, c := range p.Unknown {
			fmt.Fprintf(&b, "  ? %s: %s\n", c.Address, unknownList(c.Fields))
		}
	}
	if len(p.LocalOnly) > 0 {
		b.WriteString("\nLocal only: files on this machine (not counted):\n")
		for _, c := range p.LocalOnly {
			fmt.Fprintf(&b, "  %s %s will be %s%s\n", p.SpecOf(c.Address, c.Action).Symbol, c.Address, p.verb(c), reasonSuffix(c.Reason))
		}
	}
	if len(p.Attention) > 0 {
		b.WriteString("\n" + paint(ansiYellow, "Needs attention (a person must act; no change planned):") + "\n")
		for _, in := range p.Attention {
			fmt.Fprintf(&b, "  %s %s: %s\n", paint(ansiYellow, "!"), in.Address, in.Message)
		}
	}
	if len(p.Errors) > 0 {
		b.WriteString("\n" + paint(ansiRed, "Could not be planned:") + "\n")
		for _, in := range p.Errors {
			fmt.Fprintf(&b, "  %s %s: %s\n", paint(ansiRed, "x"), in.Address, in.Message)
		}
	}
	if len(p.Tripped) > 0 {
		b.WriteString("\n" + paint(ansiRed, "Guards tripped (apply refuses this plan):") + "\n")
		for _, t := range p.Tripped {
			fmt.Fprintf(&b, "  %s %s\n", paint(ansiRed, "!"), t)
		}
	}
	b.WriteString("\n")
	if cost := p.CostLine(); cost != "" {
		b.WriteString(cost + "\n")
	}
	b.WriteString(paint(ansiBold, p.Summary()))
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func reasonSuffix(r string) string {
	if r == "" {
		return ""
	}
	return " (" + r + ")"
}

func joinAddrs(as []Address) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

// JSON writes the plan as indented JSON with format_version.
func JSON(w io.Writer, p *Plan) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(p)
}

// MarkdownLimit is the most characters Markdown writes: a pull-request
// comment holds 65,536, and the workflow adds a line or two around the plan.
const MarkdownLimit = 60000

// Markdown writes the plan as a pull-request comment, at most MarkdownLimit
// characters: the summary and the count per action first, then what needs a
// person (errors, attention), then one folded <details> block per change,
// then the folded lists that are not changes. What does not fit is cut
// whole, block by block, and a closing line says how many changes (and
// other entries) are not shown; the full plan is in the JSON form.
func Markdown(w io.Writer, p *Plan) error {
	return markdown(w, p, MarkdownLimit)
}

// mdTailReserve is kept free for the closing lines (what was cut, summary).
const mdTailReserve = 800

func markdown(w io.Writer, p *Plan, limit int) error {
	var b strings.Builder
	budget := limit - mdTailReserve
	// fits adds block when it fits the budget. Once one block did not
	// fit, none after it is added: what is shown is a prefix, in order.
	full := false
	fits := func(block string) bool {
		if full || b.Len()+len(block) > budget {
			full = true
			return false
		}
		b.WriteString(block)
		return true
	}
	b.WriteString("### certsync plan\n\n")
	if p.CI != "" {
		fmt.Fprintf(&b, "_CI mode (%s): write-only fields that cannot be read back and local-only differences are listed apart and do not count as changes._\n\n", mdCell(p.CI))
	}
	if p.Empty() {
		b.WriteString("**No changes.** The vendors match the inventory.\n")
	} else {
		fmt.Fprintf(&b, "**%s**\n\n", mdCell(p.Summary()))
		counts := p.Count()
		actions := make([]string, 0, len(counts))
		for a := range counts {
			actions = append(actions, string(a))
		}
		sort.Strings(actions)
		b.WriteString("| action | changes |\n|---|---:|\n")
		for _, a := range actions {
			fmt.Fprintf(&b, "| %s | %d |\n", a, counts[Action(a)])
		}
	}
	cut := map[string]int{}
	list := func(title, key string, items []Info) {
		if len(items) == 0 {
			return
		}
		if !fits("\n**" + title + ":**\n\n") {
			cut[key] += len(items)
			return
		}
		for i, in := range items {
			if !fits(fmt.Sprintf("- `%s`: %s\n", mdCell(in.Address.String()), mdCell(in.Message))) {
				cut[key] += len(items) - i
				return
			}
		}
	}
	list("Could not be planned", "errors", p.Errors)
	list("Needs attention (a person must act; no change planned)", "items that need attention", p.Attention)
	if len(p.Tripped) > 0 {
		// Never cut: it is why apply will refuse, and it is short.
		b.WriteString("\n**Guards tripped (apply refuses this plan):**\n\n")
		for _, t := range p.Tripped {
			fmt.Fprintf(&b, "- %s\n", mdCell(t.String()))
		}
	}
	b.WriteString("\n")
	shown := 0
	for _, c := range p.Changes {
		if !fits(mdChange(p, c)) {
			break
		}
		shown++
	}
	folded := func(title, key string, n int, line func(int) string) {
		if n == 0 {
			return
		}
		// The closing tag is reserved with the opening one, so a block
		// is never left open.
		const closing = "\n</details>\n"
		budget -= len(closing)
		defer func() { budget += len(closing) }()
		if !fits(fmt.Sprintf("\n<details><summary>%s (%d)</summary>\n\n", title, n)) {
			cut[key] += n
			return
		}
		defer b.WriteString(closing)
		for i := 0; i < n; i++ {
			if !fits(line(i)) {
				cut[key] += n - i
				return
			}
		}
	}
	folded("No change planned", "other entries", len(p.Info), func(i int) string {
		in := p.Info[i]
		line := fmt.Sprintf("- `%s`: %s\n", mdCell(in.Address.String()), mdCell(in.Message))
		if len(in.Records) > 0 {
			line += "\n  | type | name | value |\n  |---|---|---|\n"
			for _, r := range in.Records {
				line += fmt.Sprintf("  | %s | `%s` | `%s` |\n", mdCell(r.Type), mdCell(r.Name), mdCell(r.Value))
			}
			line += "\n"
		}
		return line
	})
	folded("Not known from here: write-only fields that cannot be read back (not counted)", "objects with unknown fields", len(p.Unknown), func(i int) string {
		c := p.Unknown[i]
		return fmt.Sprintf("- `%s`: %s\n", mdCell(c.Address.String()), mdCell(unknownList(c.Fields)))
	})
	folded("Local only: files on this machine (not counted)", "local-only changes", len(p.LocalOnly), func(i int) string {
		c := p.LocalOnly[i]
		return fmt.Sprintf("- `%s` will be %s%s\n", mdCell(c.Address.String()), p.verb(c), mdCell(reasonSuffix(c.Reason)))
	})
	if n := len(p.Changes) - shown; n > 0 || len(cut) > 0 {
		var parts []string
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d of %d changes", n, len(p.Changes)))
		}
		keys := make([]string, 0, len(cut))
		for k := range cut {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%d %s", cut[k], k))
		}
		fmt.Fprintf(&b, "\n**Not shown** (this comment stays under %d characters): %s. The full plan is in the JSON form (`certsync plan -o json`, or the workflow's artifact).\n", limit, strings.Join(parts, ", "))
	}
	if !p.Empty() {
		if cost := p.CostLine(); cost != "" {
			fmt.Fprintf(&b, "\n%s\n", mdCell(cost))
		}
		fmt.Fprintf(&b, "\n%s\n", mdCell(p.Summary()))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdChange is one change as a folded block.
func mdChange(p *Plan, c Change) string {
	var b strings.Builder
	sym, _ := p.symbol(c)
	fmt.Fprintf(&b, "<details><summary><code>%s</code> <code>%s</code> will be %s (%d field(s))</summary>\n\n", htmlEscape(sym), htmlEscape(c.Address.String()), p.verb(c), len(c.Fields))
	if c.Reason != "" {
		fmt.Fprintf(&b, "%s\n\n", mdCell(c.Reason))
	}
	if len(c.Fields) > 0 {
		b.WriteString("```diff\n")
	}
	for _, f := range c.Fields {
		if c.Action == Create || (f.Old == nil && f.Unknown == "" && c.LiveID == "") {
			fmt.Fprintf(&b, "+ %s = %s\n", f.Field, FormatValue(f.New))
			continue
		}
		fmt.Fprintf(&b, "- %s = %s\n+ %s = %s\n", f.Field, formatOld(f), f.Field, FormatValue(f.New))
	}
	if len(c.Fields) > 0 {
		b.WriteString("```\n")
	}
	if len(c.DependsOn) > 0 {
		fmt.Fprintf(&b, "\nAfter: %s\n", mdCell(joinAddrs(c.DependsOn)))
	}
	if c.Price != nil {
		fmt.Fprintf(&b, "\nPrice: %s\n", mdCell(c.Price.String()))
	}
	for _, n := range c.Notes {
		fmt.Fprintf(&b, "\n> %s\n", mdCell(n))
	}
	b.WriteString("\n</details>\n\n")
	return b.String()
}

// unknownList names unknown fields, grouped by the reason they cannot be
// read: "a, b (reason); c (other reason)".
func unknownList(fs []FieldChange) string {
	var groups []string
	for i := 0; i < len(fs); {
		j := i
		var names []string
		for ; j < len(fs) && fs[j].Unknown == fs[i].Unknown; j++ {
			names = append(names, fs[j].Field)
		}
		groups = append(groups, strings.Join(names, ", ")+" ("+fs[i].Unknown+")")
		i = j
	}
	return strings.Join(groups, "; ")
}

// mdCell makes text safe inside a table cell or a quote: no pipes, no line
// breaks, no backticks, and no HTML that could close the <details> blocks.
func mdCell(s string) string {
	s = htmlEscape(s)
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.ReplaceAll(s, "`", "'")
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
