package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// CodeRequest asks for a mini-program code (wxa/getwxacodeunlimit) that opens Page with Scene.
type CodeRequest struct {
	Scene string // at most MaxSceneLen characters of SceneCharset
	Page  string // e.g. "pages/scan-login/scan-login", without a leading slash
	// CheckPath makes WeChat refuse a page the published version does not have; off, a code for
	// a page still in development can be drawn.
	CheckPath bool
	// EnvVersion is the version the code opens: "release" (default), "trial" or "develop".
	EnvVersion string
	Width      int // pixels, 280 to 1280; default 280
}

// Image is a picture WeChat drew.
type Image struct {
	Bytes       []byte
	ContentType string // image/png or image/jpeg
}

// MaxSceneLen is the longest scene a mini-program code carries.
const MaxSceneLen = 32

// ScenePattern is the characters WeChat accepts in a scene: letters, digits and
// !#$&'()*+,/:;=?@-._~, one to MaxSceneLen of them.
var ScenePattern = regexp.MustCompile(`^[A-Za-z0-9!#$&'()*+,/:;=?@\-._~]{1,32}$`)

// maxImageBytes caps a mini-program code; WeChat's are tens of kilobytes.
const maxImageBytes = 2 << 20

func (r CodeRequest) check() error {
	if !ScenePattern.MatchString(r.Scene) {
		return fmt.Errorf("wechat: scene must be 1–%d characters of letters, digits and !#$&'()*+,/:;=?@-._~", MaxSceneLen)
	}
	return nil
}

// MiniProgramCode implements API with wxa/getwxacodeunlimit, through the shared access_token.
// WeChat answers the image itself, or JSON with an errcode.
func (c *Client) MiniProgramCode(ctx context.Context, r CodeRequest) (Image, error) {
	if err := r.check(); err != nil {
		return Image{}, err
	}
	body := map[string]any{"scene": r.Scene, "check_path": r.CheckPath, "width": max(r.Width, 280)}
	if r.Page != "" {
		body["page"] = strings.TrimPrefix(r.Page, "/")
	}
	if r.EnvVersion != "" {
		body["env_version"] = r.EnvVersion
	}
	var img Image
	err := c.withAccessToken(ctx, func(token string) error {
		start := time.Now()
		got, errcode, err := c.postForImage(ctx, url.Values{"access_token": {token}}, body)
		if c.observe != nil {
			outcome := "ok"
			if err != nil && errcode == 0 {
				outcome = "unavailable"
			} else if errcode != 0 {
				outcome = "errcode_" + strconv.Itoa(errcode)
			}
			c.observe("getwxacodeunlimit", outcome, time.Since(start))
		}
		if err != nil {
			if we, ok := err.(*Error); ok {
				we.Msg = redact(we.Msg, token)
			}
			return err
		}
		img = got
		return nil
	})
	return img, err
}

// postForImage posts body and reads an image, or the errcode WeChat answered instead.
func (c *Client) postForImage(ctx context.Context, q url.Values, body any) (Image, int, error) {
	const api = "getwxacodeunlimit"
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	b, err := json.Marshal(body)
	if err != nil {
		return Image{}, 0, fmt.Errorf("%w: %s: encoding request failed", ErrUnavailable, api)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.baseURL+"/wxa/getwxacodeunlimit?"+q.Encode(), bytes.NewReader(b))
	if err != nil {
		return Image{}, 0, fmt.Errorf("%w: %s: building request failed", ErrUnavailable, api)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return Image{}, 0, fmt.Errorf("%w: %s: %s", ErrUnavailable, api, describeTransportError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Image{}, 0, fmt.Errorf("%w: %s: HTTP status %d", ErrUnavailable, api, resp.StatusCode)
	}
	reply, err := io.ReadAll(io.LimitReader(resp.Body, maxImageBytes+1))
	if err != nil {
		return Image{}, 0, fmt.Errorf("%w: %s: reading reply: %s", ErrUnavailable, api, describeTransportError(err))
	}
	if len(reply) > maxImageBytes {
		return Image{}, 0, fmt.Errorf("%w: %s: reply larger than %d bytes", ErrUnavailable, api, maxImageBytes)
	}
	// The header is not to be trusted alone: an error comes as JSON, whatever it says.
	switch ct := http.DetectContentType(reply); ct {
	case "image/png", "image/jpeg":
		return Image{Bytes: reply, ContentType: ct}, 0, nil
	}
	var e struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if json.Unmarshal(reply, &e) != nil || e.ErrCode == 0 {
		return Image{}, 0, fmt.Errorf("%w: %s: reply is neither an image nor an errcode (%s)", ErrUnavailable, api, mt)
	}
	return Image{}, e.ErrCode, &Error{API: api, Code: e.ErrCode, Msg: e.ErrMsg}
}
