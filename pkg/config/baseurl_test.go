package config

import (
	"strings"
	"testing"
)

func TestNormalizeBaseURL(t *testing.T) {
	for in, want := range map[string]string{
		"":                                      DefaultBaseURL,
		"https://api-prod-new.tagmango.com":     DefaultBaseURL,
		"https://api-prod-new.tagmango.com/":    DefaultBaseURL,
		"HTTPS://API-Prod-New.tagmango.com:443": DefaultBaseURL,
		"http://127.0.0.1:4280//":               "http://127.0.0.1:4280",
		"http://localhost:80/":                  "http://localhost",
		"http://[::1]:4280/":                    "http://[::1]:4280",
		"http://[::1]:80":                       "http://[::1]",
		"https://proxy.example.com/tagmango/":   "https://proxy.example.com/tagmango",
	} {
		got, err := NormalizeBaseURL(in)
		if err != nil || got != want {
			t.Errorf("NormalizeBaseURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestNormalizeBaseURLRefusals(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:tm_secret_password@api.example.com": "put the key in a profile or TAGMANGO_API_KEY",
		"https://tm_secret_password@api.example.com":      "put the key in a profile or TAGMANGO_API_KEY",
		"https://api.example.com/?x=1":                    "must not have a query",
		"https://api.example.com?":                        "must not have a query",
		"https://api.example.com/#top":                    "or fragment",
		"https://api.example.com#":                        "or fragment",
		"ftp://api.example.com":                           "not an absolute http",
		"api.example.com":                                 "not an absolute http",
		"https://":                                        "has no host",
		"http://[::1":                                     "not a valid URL",
	} {
		_, err := NormalizeBaseURL(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("NormalizeBaseURL(%q) = %v; want an error with %q", in, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "tm_secret_password") {
			t.Errorf("the error repeats the password: %v", err)
		}
	}
}
