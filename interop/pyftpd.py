"""pyftpdlib server for the interop tests (started by interop/servers.sh).

Runs under Debian's /usr/bin/python3 (python3-pyftpdlib, and python3-openssl
for --tls), as the unprivileged test user, with one virtual user rooted at
the given directory.
"""

import argparse
import logging
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--root", required=True)
    p.add_argument("--passive", required=True, help="first:last")
    p.add_argument("--tls", action="store_true", help="use TLS_FTPHandler")
    p.add_argument("--cert")
    p.add_argument("--key")
    a = p.parse_args()

    auth = DummyAuthorizer()
    # e: CWD, l: LIST, r: RETR, a: APPE, d: DELE/RMD, f: RNFR/RNTO,
    # m: MKD, w: STOR/STOU, M: SITE CHMOD, T: MFMT.
    auth.add_user(a.user, a.password, a.root, perm="elradfmwMT")

    if a.tls:
        from pyftpdlib.handlers import TLS_FTPHandler

        handler = TLS_FTPHandler
        handler.certfile = a.cert
        handler.keyfile = a.key
        handler.tls_control_required = False
        handler.tls_data_required = False
    else:
        handler = FTPHandler
    handler.authorizer = auth
    first, last = (int(x) for x in a.passive.split(":"))
    handler.passive_ports = range(first, last + 1)
    handler.banner = "pyftpdlib interop server ready."

    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s %(message)s")
    server = FTPServer((a.host, a.port), handler)
    server.max_cons = 256
    server.max_cons_per_ip = 0
    server.serve_forever()


if __name__ == "__main__":
    main()
