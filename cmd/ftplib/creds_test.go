package main

import "testing"

func TestResolveCredentials(t *testing.T) {
	netrc := []netrcEntry{
		{Machine: "h", Login: "alice", Password: "apw", Account: "aacct"},
		{Machine: "h", Login: "bob", Password: "bpw"},
		{Machine: "d"},
	}
	withDefault := append(netrc[:len(netrc):len(netrc)], netrcEntry{Default: true, Login: "dflt", Password: "dpw"})
	tests := []struct {
		name    string
		url     string
		entries []netrcEntry
		env     map[string]string
		want    credentials
	}{
		{"URL wins over all", "ftp://u:p@h/", withDefault, map[string]string{"FTP_PASSWORD": "e", "FTP_USER": "eu"},
			credentials{User: "u", Pass: "p", Source: "URL"}},
		{"URL empty password", "ftp://u:@h/", withDefault, nil,
			credentials{User: "u", Pass: "", Source: "URL"}},
		{"netrc by host", "ftp://h/", netrc, map[string]string{"FTP_PASSWORD": "e"},
			credentials{User: "alice", Pass: "apw", Acct: "aacct", Source: "netrc"}},
		{"netrc by host and URL user", "ftp://bob@h/", netrc, nil,
			credentials{User: "bob", Pass: "bpw", Source: "netrc"}},
		{"netrc host case", "ftp://H/", netrc, nil,
			credentials{User: "alice", Pass: "apw", Acct: "aacct", Source: "netrc"}},
		{"netrc entry without login", "ftp://d/", netrc, nil,
			credentials{Source: "netrc"}},
		{"netrc default", "ftp://other/", withDefault, nil,
			credentials{User: "dflt", Pass: "dpw", Source: "netrc"}},
		{"URL user not in netrc falls to env", "ftp://carol@h/", netrc, map[string]string{"FTP_PASSWORD": "e"},
			credentials{User: "carol", Pass: "e", Source: "URL and FTP_PASSWORD"}},
		{"env user and password", "ftp://other/", netrc, map[string]string{"FTP_PASSWORD": "e", "FTP_USER": "eu"},
			credentials{User: "eu", Pass: "e", Source: "FTP_USER and FTP_PASSWORD"}},
		{"env password alone", "ftp://other/", nil, map[string]string{"FTP_PASSWORD": "e"},
			credentials{Pass: "e", Source: "FTP_PASSWORD"}},
		{"env user alone", "ftp://other/", nil, map[string]string{"FTP_USER": "eu"},
			credentials{User: "eu", Source: "FTP_USER"}},
		{"URL user alone", "ftp://carol@other/", nil, nil,
			credentials{User: "carol", Source: "URL"}},
		{"anonymous", "ftp://other/", netrc, map[string]string{"FTP_PASSWORD": ""},
			credentials{Source: "anonymous"}},
	}
	for _, tt := range tests {
		tg, err := parseURL(tt.url, false)
		if err != nil {
			t.Fatal(err)
		}
		got := resolveCredentials(tg, tt.entries, func(k string) string { return tt.env[k] })
		if got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
