package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// NormalizeBaseURL checks an API base URL and returns its canonical form: scheme and
// host in lower case, no default port, no trailing slash. Records are kept per base URL,
// so "https://API-prod-new.tagmango.com:443/" and the default must be the same API.
// Empty means DefaultBaseURL.
//
// Refused: anything but an absolute http(s) URL with a host; user-info, which the HTTP
// client would send as an Authorization header (a key in it would be logged by -v and
// visible in `ps`); a query or fragment, which would end up before the API path.
func NormalizeBaseURL(raw string) (string, error) {
	if strings.TrimSpace(raw) == "" {
		return DefaultBaseURL, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the URL, which may hold a password: say only what is wrong.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", fmt.Errorf("it is not a valid URL (%w); write it as https://HOST[:PORT]", err)
	}
	if u.User != nil {
		return "", errors.New("it must not carry user-info (user:password@): put the key in a profile or TAGMANGO_API_KEY")
	}
	scheme := strings.ToLower(u.Scheme)
	if (scheme != "http" && scheme != "https") || u.Opaque != "" {
		return "", fmt.Errorf("%q is not an absolute http:// or https:// URL; write it as https://HOST[:PORT]", raw)
	}
	if u.Host == "" || u.Hostname() == "" {
		return "", fmt.Errorf("%q has no host", raw)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(raw, "#") {
		return "", fmt.Errorf("%q must not have a query (?…) or fragment (#…): the API path is appended to the base URL", raw)
	}
	host := strings.ToLower(u.Hostname())
	defaultPort := scheme == "http" && u.Port() == "80" || scheme == "https" && u.Port() == "443"
	if port := u.Port(); port != "" && !defaultPort {
		host = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]" // an IPv6 literal without a port keeps its brackets
	}
	return scheme + "://" + host + strings.TrimRight(u.EscapedPath(), "/"), nil
}
