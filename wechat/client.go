package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultBaseURL is WeChat's API host.
const DefaultBaseURL = "https://api.weixin.qq.com"

// DefaultTimeout bounds every call to WeChat unless the caller's context is shorter.
const DefaultTimeout = 5 * time.Second

// maxReplyBytes caps what we read of a reply; WeChat's are a few hundred bytes.
const maxReplyBytes = 64 << 10

// ClientConfig says where and as whom the client talks to WeChat.
type ClientConfig struct {
	BaseURL    string        // default DefaultBaseURL; tests point it at a fake
	AppID      string        // required
	Secret     string        // required
	Timeout    time.Duration // per call; default DefaultTimeout
	HTTPClient *http.Client  // default: a pooled client sized for many concurrent logins
	// TokenCache shares the access_token between server instances; default: this process only.
	TokenCache TokenCache
	// TokenRefreshAhead is how long before expiry the access_token is renewed; default
	// DefaultTokenRefreshAhead, at most a quarter of the token's lifetime.
	TokenRefreshAhead time.Duration
	// Observe, when set, is told of every call: the API, its outcome ("ok", "errcode_N" or
	// "unavailable") and how long it took. Metrics hook in here.
	Observe func(api, outcome string, took time.Duration)
}

// Client calls the real WeChat API. It is safe for concurrent use.
type Client struct {
	baseURL string
	appID   string
	secret  string
	timeout time.Duration
	http    *http.Client
	tokens  *tokenSource
	observe func(api, outcome string, took time.Duration)
}

// NewClient checks cfg and returns a Client.
func NewClient(cfg ClientConfig) (*Client, error) {
	if cfg.AppID == "" || cfg.Secret == "" {
		return nil, errors.New("wechat: appid and secret are both required")
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("wechat: base URL %q is not an http(s) URL", base)
	}
	c := &Client{baseURL: base, appID: cfg.AppID, secret: cfg.Secret, timeout: cfg.Timeout, http: cfg.HTTPClient, observe: cfg.Observe}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.http == nil {
		c.http = &http.Client{Transport: newTransport()}
	}
	c.tokens = newTokenSource(c, cfg.TokenCache, cfg.TokenRefreshAhead)
	return c, nil
}

// newTransport keeps enough idle connections to WeChat's one host for a burst of logins.
func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 128
	t.IdleConnTimeout = 90 * time.Second
	t.TLSHandshakeTimeout = 5 * time.Second
	t.ResponseHeaderTimeout = DefaultTimeout
	t.DialContext = (&net.Dialer{Timeout: 3 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	return t
}

// AppID implements API.
func (c *Client) AppID() string { return c.appID }

// Code2Session implements API with sns/jscode2session.
func (c *Client) Code2Session(ctx context.Context, code string) (Session, error) {
	q := url.Values{}
	q.Set("appid", c.appID)
	q.Set("secret", c.secret)
	q.Set("js_code", code)
	q.Set("grant_type", "authorization_code")
	var reply struct {
		ErrCode    int    `json:"errcode"`
		ErrMsg     string `json:"errmsg"`
		OpenID     string `json:"openid"`
		UnionID    string `json:"unionid"`
		SessionKey string `json:"session_key"`
	}
	if err := c.getJSON(ctx, "jscode2session", "/sns/jscode2session", q, &reply); err != nil {
		return Session{}, err
	}
	if reply.ErrCode != 0 {
		return Session{}, &Error{API: "jscode2session", Code: reply.ErrCode, Msg: reply.ErrMsg}
	}
	if reply.OpenID == "" || reply.SessionKey == "" {
		return Session{}, fmt.Errorf("%w: jscode2session answered without openid or session_key", ErrUnavailable)
	}
	return Session{OpenID: reply.OpenID, UnionID: reply.UnionID, SessionKey: reply.SessionKey}, nil
}

// getJSON performs one GET and decodes the JSON reply. Its errors never include the URL,
// because the query carries the secret, the user's code or the access_token.
func (c *Client) getJSON(ctx context.Context, api, path string, q url.Values, into any) error {
	return c.doJSON(ctx, api, http.MethodGet, path, q, nil, into)
}

// postJSON performs one POST of body as JSON and decodes the JSON reply, like getJSON.
func (c *Client) postJSON(ctx context.Context, api, path string, q url.Values, body, into any) error {
	return c.doJSON(ctx, api, http.MethodPost, path, q, body, into)
}

func (c *Client) doJSON(ctx context.Context, api, method, path string, q url.Values, body, into any) error {
	start := time.Now()
	errcode, err := c.exchangeJSON(ctx, api, method, path, q, body, into)
	if c.observe != nil {
		outcome := "ok"
		if err != nil {
			outcome = "unavailable"
		} else if errcode != 0 {
			outcome = "errcode_" + strconv.Itoa(errcode)
		}
		c.observe(api, outcome, time.Since(start))
	}
	return err
}

// exchangeJSON performs the call and decodes the reply into into; it also returns the reply's
// errcode, which every WeChat reply may carry, for the observer.
func (c *Client) exchangeJSON(ctx context.Context, api, method, path string, q url.Values, body, into any) (errcode int, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	target := c.baseURL + path
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, fmt.Errorf("%w: %s: encoding request failed", ErrUnavailable, api)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return 0, fmt.Errorf("%w: %s: building request failed", ErrUnavailable, api)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%w: %s: %s", ErrUnavailable, api, describeTransportError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%w: %s: HTTP status %d", ErrUnavailable, api, resp.StatusCode)
	}
	reply, err := io.ReadAll(io.LimitReader(resp.Body, maxReplyBytes+1))
	if err != nil {
		return 0, fmt.Errorf("%w: %s: reading reply: %s", ErrUnavailable, api, describeTransportError(err))
	}
	if len(reply) > maxReplyBytes {
		return 0, fmt.Errorf("%w: %s: reply larger than %d bytes", ErrUnavailable, api, maxReplyBytes)
	}
	if err := json.Unmarshal(reply, into); err != nil {
		return 0, fmt.Errorf("%w: %s: reply is not JSON", ErrUnavailable, api)
	}
	var e struct {
		ErrCode int `json:"errcode"`
	}
	_ = json.Unmarshal(reply, &e)
	return e.ErrCode, nil
}

// describeTransportError names what went wrong without the request URL that *url.Error carries.
func describeTransportError(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timed out"
	case errors.Is(err, context.Canceled):
		return "request canceled"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return "network error: " + oe.Op
	}
	return "transport error"
}
