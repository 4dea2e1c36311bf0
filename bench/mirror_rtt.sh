#!/usr/bin/env bash
# mirror_rtt.sh: `ftplib mirror --parallel 8` against `lftp mirror --parallel=8`
# under a real RTT (issue 17).
#
#   bash bench/mirror_rtt.sh [-runs N] [-trace] [RTT_MS ...]   (as root; default RTTs: 10 50)
#
# For each RTT it runs ../shared/tools/rttlink/rttlink.sh up RTT (namespaces
# ftpsrv 10.200.0.1 and ftpcli 10.200.0.2), starts a vsftpd of its own in
# ftpsrv (plain, 10.200.0.1:2231, serving 200 files of about 20 bytes;
# config, tree and logs under $MIRROR_WORK), runs the driver
# (cmd/mirrorbench) in ftpcli, stops that vsftpd (by PID) and takes the link
# down. The driver appends to mirror.json and rewrites the mirror section of
# RESULTS.md. With -trace it runs cmd/mirrortrace instead (a first and a
# second mirror, twice): when each connection logged in and what commands
# each sent, to see where the time goes (TRACE_FLAGS=-v prints every
# command and reply). It waits for /tmp/rttlink.lock (another benchmark
# using the link) and holds it while it runs; it refuses to start while the
# link is up anyway. Needs vsftpd, go,
# lftp, and the PAM service and user that interop/servers.sh up creates.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RTTLINK=${RTTLINK:-$HERE/../../shared/tools/rttlink/rttlink.sh}
WORK=${MIRROR_WORK:-/tmp/mirrorbench}
USER_NAME=${RTT_USER:-ftptest}
PASS=${RTT_PASS:-ftptest-interop}
PAM=${RTT_PAM:-ftp-interop}
SRV_IP=10.200.0.1

runs=5 rtts=() trace=
while [ $# -gt 0 ]; do
	case $1 in
	-runs) runs=$2; shift 2 ;;
	-trace) trace=1; shift ;;
	-*) echo "mirror_rtt.sh: unknown flag $1" >&2; exit 2 ;;
	*) rtts+=("$1"); shift ;;
	esac
done
[ ${#rtts[@]} -gt 0 ] || rtts=(10 50)

exec 9>/tmp/rttlink.lock
flock -w 3600 9 || { echo "mirror_rtt.sh: /tmp/rttlink.lock is held" >&2; exit 1; }
if ip netns list 2>/dev/null | grep -qE '^(ftpsrv|ftpcli)\b'; then
	echo "mirror_rtt.sh: the rttlink namespaces exist: another benchmark is running" >&2
	exit 1
fi
id "$USER_NAME" >/dev/null

mkdir -p "$WORK/bin" "$WORK/empty" "$WORK/home/mirror200"
chmod 755 "$WORK" "$WORK/empty" "$WORK/home" "$WORK/home/mirror200"
for i in $(seq 0 199); do
	f=$(printf '%s/home/mirror200/f%03d.bin' "$WORK" "$i")
	[ -e "$f" ] || printf 'small file %03d ok\n' "$i" >"$f"
done
chmod 644 "$WORK"/home/mirror200/*

cat >"$WORK/vsftpd.conf" <<EOF
listen=YES
listen_ipv6=NO
listen_address=$SRV_IP
listen_port=2231
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=NO
local_root=$WORK/home
chroot_local_user=YES
pasv_enable=YES
pasv_min_port=40400
pasv_max_port=40499
seccomp_sandbox=NO
pam_service_name=$PAM
secure_chroot_dir=$WORK/empty
nopriv_user=nobody
xferlog_enable=NO
vsftpd_log_file=$WORK/vsftpd.log
EOF

echo "[mirror] building ftplib and the driver"
(cd "$HERE/.." && go build -o "$WORK/bin/" ./cmd/ftplib)
(cd "$HERE" && go build -o "$WORK/bin/" ./cmd/mirrorbench ./cmd/mirrortrace)
commit=$(cd "$HERE" && git rev-parse --short HEAD)

pid=
stop_server() {
	if [ -n "$pid" ] && [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = /usr/sbin/vsftpd ]; then
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 1 20); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
	fi
	pid=
}
cleanup() { stop_server; bash "$RTTLINK" down >/dev/null 2>&1 || true; }
trap cleanup EXIT

for rtt in "${rtts[@]}"; do
	bash "$RTTLINK" up "$rtt"
	setsid ip netns exec ftpsrv /usr/sbin/vsftpd "$WORK/vsftpd.conf" </dev/null >>"$WORK/vsftpd.out" 2>&1 &
	pid=$!
	sleep 0.5
	if [ -n "$trace" ]; then
		for n in 1 2; do
			rm -rf "$WORK/trace"
			for pass in first second; do
				echo "[mirror] trace $rtt ms, $pass run"
				ip netns exec ftpcli "$WORK/bin/mirrortrace" -addr "$SRV_IP:2231" -user "$USER_NAME" \
					-pass "$PASS" -dir mirror200 -local "$WORK/trace" -parallel 8 ${TRACE_FLAGS:-}
			done
		done
		rm -rf "$WORK/trace"
		for pass in first second; do
			ip netns exec ftpcli /usr/bin/time -f "[mirror] ftplib mirror ($pass run): %e s wall" \
				env FTP_USER="$USER_NAME" FTP_PASSWORD="$PASS" "$WORK/bin/ftplib" mirror --parallel 8 \
				"ftp://$SRV_IP:2231/mirror200" "$WORK/trace" >/dev/null
		done
		rm -rf "$WORK/trace"
		stop_server
		bash "$RTTLINK" down
		continue
	fi
	ip netns exec ftpcli "$WORK/bin/mirrorbench" -ftplib "$WORK/bin/ftplib" -addr "$SRV_IP:2231" \
		-user "$USER_NAME" -pass "$PASS" -runs "$runs" -rtt "$rtt" \
		-json "$HERE/mirror.json" -md "$HERE/RESULTS.md" -commit "$commit"
	stop_server
	bash "$RTTLINK" down
done
