"""Twisted's FTP server for the interop tests (started by interop/servers.sh).

Runs under Debian's /usr/bin/python3 (python3-twisted) as the unprivileged
test user. One user, whose password is read from the environment
(TWISTEDFTP_PASS, so it is not on the command line) and checked by a
credentials checker of its own; no anonymous access. The user's shell is
Twisted's FTPShell rooted at --root.
"""

import argparse
import hmac
import os
import sys

from twisted.cred import credentials, error
from twisted.cred.checkers import ICredentialsChecker
from twisted.cred.portal import Portal
from twisted.internet import defer, reactor
from twisted.protocols import ftp
from twisted.python import filepath, log
from zope.interface import implementer


@implementer(ICredentialsChecker)
class OneUser:
    """Accepts one user name and password, refuses everything else."""

    credentialInterfaces = (credentials.IUsernamePassword,)

    def __init__(self, user, password):
        self.user = user.encode()
        self.password = password.encode()

    def requestAvatarId(self, creds):
        user, password = _bytes(creds.username), _bytes(creds.password)
        ok_user = hmac.compare_digest(user, self.user)
        ok_pass = hmac.compare_digest(password, self.password)
        if ok_user and ok_pass:
            return defer.succeed(user.decode())
        return defer.fail(error.UnauthorizedLogin())


def _bytes(s):
    """Twisted hands the user name as str, the password as bytes."""
    return s.encode("utf-8", "surrogateescape") if isinstance(s, str) else s


class UTF8FTP(ftp.FTP):
    """Twisted's FTP protocol reading and writing names as UTF-8.

    Its default, latin-1, turns every non-ASCII name a UTF-8 client sends
    into another name on disk (each byte becomes a character).
    """

    _encoding = "utf-8"


class Realm(ftp.BaseFTPRealm):
    """Every authenticated user gets the same root."""

    def __init__(self, root):
        super().__init__(root)
        self.root = filepath.FilePath(root)

    def getHomeDirectory(self, avatarId):
        return self.root


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--root", required=True)
    p.add_argument("--passive", required=True, help="first:last")
    a = p.parse_args()
    password = os.environ.get("TWISTEDFTP_PASS")
    if not password:
        sys.exit("TWISTEDFTP_PASS is not set")

    portal = Portal(Realm(a.root), [OneUser(a.user, password)])
    factory = ftp.FTPFactory(portal)
    factory.protocol = UTF8FTP
    factory.allowAnonymous = False
    factory.welcomeMessage = "Twisted interop server ready."
    first, last = (int(x) for x in a.passive.split(":"))
    factory.passivePortRange = range(first, last + 1)
    log.startLogging(sys.stderr)
    reactor.listenTCP(a.port, factory, interface=a.host)
    reactor.run()


if __name__ == "__main__":
    main()
