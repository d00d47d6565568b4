package console

import (
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"wxbind/account"
	"wxbind/templates"
)

// listNav is a list page's way around: first, previous and next pages, page sizes and the
// total. filter is the list's filter as its URL carries it; the page's own cursor and size are
// added here.
func (h *Handler) listNav(c *gin.Context, filter url.Values, p account.ListPage, cur account.Cursors, total account.Total) templates.ListNav {
	path := c.Request.URL.Path
	link := func(size int, key, cursor string) string {
		q := url.Values{}
		for k, v := range filter {
			q[k] = v
		}
		if size != account.DefaultPageSize {
			q.Set("size", strconv.Itoa(size))
		}
		if key != "" {
			q.Set(key, cursor)
		}
		if len(q) == 0 {
			return path
		}
		return path + "?" + q.Encode()
	}
	nav := templates.ListNav{}
	if p.After != "" || p.Before != "" {
		nav.FirstURL = link(p.Size, "", "")
	}
	if cur.Prev != "" {
		nav.PrevURL = link(p.Size, "before", cur.Prev)
	}
	if cur.Next != "" {
		nav.NextURL = link(p.Size, "after", cur.Next)
	}
	for _, n := range account.PageSizes {
		nav.Sizes = append(nav.Sizes, templates.SizeLink{N: n, URL: link(n, "", ""), Current: n == p.Size})
	}
	loc := h.locale(c)
	key := "console.list.total_exact"
	switch {
	case total.AtLeast:
		key = "console.list.total_more"
	case !total.Exact:
		key = "console.list.total_estimate"
	}
	nav.Total = loc.Tf(key, map[string]any{"N": loc.Number(total.N)})
	return nav
}
