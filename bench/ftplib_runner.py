"""Benchmark runner for Python's ftplib (standard library only).

Same jobs as the Go runners: get (RETR to a local file or /dev/null),
put (STOR from a local file) and small (RETR of N small files over one
connection), plain FTP or explicit FTPS with PROT P.
"""
import argparse
import ftplib
import json
import os
import ssl
import sys

BLOCK = 65536  # read/write size given to retrbinary/storbinary


def main():
    p = argparse.ArgumentParser()
    p.add_argument("-addr", default="127.0.0.1:2121")
    p.add_argument("-user", default="ftptest")
    p.add_argument("-pass", dest="password", default="")
    p.add_argument("-tls", action="store_true")
    p.add_argument("-ca", default="")
    p.add_argument("-op", default="get")
    p.add_argument("-remote", default="")
    p.add_argument("-local", default=os.devnull)
    p.add_argument("-n", type=int, default=200)
    a = p.parse_args()
    host, port = a.addr.rsplit(":", 1)
    if a.tls:
        ctx = ssl.create_default_context(cafile=a.ca or None)
        ftp = ftplib.FTP_TLS(context=ctx, timeout=60)
    else:
        ftp = ftplib.FTP(timeout=60)
    ftp.connect(host, int(port))
    ftp.login(a.user, a.password)
    if a.tls:
        ftp.prot_p()
    if a.op == "get":
        with open(a.local, "wb") as f:
            ftp.retrbinary("RETR " + a.remote, f.write, blocksize=BLOCK)
    elif a.op == "put":
        with open(a.local, "rb") as f:
            ftp.storbinary("STOR " + a.remote, f, blocksize=BLOCK)
    elif a.op == "small":
        with open(os.devnull, "wb") as f:
            for i in range(a.n):
                ftp.retrbinary("RETR %s/f%03d.bin" % (a.remote, i), f.write, blocksize=BLOCK)
    else:
        sys.exit("unknown op " + a.op)
    ftp.quit()
    print(json.dumps({"bytes": -1, "vmhwm": vmhwm()}))


def vmhwm():
    """Peak resident set size of this process in bytes, -1 if unknown."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return -1


if __name__ == "__main__":
    main()
