package ftp

import (
	"strings"
	"testing"
)

// FuzzMaskCmd checks that a PASS or ACCT command, in any letter case,
// after any leading blanks and with a space or tab after the verb, loses
// its whole argument in records and hooks (logCmd) and in errors
// (maskCmd), whatever the argument holds.
func FuzzMaskCmd(f *testing.F) {
	f.Add(uint8(0), "", uint8(0), "secret")
	f.Add(uint8(1), " \t", uint8(1), "two words")
	f.Add(uint8(5), "  ", uint8(0), "")
	f.Add(uint8(7), "", uint8(1), "PASS ****")
	verbs := []string{"PASS", "pass", "Pass", "pASs", "ACCT", "acct", "Acct", "aCcT"}
	f.Fuzz(func(t *testing.T, which uint8, lead string, sep uint8, arg string) {
		if strings.Trim(lead, " \t") != "" || strings.ContainsAny(arg, "\r\n") {
			t.Skip()
		}
		verb := verbs[int(which)%len(verbs)]
		line := lead + verb + string(" \t"[sep%2]) + arg
		if got, want := logCmd(line), strings.ToUpper(verb)+" ****"; got != want {
			t.Fatalf("logCmd(%q) = %q, want %q", line, got, want)
		}
		if got, want := maskCmd(line), verb+" ****"; got != want {
			t.Fatalf("maskCmd(%q) = %q, want %q", line, got, want)
		}
		if got, want := cmdError(newError(ErrPerm, "530 no"), line).Error(), "ftp: "+verb+" ****: 530 no"; got != want {
			t.Fatalf("error %q, want %q", got, want)
		}
	})
}
