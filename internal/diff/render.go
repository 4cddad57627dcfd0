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

// Markdown writes the plan as a pull-request comment: the summary table
// first, then one folded section per change.
func Markdown(w io.Writer, p *Plan) error {
	var b strings.Builder
	b.WriteString("### certsync plan\n\n")
	if p.Empty() {
		b.WriteString("**No changes.** The vendors match the inventory.\n")
	} else {
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
		b.WriteString("\n| | address | action | why |\n|---|---|---|---|\n")
		for _, c := range p.Changes {
			sym, _ := p.symbol(c)
			fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s |\n", sym, mdCell(c.Address.String()), c.Action, mdCell(c.Reason))
		}
		b.WriteString("\n")
		for _, c := range p.Changes {
			fmt.Fprintf(&b, "<details><summary><code>%s</code> will be %s (%d field(s))</summary>\n\n", htmlEscape(c.Address.String()), p.verb(c), len(c.Fields))
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
		}
	}
	if len(p.Info) > 0 {
		b.WriteString("\n**No change planned:**\n\n")
		for _, in := range p.Info {
			fmt.Fprintf(&b, "- `%s`: %s\n", mdCell(in.Address.String()), mdCell(in.Message))
			if len(in.Records) > 0 {
				b.WriteString("\n  | type | name | value |\n  |---|---|---|\n")
				for _, r := range in.Records {
					fmt.Fprintf(&b, "  | %s | `%s` | `%s` |\n", mdCell(r.Type), mdCell(r.Name), mdCell(r.Value))
				}
				b.WriteString("\n")
			}
		}
	}
	if len(p.Attention) > 0 {
		b.WriteString("\n**Needs attention (a person must act; no change planned):**\n\n")
		for _, in := range p.Attention {
			fmt.Fprintf(&b, "- `%s`: %s\n", mdCell(in.Address.String()), mdCell(in.Message))
		}
	}
	if len(p.Errors) > 0 {
		b.WriteString("\n**Could not be planned:**\n\n")
		for _, in := range p.Errors {
			fmt.Fprintf(&b, "- `%s`: %s\n", mdCell(in.Address.String()), mdCell(in.Message))
		}
	}
	if len(p.Tripped) > 0 {
		b.WriteString("\n**Guards tripped (apply refuses this plan):**\n\n")
		for _, t := range p.Tripped {
			fmt.Fprintf(&b, "- %s\n", mdCell(t.String()))
		}
	}
	if !p.Empty() {
		if cost := p.CostLine(); cost != "" {
			fmt.Fprintf(&b, "\n%s\n", mdCell(cost))
		}
		fmt.Fprintf(&b, "\n%s\n", p.Summary())
	}
	_, err := io.WriteString(w, b.String())
	return err
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
