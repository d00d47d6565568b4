package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
)

// PhoneNumber implements API with wxa/business/getuserphonenumber.
func (c *Client) PhoneNumber(ctx context.Context, code, openid string) (Phone, error) {
	body := map[string]string{"code": code}
	if openid != "" {
		body["openid"] = openid
	}
	var phone Phone
	err := c.withAccessToken(ctx, func(token string) error {
		var reply struct {
			ErrCode   int        `json:"errcode"`
			ErrMsg    string     `json:"errmsg"`
			PhoneInfo *PhoneInfo `json:"phone_info"`
		}
		q := url.Values{"access_token": {token}}
		if err := c.postJSON(ctx, "getuserphonenumber", "/wxa/business/getuserphonenumber", q, body, &reply); err != nil {
			return err
		}
		if reply.ErrCode != 0 {
			return &Error{API: "getuserphonenumber", Code: reply.ErrCode, Msg: redact(reply.ErrMsg, token, code)}
		}
		if reply.PhoneInfo == nil || reply.PhoneInfo.PurePhoneNumber == "" {
			return fmt.Errorf("%w: getuserphonenumber answered without phone_info", ErrUnavailable)
		}
		if reply.PhoneInfo.Watermark.AppID != "" && reply.PhoneInfo.Watermark.AppID != c.appID {
			return fmt.Errorf("%w: getuserphonenumber answered for another appid", ErrUnavailable)
		}
		phone = reply.PhoneInfo.Phone()
		return nil
	})
	return phone, err
}

// CheckSession implements API with wxa/checksession.
func (c *Client) CheckSession(ctx context.Context, openid, sessionKey string) (bool, error) {
	valid := false
	err := c.withAccessToken(ctx, func(token string) error {
		q := url.Values{
			"access_token": {token}, "openid": {openid},
			"signature": {SessionSignature(sessionKey)}, "sig_method": {"hmac_sha256"},
		}
		var reply struct {
			ErrCode int    `json:"errcode"`
			ErrMsg  string `json:"errmsg"`
		}
		if err := c.getJSON(ctx, "checksession", "/wxa/checksession", q, &reply); err != nil {
			return err
		}
		switch reply.ErrCode {
		case 0:
			valid = true
			return nil
		case 87009:
			valid = false
			return nil
		}
		return &Error{API: "checksession", Code: reply.ErrCode, Msg: redact(reply.ErrMsg, token, sessionKey)}
	})
	return valid, err
}

// PhoneInfo is a phone number as getuserphonenumber answers it and as the legacy encrypted
// getPhoneNumber payload holds it. WeChat sends countryCode as a string in one and a number
// in the other.
type PhoneInfo struct {
	PhoneNumber     string      `json:"phoneNumber"`
	PurePhoneNumber string      `json:"purePhoneNumber"`
	CountryCode     CountryCode `json:"countryCode"`
	Watermark       Watermark   `json:"watermark"`
}

// Phone is the number without its watermark.
func (p PhoneInfo) Phone() Phone {
	return Phone{PhoneNumber: p.PhoneNumber, PurePhoneNumber: p.PurePhoneNumber, CountryCode: string(p.CountryCode)}
}

// CountryCode reads "86" and 86 alike.
type CountryCode string

// UnmarshalJSON implements json.Unmarshaler.
func (cc *CountryCode) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*cc = ""
		return nil
	}
	var s string
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	} else {
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		if _, err := strconv.ParseUint(n.String(), 10, 16); err != nil {
			return fmt.Errorf("countryCode %s is not a country code", n)
		}
		s = n.String()
	}
	*cc = CountryCode(s)
	return nil
}
