package mobile

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"wxbind/account"
	"wxbind/i18n"
	"wxbind/web/requestinfo"
)

// writeLogin answers a bound checkBind and a successful bind:
// {"code":1,"msg":"ok","token":…,"expiresIn":…,"userInfo":{…},"menuList":[…]}, with the user and
// menus as the login encoded them.
func writeLogin(c *gin.Context, l *account.Login) {
	requestinfo.SetUserID(c, l.UserInfo.UserID)
	requestinfo.SetOutcome(c, "login")
	token, _ := json.Marshal(l.Token)
	b := make([]byte, 0, 96+len(token)+len(l.JSON.UserInfo)+len(l.JSON.MenuList))
	b = append(b, `{"code":`...)
	b = strconv.AppendInt(b, CodeOK, 10)
	b = append(b, `,"msg":"ok","token":`...)
	b = append(b, token...)
	b = append(b, `,"expiresIn":`...)
	b = strconv.AppendInt(b, l.ExpiresIn, 10)
	writeInfoJSON(c, b, l.JSON)
}

// writeInfoJSON ends the answer begun in b with the userInfo and menuList members and sends it.
func writeInfoJSON(c *gin.Context, b []byte, j account.InfoJSON) {
	b = append(b, `,"userInfo":`...)
	b = append(b, j.UserInfo...)
	b = append(b, `,"menuList":`...)
	b = append(b, j.MenuList...)
	b = append(b, '}')
	c.Data(http.StatusOK, "application/json; charset=utf-8", b)
}

// CheckBind answers GET /mobileApi/user/checkBind?code=CODE.
func (h *Handler) CheckBind(c *gin.Context) {
	code := c.Query("code")
	if code == "" {
		badRequest(c, http.StatusBadRequest, "invalid_code", "code_missing")
		return
	}
	if len(code) > account.MaxCodeLen {
		badRequest(c, http.StatusBadRequest, "invalid_code", "code_too_long")
		return
	}
	res, err := h.accounts.CheckBind(c.Request.Context(), code)
	if err != nil {
		fail(c, err)
		return
	}
	if res.Bound() {
		writeLogin(c, res.Login)
		return
	}
	// 301 is a body code the client switches on, never an HTTP redirect.
	requestinfo.SetOutcome(c, "not_bound")
	c.JSON(http.StatusOK, gin.H{"code": CodeNotBound, "msg": i18n.FromContext(c).T("mobile.not_bound_hint"), "openId": res.OpenID, "bindTicket": res.BindTicket})
}

// bindRequest is POST /mobileApi/user/bind's body.
type bindRequest struct {
	BindTicket string  `json:"bindTicket"`
	Code       string  `json:"code"`
	OpenID     string  `json:"openId"`
	Username   string  `json:"username"`
	Password   string  `json:"password"`
	NickName   *string `json:"nickName"`
	AvatarURL  *string `json:"avatarUrl"`
}

// Bind answers POST /mobileApi/user/bind.
func (h *Handler) Bind(c *gin.Context) {
	var req bindRequest
	if !readJSON(c, &req) {
		return
	}
	login, err := h.accounts.Bind(c.Request.Context(), account.BindRequest{
		BindTicket: trimmed(req.BindTicket), Code: trimmed(req.Code), OpenID: trimmed(req.OpenID),
		Username: trimmed(req.Username), Password: req.Password,
		NickName: req.NickName, AvatarURL: req.AvatarURL,
	}, requestinfo.Actor(c))
	if err != nil {
		fail(c, err)
		return
	}
	writeLogin(c, login)
}

// Info answers GET /mobileApi/user/info. It checks the token itself, rather than behind
// RequireToken, so that the login, the user and the menus come in one statement.
func (h *Handler) Info(c *gin.Context) {
	var info account.InfoJSON
	_, ok := signIn(c, func(ctx context.Context, token string) (account.Principal, error) {
		p, j, err := h.accounts.Info(ctx, token)
		info = j
		return p, err
	})
	if !ok {
		return
	}
	// {"code":1,"msg":"ok","userInfo":{…},"menuList":[…]}, from the JSON Info keeps encoded.
	b := make([]byte, 0, 64+len(info.UserInfo)+len(info.MenuList))
	b = append(b, `{"code":`...)
	b = strconv.AppendInt(b, CodeOK, 10)
	b = append(b, `,"msg":"ok"`...)
	writeInfoJSON(c, b, info)
}

// profileRequest is POST /mobileApi/user/profile's body; an absent field is left unchanged.
// Instead of plain fields, a legacy wx.getUserInfo result may be sent: encryptedData and iv,
// or rawData and signature.
type profileRequest struct {
	NickName      *string `json:"nickName"`
	AvatarURL     *string `json:"avatarUrl"`
	EncryptedData string  `json:"encryptedData"`
	IV            string  `json:"iv"`
	RawData       string  `json:"rawData"`
	Signature     string  `json:"signature"`
}

// Profile answers POST /mobileApi/user/profile.
func (h *Handler) Profile(c *gin.Context) {
	var req profileRequest
	if !readJSON(c, &req) {
		return
	}
	p, _ := principal(c)
	var (
		info account.UserInfo
		err  error
	)
	switch {
	case req.EncryptedData != "" || req.IV != "":
		info, err = h.accounts.ProfileFromEncryptedData(c.Request.Context(), p, trimmed(req.EncryptedData), trimmed(req.IV))
	case req.RawData != "" || req.Signature != "":
		info, err = h.accounts.ProfileFromRawData(c.Request.Context(), p, req.RawData, trimmed(req.Signature))
	default:
		info, err = h.accounts.UpdateProfile(c.Request.Context(), p, req.NickName, req.AvatarURL)
	}
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"code": CodeOK, "msg": "ok", "userInfo": info})
}

// Logout answers POST /mobileApi/user/logout.
func (h *Handler) Logout(c *gin.Context) {
	p, _ := principal(c)
	if err := h.accounts.Logout(c.Request.Context(), p); err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"code": CodeOK, "msg": "ok"})
}

// Unbind answers POST /mobileApi/user/unbind.
func (h *Handler) Unbind(c *gin.Context) {
	p, _ := principal(c)
	if err := h.accounts.Unbind(c.Request.Context(), p.IdentityID, requestinfo.Actor(c)); err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"code": CodeOK, "msg": "ok"})
}
