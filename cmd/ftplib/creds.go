package main

// credentials are what the tool logs in with. Source says where they came
// from, for -v output; the password itself is never printed.
type credentials struct {
	User, Pass, Acct string
	Source           string
}

// resolveCredentials picks the login for t, first match wins:
//
//  1. the URL's user and password;
//  2. the netrc entry for the host (with the URL's user as login when the
//     URL names one), or its default entry;
//  3. $FTP_PASSWORD, with the URL's user or else $FTP_USER;
//  4. the URL's user or $FTP_USER with an empty password;
//  5. anonymous (an empty user: the client sends "anonymous").
//
// entries are the parsed netrc file (nil when there is none).
func resolveCredentials(t *target, entries []netrcEntry, getenv func(string) string) credentials {
	if t.HasPass {
		return credentials{User: t.User, Pass: t.Pass, Source: "URL"}
	}
	if e, ok := lookupNetrc(entries, t.Host, t.User); ok {
		user := e.Login
		if t.User != "" {
			user = t.User
		}
		return credentials{User: user, Pass: e.Password, Acct: e.Account, Source: "netrc"}
	}
	user := t.User
	src := "URL"
	if user == "" {
		user = getenv("FTP_USER")
		src = "FTP_USER"
	}
	if pass, ok := lookupEnv(getenv, "FTP_PASSWORD"); ok {
		if user == "" {
			src = "FTP_PASSWORD"
		} else {
			src += " and FTP_PASSWORD"
		}
		return credentials{User: user, Pass: pass, Source: src}
	}
	if user != "" {
		return credentials{User: user, Source: src}
	}
	return credentials{Source: "anonymous"}
}

// lookupEnv is os.LookupEnv through getenv: a variable set to "" counts
// as unset, which is what a user who writes FTP_PASSWORD= expects.
func lookupEnv(getenv func(string) string, key string) (string, bool) {
	v := getenv(key)
	return v, v != ""
}
