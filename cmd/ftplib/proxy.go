package main

import (
	"net"
	"net/url"
	"strings"
)

// proxyFor returns the proxy to use for a connection to host with scheme
// ("ftp" or "ftps"), from the environment as curl reads it: <scheme>_proxy
// (then upper case), else all_proxy (then ALL_PROXY), unless no_proxy (then
// NO_PROXY) names the host. A value without "://" is an HTTP proxy, as in
// curl. name is the variable used; a nil URL means a direct connection.
func proxyFor(getenv func(string) string, scheme, host string) (u *url.URL, name string, err error) {
	for _, k := range []string{scheme + "_proxy", strings.ToUpper(scheme) + "_PROXY", "all_proxy", "ALL_PROXY"} {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			name = k
			break
		}
	}
	if name == "" || noProxy(getenv, host) {
		return nil, "", nil
	}
	v := strings.TrimSpace(getenv(name))
	if !strings.Contains(v, "://") {
		v = "http://" + v
	}
	u, err = url.Parse(v)
	if err != nil || u.Host == "" {
		// url.Parse's error repeats the value, password included.
		return nil, name, usagef("", "$%s is not a proxy URL", name)
	}
	return u, name, nil
}

// noProxy reports whether no_proxy (else NO_PROXY) names host: "*" names
// every host; an entry names a host equal to it or ending in "." plus it
// (a leading "." is ignored), case-insensitively. Ports in entries and
// CIDR ranges are not understood: such entries match nothing.
func noProxy(getenv func(string) string, host string) bool {
	list := getenv("no_proxy")
	if list == "" {
		list = getenv("NO_PROXY")
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, e := range strings.Split(list, ",") {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "*" {
			return true
		}
		e = strings.TrimSuffix(strings.TrimPrefix(e, "."), ".")
		e = strings.TrimSuffix(strings.TrimPrefix(e, "["), "]")
		if e == "" {
			continue
		}
		if host == e {
			return true
		}
		if net.ParseIP(host) == nil && strings.HasSuffix(host, "."+e) {
			return true
		}
	}
	return false
}
