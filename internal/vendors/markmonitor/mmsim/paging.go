package mmsim

import (
	"cmp"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Paging follows Spring Data's defaults (docs/vendors/markmonitor.md, "Lists and paging"): page is 0-based,
// size defaults to 20 and is clamped to 2000, bad or negative values fall back
// to the defaults, and a page past the end answers empty content with the
// right totals. sort=property[,asc|desc] may repeat; unknown properties are
// ignored.
const (
	DefaultPageSize = 20
	MaxPageSize     = 2000
)

// Page is the paging metadata of a list answer.
type Page struct {
	Size          int `json:"size"`
	TotalElements int `json:"totalElements"`
	TotalPages    int `json:"totalPages"`
	Number        int `json:"number"` // 0-based
}

// PagedList is the envelope of every list and history answer.
type PagedList[T any] struct {
	Content []T  `json:"content"`
	Page    Page `json:"page"`
}

// pageRequest reads page and size from q.
func pageRequest(q url.Values) (page, size int) {
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page < 0 {
		page = 0
	}
	size, err = strconv.Atoi(q.Get("size"))
	if err != nil || size < 1 {
		size = DefaultPageSize
	}
	return page, min(size, MaxPageSize)
}

// paginate cuts one page out of items.
func paginate[T any](items []T, q url.Values) PagedList[T] {
	page, size := pageRequest(q)
	out := PagedList[T]{Content: []T{}, Page: Page{
		Size:          size,
		TotalElements: len(items),
		TotalPages:    (len(items) + size - 1) / size,
		Number:        page,
	}}
	// page*size cannot overflow: page comes from Atoi (int) but a huge page
	// is past the end anyway, so compare by division first.
	if page < out.Page.TotalPages {
		start := page * size
		out.Content = append(out.Content, items[start:min(start+size, len(items))]...)
	}
	return out
}

// sortKeys maps a sort property to a key extractor. Keys compare as strings,
// so numeric keys must be zero-padded (see padInt).
type sortKeys[T any] map[string]func(T) string

// sortBy applies the sort parameters of q to items, stable, so that the
// creation order breaks ties.
func sortBy[T any](items []T, q url.Values, keys sortKeys[T]) {
	specs := q["sort"]
	// Later sort parameters are lower priority: apply them first.
	for i := len(specs) - 1; i >= 0; i-- {
		prop, dir, _ := strings.Cut(specs[i], ",")
		key := keys[strings.TrimSpace(prop)]
		if key == nil {
			continue
		}
		desc := strings.EqualFold(strings.TrimSpace(dir), "desc")
		slices.SortStableFunc(items, func(a, b T) int {
			c := cmp.Compare(key(a), key(b))
			if desc {
				return -c
			}
			return c
		})
	}
}

func padInt(n int64) string { return strconv.FormatInt(n+1e15, 10) }

// listParam returns a list query parameter given either repeated or
// comma-separated (Spring binds both), without empty values.
func listParam(q url.Values, name string) []string {
	var out []string
	for _, v := range q[name] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}
