#!/usr/bin/env bash
# mirror_rss.sh: peak memory (RSS) of `ftplib mirror` on a large tree
# (issue 17: 1 GiB in 10,000 files on loopback, under 64 MiB).
#
#   bash bench/mirror_rss.sh [DIRS FILES_PER_DIR FILE_BYTES]   (as root)
#
# Default: 100 directories of 100 files of 107,374 bytes (1 GiB in all).
# It builds the tree in the home of the running interop vsftpd-plain
# (interop/servers.env: FTP_INTEROP_VSFTPD_PLAIN, FTP_INTEROP_HOMES),
# runs `ftplib mirror --parallel 8` under /usr/bin/time -v to download it
# into a fresh directory under $RSS_WORK (default /tmp/mirror-rss), then
# `ftplib mirror -R` to upload that copy to a new remote directory, and
# prints the peak RSS ("Maximum resident set size") and the wall time of
# each, with a check that the copies are identical (diff -r). It holds
# /tmp/interop.lock while the extra directories exist (other interop runs
# wait), and removes the trees, local and remote, when it ends.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC1091
. "$HERE/../interop/servers.env"
DIRS=${1:-100} PER=${2:-100} BYTES=${3:-107374}
WORK=${RSS_WORK:-/tmp/mirror-rss}
ADDR=$FTP_INTEROP_VSFTPD_PLAIN
HOME_DIR=$FTP_INTEROP_HOMES/vsftpd-plain
SRC=rss-src-$$ DST=rss-up-$$

exec 8>/tmp/interop.lock
flock 8
cleanup() { rm -rf "$WORK" "${HOME_DIR:?}/$SRC" "${HOME_DIR:?}/$DST"; }
trap cleanup EXIT
need=$(( DIRS * PER * BYTES * 3 / 1024 / 1024 + 100 ))
avail=$(df -Pm /tmp | awk 'NR==2 {print $4}')
[ "$avail" -gt "$need" ] || { echo "mirror_rss.sh: $need MiB needed in /tmp, $avail free" >&2; exit 1; }

mkdir -p "$WORK/bin"
(cd "$HERE/.." && go build -o "$WORK/bin/" ./cmd/ftplib)
echo "[rss] building $DIRS x $PER files of $BYTES bytes in $HOME_DIR/$SRC"
python3 - "$HOME_DIR/$SRC" "$DIRS" "$PER" "$BYTES" <<'EOF'
import os, random, sys
root, dirs, per, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
block = random.Random(17).randbytes(size + 4096)
for d in range(dirs):
    p = os.path.join(root, "d%03d" % d)
    os.makedirs(p, exist_ok=True)
    for f in range(per):
        with open(os.path.join(p, "f%03d.bin" % f), "wb") as fh:
            off = (d * per + f) % 4096
            fh.write(block[off:off + size])
EOF
chown -R ftptest:ftptest "$HOME_DIR/$SRC"
mkdir -p "$HOME_DIR/$DST" && chown ftptest:ftptest "$HOME_DIR/$DST"

run() { # label, then the ftplib arguments
	local label=$1; shift
	local log="$WORK/time-$label.txt"
	FTP_USER=$FTP_INTEROP_USER FTP_PASSWORD=$FTP_INTEROP_PASS \
		/usr/bin/time -v "$WORK/bin/ftplib" mirror --parallel 8 "$@" 2>"$log" >/dev/null || { cat "$log" >&2; exit 1; }
	local rss wall
	rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log")
	printf '[rss] %-9s peak RSS %6.1f MiB, wall %s\n' "$label" "$(echo "$rss / 1024" | bc -l)" "$wall"
}
run download "ftp://$ADDR/$SRC" "$WORK/down"
diff -r "$HOME_DIR/$SRC" "$WORK/down" >/dev/null && echo "[rss] download identical"
run upload -R "ftp://$ADDR/$DST" "$WORK/down"
diff -r "$WORK/down" "$HOME_DIR/$DST" >/dev/null && echo "[rss] upload identical"
run download-2 "ftp://$ADDR/$SRC" "$WORK/down"
echo "[rss] (download-2: the same mirror again, nothing changed)"
