"""A one-service inetd for the interop tests (started by interop/servers.sh).

Listens on --host:--port and runs the command after "--" for every
connection, with the accepted socket as its standard input and output (as
inetd's "nowait" services get it), standard error inherited. The BSD-style
daemons (inetutils ftpd, netkit ftpd-ssl) run this way: their own daemon
modes bind every address and read the port from /etc/services.

Children stay in the listener's process group, so servers.sh's "down"
(a signal to the group) stops the sessions too.
"""

import argparse
import os
import signal
import socket
import sys


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("cmd", nargs=argparse.REMAINDER)
    a = p.parse_args()
    cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
    if not cmd:
        p.error("no command after --")

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children reaped by the kernel
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.host, a.port))
    ls.listen(128)
    print("inetd: %s:%d -> %s" % (a.host, a.port, " ".join(cmd)), file=sys.stderr, flush=True)
    while True:
        try:
            conn, _ = ls.accept()
        except InterruptedError:
            continue
        pid = os.fork()
        if pid == 0:
            try:
                ls.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                os.dup2(conn.fileno(), 0)
                os.dup2(conn.fileno(), 1)
                conn.close()
                os.execv(cmd[0], cmd)
            finally:
                os._exit(127)
        conn.close()


if __name__ == "__main__":
    main()
