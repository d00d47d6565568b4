package console

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"wxbind/account"
	"wxbind/web/requestinfo"
)

// utf8BOM starts the CSV so that Excel reads it as UTF-8, Chinese included.
const utf8BOM = "\xEF\xBB\xBF"

// exportFlushRows is how many rows go out before the response is flushed to the reader.
const exportFlushRows = 500

// ExportUsers downloads the users list's current filter as CSV, row by row as the database
// hands them over (a million rows are never held at once), phone numbers as the viewer sees them
// on screen (masked for staff). The export is audited with its filter and row count.
func (h *Handler) ExportUsers(c *gin.Context) {
	viewer, _ := currentUser(c)
	f := account.ParseAccountFilter(c.Request.URL.Query(), h.zone)
	tr := h.tr(c)
	loc := h.locale(c)
	w := csv.NewWriter(c.Writer)
	started := false
	start := func() {
		started = true
		c.Header("Content-Type", "text/csv; charset=utf-8")
		c.Header("Content-Disposition", `attachment; filename="users-`+time.Now().In(h.zone).Format("20060102-150405")+`.csv"`)
		c.Status(http.StatusOK)
		_, _ = c.Writer.WriteString(utf8BOM)
		header := []string{"id", "username", "name", "role", "status", "phone", "openid", "nickname", "bound_at", "last_login", "created"}
		for i, k := range header {
			header[i] = tr.T("console.export." + k)
		}
		_ = w.Write(header)
	}
	see := account.Account{ID: viewer.ID, Role: viewer.Role}
	var rows int
	_, err := h.accounts.ExportAccounts(c.Request.Context(), requestinfo.Actor(c), f, func(a account.AccountSummary) error {
		if !started {
			start()
		}
		created := a.CreatedAt
		rec := []string{strconv.FormatUint(a.ID, 10), a.Username, h.accountName(c, a.Name), tr.T("console.role." + a.Role), tr.T("console.status." + a.Status),
			a.PhoneFor(see), a.OpenID, a.Nickname, loc.Time(a.BoundAt), loc.Time(a.LastLoginAt), loc.Time(&created)}
		for i := range rec {
			rec[i] = cellText(rec[i])
		}
		if err := w.Write(rec); err != nil {
			return err
		}
		if rows++; rows%exportFlushRows == 0 {
			w.Flush()
			if err := w.Error(); err != nil {
				return err // the reader went away
			}
			c.Writer.Flush()
		}
		return nil
	})
	if err != nil && !started {
		h.fail(c, err)
		return
	}
	if err != nil {
		_ = c.Error(err) // half a file was sent: the access log says why it stopped
		return
	}
	if !started {
		start()
	}
	w.Flush()
}

// cellText keeps a spreadsheet from reading a cell as a formula: text a user chose (a nickname,
// a name) that starts like one gets a leading apostrophe, as Excel itself would show it.
func cellText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
