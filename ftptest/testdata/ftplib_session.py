"""Drives an ftptest server with Python's ftplib; prints results as JSON.

Usage: ftplib_session.py HOST PORT MODE CAFILE
MODE: plain | tls | tls-reuse | tls-stock
"""
import ftplib
import io
import json
import ssl
import sys


class ReuseFTP_TLS(ftplib.FTP_TLS):
    """FTP_TLS whose data connections resume the control session."""

    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(
                conn, server_hostname=self.host, session=self.sock.session)
        return conn, size


def main():
    host, port, mode, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    out = {}
    if mode == "plain":
        ftp = ftplib.FTP(timeout=10)
    else:
        ctx = ssl.create_default_context(cafile=cafile)
        cls = ReuseFTP_TLS if mode == "tls-reuse" else ftplib.FTP_TLS
        ftp = cls(context=ctx, timeout=10)
    out["welcome"] = ftp.connect(host, port)
    out["login"] = ftp.login("user", "pass")
    if mode != "plain":
        out["prot"] = ftp.prot_p()
    if mode == "tls-stock":
        try:
            ftp.retrbinary("RETR hello.bin", lambda b: None)
            out["error"] = "no error"
        except ftplib.error_perm as e:
            out["error"] = str(e)
        try:
            ftp.voidcmd("NOOP")
            out["after"] = "alive"
        except (EOFError, OSError) as e:
            out["after"] = type(e).__name__
        ftp.close()
        print(json.dumps(out))
        return

    out["pwd"] = ftp.pwd()
    buf = io.BytesIO()
    out["retr_reply"] = ftp.retrbinary("RETR hello.bin", buf.write, blocksize=1000)
    out["retr"] = buf.getvalue().hex()
    payload = bytes(range(256)) * 1000
    out["stor_reply"] = ftp.storbinary("STOR up load.bin", io.BytesIO(payload))
    out["size"] = ftp.size("up load.bin")
    out["mlsd"] = sorted([name, facts] for name, facts in ftp.mlsd(facts=["type", "size"]))
    out["nlst"] = ftp.nlst()
    out["rename"] = ftp.rename("up load.bin", "renamed ü;x.bin")
    lines = []
    ftp.retrlines("LIST", lines.append)
    out["list"] = lines
    ftp.storlines("STOR text.txt", io.BytesIO(b"a\nb\r\nc\n"))
    lines = []
    ftp.retrlines("RETR text.txt", lines.append)
    out["retrlines"] = lines
    out["mkd"] = ftp.mkd('new "dir"')
    ftp.cwd('new "dir"')
    out["pwd2"] = ftp.pwd()
    ftp.cwd("..")
    ftp.rmd('new "dir"')
    out["delete"] = ftp.delete("renamed ü;x.bin")
    ftp.set_pasv(False)
    buf = io.BytesIO()
    ftp.retrbinary("RETR hello.bin", buf.write)
    out["retr_active"] = buf.getvalue().hex()
    ftp.storbinary("APPE text.txt", io.BytesIO(b"tail"))
    out["quit"] = ftp.quit()
    print(json.dumps(out))


main()
