#!/usr/bin/env bash
# rtt.sh: the latency benchmark (round trips per file under a real RTT).
#
#   bash bench/rtt.sh [-runs N] [-files N] [-clients ours,jlaffaye,ftplib,lftp]
#                     [-servers plain,ftps] [-label TEXT] [RTT_MS ...]   (as root; default RTTs: 10 50)
#
# For each RTT it runs ../shared/tools/rttlink/rttlink.sh up RTT (namespaces
# ftpsrv 10.200.0.1 and ftpcli 10.200.0.2), starts two vsftpd of its own in
# ftpsrv (plain on 10.200.0.1:2221, explicit FTPS with require_ssl_reuse on
# :2222; configs, tree, certificate and logs under $RTT_WORK), runs the
# driver (cmd/rttbench) in ftpcli, stops both vsftpd (by PID) and takes the
# link down. The driver appends its samples to rtt.json and rewrites the
# latency section of RESULTS.md. The servers of interop/ (127.0.0.1) are
# not touched. It holds /tmp/rttlink.lock while it runs (waiting for it if
# another benchmark has it). Needs vsftpd, openssl, go; python3 and lftp when those
# clients are asked for; the PAM service and user that interop/servers.sh
# up creates (ftp-interop, ftptest).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RTTLINK=${RTTLINK:-$HERE/../../shared/tools/rttlink/rttlink.sh}
WORK=${RTT_WORK:-/tmp/rttbench}
USER_NAME=${RTT_USER:-ftptest}
PASS=${RTT_PASS:-ftptest-interop}
PAM=${RTT_PAM:-ftp-interop}
SRV_IP=10.200.0.1

args=() rtts=()
while [ $# -gt 0 ]; do
	case $1 in
	-runs | -files | -clients | -servers | -label) args+=("$1" "$2"); shift 2 ;;
	-*) echo "rtt.sh: unknown flag $1" >&2; exit 2 ;;
	*) rtts+=("$1"); shift ;;
	esac
done
[ ${#rtts[@]} -gt 0 ] || rtts=(10 50)

# rttlink is one shared pair of namespaces: hold /tmp/rttlink.lock (waiting
# for another benchmark to finish) until this script exits. Long-lived
# children (tundelay, vsftpd) get the descriptor closed (9>&-), so the lock
# ends with this script.
exec 9>/tmp/rttlink.lock
if ! flock -n 9; then
	echo "[rtt] waiting for /tmp/rttlink.lock (another benchmark uses rttlink)"
	flock 9
fi

[ -x "$RTTLINK" ] || [ -f "$RTTLINK" ] || { echo "rtt.sh: no rttlink at $RTTLINK (set RTTLINK)" >&2; exit 1; }
id "$USER_NAME" >/dev/null || { echo "rtt.sh: user $USER_NAME missing (interop/servers.sh up creates it)" >&2; exit 1; }

mkdir -p "$WORK/bin" "$WORK/empty" "$WORK/home/small" "$WORK/tls"
chmod 755 "$WORK" "$WORK/empty" "$WORK/home" "$WORK/home/small"

# The tree: 200 (or more) files of about 20 bytes, readable by the user.
for i in $(seq 0 999); do
	f=$(printf '%s/home/small/f%03d.bin' "$WORK" "$i")
	[ -e "$f" ] || printf 'small file %03d ok\n' "$i" >"$f"
done
chmod 644 "$WORK"/home/small/*

# A certificate for 10.200.0.1, self-signed (the clients trust it as CA).
if [ ! -s "$WORK/tls/cert.pem" ]; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
		-subj "/CN=$SRV_IP" -addext "subjectAltName=IP:$SRV_IP" \
		-keyout "$WORK/tls/key.pem" -out "$WORK/tls/cert.pem" 2>/dev/null
fi

conf() { # conf NAME PORT PASV_MIN TLS(YES|NO)
	cat >"$WORK/$1.conf" <<EOF
listen=YES
listen_ipv6=NO
listen_address=$SRV_IP
listen_port=$2
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=NO
local_root=$WORK/home
chroot_local_user=YES
pasv_enable=YES
pasv_min_port=$3
pasv_max_port=$(($3 + 99))
port_enable=YES
seccomp_sandbox=NO
pam_service_name=$PAM
secure_chroot_dir=$WORK/empty
nopriv_user=nobody
xferlog_enable=NO
vsftpd_log_file=$WORK/$1.log
EOF
	if [ "$4" = YES ]; then
		cat >>"$WORK/$1.conf" <<EOF
ssl_enable=YES
rsa_cert_file=$WORK/tls/cert.pem
rsa_private_key_file=$WORK/tls/key.pem
ssl_ciphers=HIGH
force_local_logins_ssl=YES
force_local_data_ssl=YES
require_ssl_reuse=YES
EOF
	fi
}
conf vsftpd-plain 2221 40000 NO
conf vsftpd-ftps 2222 40200 YES

echo "[rtt] building the runners"
(cd "$HERE" && go build -o "$WORK/bin/" ./cmd/ours ./cmd/jlaffaye ./cmd/rttbench)
commit=$(cd "$HERE" && git rev-parse --short HEAD)
if [ -n "${RTT_OURS_REV:-}" ]; then
	# Measure this library as of another commit (a baseline): its tree,
	# exported, with this bench's runner.
	commit=$(cd "$HERE" && git rev-parse --short "$RTT_OURS_REV")
	src="$WORK/src-$commit"
	rm -rf "$src"; mkdir -p "$src"
	(cd "$HERE/.." && git archive "$commit" | tar -x -C "$src")
	rm -rf "$src/bench"; cp -r "$HERE" "$src/bench"
	(cd "$src/bench" && go build -o "$WORK/bin/" ./cmd/ours)
fi

pids=()
stop_servers() {
	for p in "${pids[@]}"; do
		if [ "$(readlink "/proc/$p/exe" 2>/dev/null)" = /usr/sbin/vsftpd ]; then kill "$p" 2>/dev/null || true; fi
	done
	for p in "${pids[@]}"; do
		for _ in $(seq 1 20); do [ -d "/proc/$p" ] || break; sleep 0.1; done
	done
	pids=()
}
cleanup() { stop_servers; bash "$RTTLINK" down >/dev/null 2>&1 9>&- || true; }
trap cleanup EXIT

for rtt in "${rtts[@]}"; do
	bash "$RTTLINK" up "$rtt" 9>&-
	for name in vsftpd-plain vsftpd-ftps; do
		setsid ip netns exec ftpsrv /usr/sbin/vsftpd "$WORK/$name.conf" </dev/null >>"$WORK/$name.out" 2>&1 9>&- &
		pids+=($!)
	done
	sleep 0.5
	ip netns exec ftpcli "$WORK/bin/rttbench" -bin "$WORK/bin" -python "$(command -v python3 || true)" \
		-runner "$HERE/ftplib_runner.py" -ca "$WORK/tls/cert.pem" -user "$USER_NAME" -pass "$PASS" \
		-rtt "$rtt" -json "$HERE/rtt.json" -md "$HERE/RESULTS.md" -commit "$commit" \
		${args[@]+"${args[@]}"}
	stop_servers
done
