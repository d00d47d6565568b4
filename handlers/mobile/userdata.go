package mobile

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"wxbind/account"
	"wxbind/web/requestinfo"
)

// MaxAvatarUploadBytes caps an avatar upload's whole body: the image plus multipart framing.
const MaxAvatarUploadBytes = account.MaxAvatarBytes + 64<<10

// phoneRequest is POST /mobileApi/user/phone's body: a getPhoneNumber code, or a legacy
// client's encryptedData and iv.
type phoneRequest struct {
	Code          string `json:"code"`
	EncryptedData string `json:"encryptedData"`
	IV            string `json:"iv"`
}

// Phone answers POST /mobileApi/user/phone.
func (h *Handler) Phone(c *gin.Context) {
	var req phoneRequest
	if !readJSON(c, &req) {
		return
	}
	p, _ := principal(c)
	var (
		n   account.PhoneNumber
		err error
	)
	switch {
	case trimmed(req.Code) != "":
		n, err = h.accounts.PhoneByCode(c.Request.Context(), p, trimmed(req.Code), requestinfo.Actor(c))
	case req.EncryptedData != "" || req.IV != "":
		n, err = h.accounts.PhoneFromEncryptedData(c.Request.Context(), p, trimmed(req.EncryptedData), trimmed(req.IV), requestinfo.Actor(c))
	default:
		badRequest(c, http.StatusBadRequest, "invalid_code", "phone_code_missing")
		return
	}
	if err != nil {
		failUserData(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"code": CodeOK, "msg": "ok", "phone": n.Phone, "countryCode": n.CountryCode})
}

// CheckSession answers GET /mobileApi/user/checkSession.
func (h *Handler) CheckSession(c *gin.Context) {
	p, _ := principal(c)
	valid, err := h.accounts.CheckSession(c.Request.Context(), p)
	if err != nil {
		failUserData(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"code": CodeOK, "msg": "ok", "valid": valid})
}

// Avatar answers POST /mobileApi/user/avatar: a multipart form whose field "file" is the image
// the avatar fill-in component gave (wx.uploadFile with name "file").
func (h *Handler) Avatar(c *gin.Context) {
	data, ok := readAvatarFile(c)
	if !ok {
		return
	}
	p, _ := principal(c)
	info, err := h.accounts.SetAvatar(c.Request.Context(), p, data)
	if err != nil {
		failUserData(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"code": CodeOK, "msg": "ok", "avatarUrl": info.AvatarURL})
}

// readAvatarFile streams the form's "file" part into memory, at most one byte past the limit
// so that an oversized file is told apart; it answers the request itself when it cannot.
func readAvatarFile(c *gin.Context) ([]byte, bool) {
	if !strings.HasPrefix(c.ContentType(), "multipart/form-data") {
		badRequest(c, http.StatusUnsupportedMediaType, "invalid_body", "upload_not_multipart")
		return nil, false
	}
	mr, err := c.Request.MultipartReader()
	if err != nil {
		badRequest(c, http.StatusBadRequest, "invalid_body", "upload_not_multipart")
		return nil, false
	}
	for {
		part, err := mr.NextPart()
		if err != nil {
			tooLarge(c, err, "invalid_file", "upload_no_file")
			return nil, false
		}
		if part.FormName() != "file" {
			part.Close()
			continue
		}
		data, err := io.ReadAll(io.LimitReader(part, account.MaxAvatarBytes+1))
		part.Close()
		if err != nil {
			tooLarge(c, err, "invalid_body", "upload_broken")
			return nil, false
		}
		return data, true
	}
}

// tooLarge answers 413 when err is the body cap, else 400 with reason and the message msgKey.
func tooLarge(c *gin.Context, err error, reason, msgKey string) {
	var big *http.MaxBytesError
	if errors.As(err, &big) {
		badRequest(c, http.StatusRequestEntityTooLarge, "file_too_large", "file_too_large")
		return
	}
	badRequest(c, http.StatusBadRequest, reason, msgKey)
}

// ServeAvatar answers GET /avatars/NAME with a stored avatar. The type comes from the stored
// name, which the upload chose from the decoded content; nosniff and a sandboxing CSP keep a
// browser from treating it as anything but an image.
func (h *Handler) ServeAvatar(c *gin.Context) {
	c.Header("X-Content-Type-Options", "nosniff")
	a, err := h.accounts.OpenAvatar(c.Param("name"))
	if err != nil {
		c.String(http.StatusNotFound, "404 page not found")
		return
	}
	defer a.File.Close()
	st, err := a.File.Stat()
	if err != nil {
		c.String(http.StatusNotFound, "404 page not found")
		return
	}
	c.Header("Content-Type", a.ContentType)
	c.Header("Content-Security-Policy", "default-src 'none'; sandbox")
	// The name is the content's hash: it never changes.
	c.Header("Cache-Control", "public, max-age=31536000, immutable")
	http.ServeContent(c.Writer, c.Request, "", st.ModTime(), a.File)
}
