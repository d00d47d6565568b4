package account

import "strings"

// Browser is a coarse description of a browser from its User-Agent: enough for a person to
// recognise their own screen ("Chrome · Windows"), not to fingerprint it.
type Browser struct {
	Name string // Chrome, Edge, Firefox, Safari, Opera, WeChat, or "" when unknown
	OS   string // Windows, macOS, Linux, Android, iOS, ChromeOS, or "" when unknown
}

// DescribeBrowser reads a User-Agent. Order matters: Edge and Opera also say Chrome, and Chrome
// also says Safari.
func DescribeBrowser(ua string) Browser {
	var b Browser
	for _, m := range []struct{ token, name string }{
		{"MicroMessenger/", "WeChat"}, {"Edg/", "Edge"}, {"EdgA/", "Edge"}, {"EdgiOS/", "Edge"},
		{"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"}, {"CriOS/", "Chrome"},
		{"Chrome/", "Chrome"}, {"Chromium/", "Chromium"}, {"Safari/", "Safari"},
	} {
		if strings.Contains(ua, m.token) {
			b.Name = m.name
			break
		}
	}
	for _, m := range []struct{ token, name string }{
		{"Windows", "Windows"}, {"iPhone", "iOS"}, {"iPad", "iOS"}, {"Android", "Android"},
		{"CrOS", "ChromeOS"}, {"Mac OS X", "macOS"}, {"Macintosh", "macOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, m.token) {
			b.OS = m.name
			break
		}
	}
	return b
}
