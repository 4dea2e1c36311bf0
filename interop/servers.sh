#!/usr/bin/env bash
# Real FTP servers for the interop tests, side by side on 127.0.0.1.
#
#   interop/servers.sh up [NAME...]      install (if needed), configure, (re)start, wait for 220
#   interop/servers.sh down [NAME...]    stop what this script started
#   interop/servers.sh status [NAME...]  which ports answer 220
#   interop/servers.sh check             end-to-end checks with curl and Python ftplib (PASS/FAIL)
#
# Runs as root on Debian 12, without systemd. Idempotent: "up" twice leaves
# one instance of each server and resets every server's file tree. With
# NAMEs (from SERVERS below), only those servers are stopped, reset and
# started: the others keep running with their trees untouched.
# vsftpd is apt-installed; proftpd, pure-ftpd, inetutils ftpd and netkit
# ftpd-ssl (which conflict with it as Debian packages) are unpacked with
# dpkg-deb into $FTPI_PREFIX; ftp-srv comes from the npm registry
# (interop/ftpsrv/package-lock.json), Twisted is apt-installed.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY=/usr/bin/python3 # Debian's interpreter: pyftpdlib is installed for it only.

FTPI_PREFIX="${FTPI_PREFIX:-/opt/ftp-interop}"     # unpacked proftpd + pure-ftpd
FTPI_STATE="${FTPI_STATE:-/var/lib/ftp-interop}"   # config, pids, logs, TLS
FTPI_HOMES="${FTPI_HOMES:-/srv/ftptest}"           # one tree per server
FTPI_BIG="${FTPI_BIG:-0}"                          # 1: add random-100MiB.bin to each tree

FTP_USER=ftptest
FTP_PASS=ftptest-interop
PAM_SERVICE=ftp-interop
HOST=127.0.0.1

PKGROOT="$FTPI_PREFIX/root"
DEBDIR="$FTPI_PREFIX/debs"
BSDROOT="$FTPI_PREFIX/bsd" # inetutils ftpd and netkit ftpd-ssl (own root: adding
BSDDEBS="$FTPI_PREFIX/debs-bsd" # them never re-unpacks the running proftpd)
NODEDIR="$FTPI_PREFIX/ftpsrv"      # ftp-srv from the npm registry (npm ci)
CONF="$FTPI_STATE/conf"
RUN="$FTPI_STATE/run"
LOG="$FTPI_STATE/log"
TLS="$FTPI_STATE/tls"
SEED="$FTPI_STATE/seed"
EMPTY="$FTPI_STATE/empty"
ENVFILE="$HERE/servers.env"

# name port first-passive-port (each server gets 200 passive ports: pure-ftpd
# caps its client count at half its range; 0: the server takes passive
# ports from the kernel, it has no setting for a range).
SERVERS=(
	"vsftpd-plain    2121 30000"
	"vsftpd-explicit 2122 30200"
	"vsftpd-implicit 2123 30400"
	"proftpd         2131 30600"
	"pure-ftpd       2141 30800"
	"pyftpdlib-plain 2151 31000"
	"pyftpdlib-tls   2152 31200"
	"inetutils-ftpd  2161 0"
	"netkit-ftpd     2171 0"
	"twisted         2191 31800"
)
# Started only when named ("up ftp-srv"): not in the interop tests yet
# (MATRIX.md says why); "down" without names stops them too.
EXTRA_SERVERS=(
	"ftp-srv         2181 31400"
	"ftp-srv-implicit 2182 31600"
)
PASV_SPAN=200

log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

need_root() { [ "$(id -u)" = 0 ] || die "run as root"; }

# --- packages ---------------------------------------------------------------

APT_PKGS=(vsftpd python3-pyftpdlib python3-openssl python3-twisted openssl curl ca-certificates)
DL_PKGS=(proftpd-core proftpd-mod-crypto pure-ftpd pure-ftpd-common)
BSD_PKGS=(inetutils-ftpd ftpd-ssl)

pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'; }

apt_install() {
	local missing=() p
	for p in "$@"; do pkg_installed "$p" || missing+=("$p"); done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "apt-get install ${missing[*]}"
	apt_update_once
	# No init system: keep maintainer scripts from starting the Debian
	# vsftpd service on port 21 (only if the machine has no policy yet).
	local policy=/usr/sbin/policy-rc.d made_policy=0
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod 755 "$policy"; made_policy=1
	fi
	local ok=0
	for _ in 1 2; do
		if DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			"${missing[@]}" >>"$LOG/apt.log" 2>&1; then
			ok=1; break
		fi
		APT_UPDATED=0; apt_update_once force # stale lists: the mirror may have moved on
	done
	[ $made_policy = 1 ] && rm -f "$policy"
	[ $ok = 1 ] || { tail -20 "$LOG/apt.log" >&2; die "apt-get install failed (log: $LOG/apt.log)"; }
	return 0
}

APT_UPDATED=0
apt_update_once() { # [force]
	[ $APT_UPDATED = 1 ] && return 0
	# A fresh machine has empty lists; refresh them if older than an hour.
	if [ "${1:-}" = force ] ||
		[ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -60 2>/dev/null | head -1)" ]; then
		log "apt-get update"
		apt-get update -q >>"$LOG/apt.log" 2>&1 || { tail -5 "$LOG/apt.log" >&2; die "apt-get update failed"; }
	fi
	APT_UPDATED=1
}

# Library dependencies of the unpacked packages, read from their control files.
deb_lib_deps() { # debdir...
	local dir d
	for dir in "$@"; do
		for d in "$dir"/*.deb; do dpkg-deb -f "$d" Depends; done
	done | tr ',' '\n' | sed -e 's/|.*//' -e 's/(.*)//' -e 's/[[:space:]]//g' | grep -E '^lib' | sort -u
}

# Downloads the packages into debdir and unpacks them into root, unless
# root already holds exactly these packages (a stamp file) and the files
# named after "--" exist.
unpack_debs() { # debdir root pkg... -- file...
	local debdir="$1" root="$2" pkgs=() files=() p have=1 want
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do pkgs+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	files=("$@")
	mkdir -p "$debdir" "$root"
	want="$(printf '%s\n' "${pkgs[@]}")"
	[ -f "$root/.unpacked" ] && [ "$(cat "$root/.unpacked")" = "$want" ] || have=0
	for p in "${files[@]}"; do [ -e "$root/$p" ] || have=0; done
	[ $have = 1 ] && return 0
	apt_update_once
	log "apt-get download ${pkgs[*]}"
	rm -f "$debdir"/*.deb
	# _apt must be able to write the download directory.
	chmod 777 "$debdir"
	if ! (cd "$debdir" && apt-get download -q "${pkgs[@]}" >>"$LOG/apt.log" 2>&1); then
		APT_UPDATED=0; apt_update_once force
		(cd "$debdir" && apt-get download -q "${pkgs[@]}" >>"$LOG/apt.log" 2>&1) ||
			{ tail -5 "$LOG/apt.log" >&2; die "apt-get download failed"; }
	fi
	chmod 755 "$debdir"
	rm -rf "$root"; mkdir -p "$root"
	for p in "$debdir"/*.deb; do dpkg-deb -x "$p" "$root"; done
	printf '%s\n' "$want" >"$root/.unpacked"
}

# ftp-srv, pinned by interop/ftpsrv/package-lock.json, installed with npm ci
# (the machine's Node.js; Debian's nodejs and npm if there is none).
install_ftpsrv() {
	command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm
	if [ -f "$NODEDIR/node_modules/ftp-srv/package.json" ] &&
		cmp -s "$HERE/ftpsrv/package-lock.json" "$NODEDIR/package-lock.json" &&
		cmp -s "$HERE/ftpsrv/package.json" "$NODEDIR/package.json"; then
		return 0
	fi
	log "npm ci (ftp-srv) in $NODEDIR"
	rm -rf "$NODEDIR"; mkdir -p "$NODEDIR"
	install -m 644 "$HERE/ftpsrv/package.json" "$HERE/ftpsrv/package-lock.json" "$NODEDIR/"
	(cd "$NODEDIR" && npm ci --omit=dev --no-audit --no-fund >>"$LOG/npm.log" 2>&1) ||
		{ tail -20 "$LOG/npm.log" >&2; die "npm ci failed (log: $LOG/npm.log)"; }
}

install_packages() {
	unpack_debs "$DEBDIR" "$PKGROOT" "${DL_PKGS[@]}" -- usr/sbin/proftpd usr/sbin/pure-ftpd
	unpack_debs "$BSDDEBS" "$BSDROOT" "${BSD_PKGS[@]}" -- usr/sbin/ftpd usr/sbin/in.ftpd
	# One apt-get run for everything (each run costs seconds of dpkg work).
	local libs
	mapfile -t libs < <(deb_lib_deps "$DEBDIR" "$BSDDEBS")
	apt_install "${APT_PKGS[@]}" "${libs[@]}"
	case " ${SEL[*]} " in *" ftp-srv"*) install_ftpsrv ;; esac
	# Fail early, with the reason, if a shared library is still missing.
	local bin
	for bin in "$PKGROOT/usr/sbin/proftpd" "$PKGROOT/usr/lib/proftpd/mod_tls.so" "$PKGROOT/usr/sbin/pure-ftpd" \
		"$BSDROOT/usr/sbin/ftpd" "$BSDROOT/usr/sbin/in.ftpd"; do
		if ldd "$bin" | grep -q 'not found'; then
			ldd "$bin" | grep 'not found' >&2; die "$bin: missing shared libraries"
		fi
	done
}

# --- user, TLS, trees -------------------------------------------------------

setup_user() {
	getent group "$FTP_USER" >/dev/null || groupadd --system "$FTP_USER"
	if ! getent passwd "$FTP_USER" >/dev/null; then
		useradd --system --gid "$FTP_USER" --home-dir "$FTPI_HOMES" --no-create-home \
			--shell /usr/sbin/nologin "$FTP_USER"
	fi
	echo "$FTP_USER:$FTP_PASS" | chpasswd
	mkdir -p "$FTPI_HOMES"; chmod 755 "$FTPI_HOMES"
	# Replaced only when it changed: running servers read it at each login.
	cmp -s "$HERE/conf/pam-ftp-interop" "/etc/pam.d/$PAM_SERVICE" ||
		install -m 644 "$HERE/conf/pam-ftp-interop" "/etc/pam.d/$PAM_SERVICE"
}

# A private CA and a server certificate for localhost and 127.0.0.1.
# Kept across runs while valid for at least 30 more days.
setup_tls() {
	mkdir -p "$TLS"; chmod 750 "$TLS"; chgrp "$FTP_USER" "$TLS"
	if [ -f "$TLS/ca.pem" ] && [ -f "$TLS/cert.pem" ] && [ -f "$TLS/key.pem" ] &&
		openssl x509 -checkend 2592000 -noout -in "$TLS/cert.pem" >/dev/null 2>&1; then
		:
	else
		log "creating CA and server certificate in $TLS"
		local t; t="$(mktemp -d)"
		openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
			-subj "/CN=ftp interop test CA" \
			-addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign" \
			-keyout "$t/ca.key" -out "$t/ca.pem" 2>/dev/null
		openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=localhost" \
			-keyout "$t/key.pem" -out "$t/req.csr" 2>/dev/null
		printf '%s\n' "basicConstraints=critical,CA:FALSE" \
			"keyUsage=critical,digitalSignature,keyEncipherment" \
			"extendedKeyUsage=serverAuth" \
			"subjectAltName=DNS:localhost,IP:127.0.0.1" \
			"subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" >"$t/ext"
		openssl x509 -req -in "$t/req.csr" -CA "$t/ca.pem" -CAkey "$t/ca.key" \
			-CAcreateserial -days 3650 -sha256 -extfile "$t/ext" -out "$t/cert.pem" 2>/dev/null
		install -m 644 "$t/ca.pem" "$TLS/ca.pem"
		install -m 644 "$t/cert.pem" "$TLS/cert.pem"
		install -m 640 -g "$FTP_USER" "$t/key.pem" "$TLS/key.pem"
		rm -rf "$t"
	fi
	# pure-ftpd wants key and certificate in one file (renamed into place:
	# a running pure-ftpd may be reading it).
	(umask 077; cat "$TLS/key.pem" "$TLS/cert.pem" >"$TLS/pure-ftpd.pem.tmp")
	mv -f "$TLS/pure-ftpd.pem.tmp" "$TLS/pure-ftpd.pem"
}

# The initial tree, built once per "up" into $SEED and copied to each home.
make_seed() {
	rm -rf "$SEED"; mkdir -p "$SEED"
	"$PY" - "$SEED" "$FTPI_BIG" <<'EOF'
import os, random, sys
root, big = sys.argv[1], sys.argv[2] == "1"
def w(rel, data):
    p = os.path.join(root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data)
rng = random.Random(20240102)            # same bytes on every machine
w("random-1MiB.bin", rng.randbytes(1 << 20))
if big:
    w("random-100MiB.bin", random.Random(100).randbytes(100 << 20))
w("empty.bin", b"")
w("crlf.txt", b"".join(b"crlf line %03d of 50 ...\r\n" % i for i in range(1, 51))[:700])
w("file with spaces.txt", b"a file whose name contains spaces\n")
w("naïve-日本.txt", "UTF-8 name: naïve 日本\n".encode())
for i in range(1, 9):
    w("tree/f%03d.txt" % i, b"tree f%03d\n" % i)
for s in (1, 2):
    for i in range(1, 17):
        w("tree/sub-%d/f%03d.txt" % (s, i), b"sub-%d file f%03d\n" % (s, i))
    for d in (1, 2):
        w("tree/sub-%d/deep-%d/leaf.txt" % (s, d), b"deep leaf %d.%d\n" % (s, d))
EOF
	find "$SEED" -type d -exec chmod 755 {} + ; find "$SEED" -type f -exec chmod 644 {} +
	find "$SEED" -depth -exec touch -h -d '2024-01-02 03:04:05 UTC' {} +
}

reset_home() { # name
	local home="$FTPI_HOMES/$1"
	rm -rf "$home"
	cp -a "$SEED" "$home"
	chown -R "$FTP_USER:$FTP_USER" "$home"
	case "$1" in inetutils-ftpd | netkit-ftpd) add_chroot_ls "$home" ;; esac
	touch -h -d '2024-01-02 03:04:05 UTC' "$home"
}

# --- configuration ----------------------------------------------------------

render() { # template output KEY=VALUE...
	local tmpl="$1" out="$2" args=() kv; shift 2
	for kv in "$@"; do args+=(-e "s|@${kv%%=*}@|${kv#*=}|g"); done
	sed "${args[@]}" "$tmpl" >"$out"
	if grep -n '@[A-Z_]*@' "$out" >&2; then die "$out: unreplaced placeholders"; fi
}

write_config() { # name port pmin pmax
	local name="$1" port="$2" pmin="$3" pmax="$4" common
	common=(NAME="$name" PORT="$port" PASV_MIN="$pmin" PASV_MAX="$pmax" HOME="$FTPI_HOMES/$name"
		LOG="$LOG/$name.log" LOG_DIR="$LOG" RUN_DIR="$RUN" CERT="$TLS/cert.pem" KEY="$TLS/key.pem")
	case "$name" in
	vsftpd-*)
		render "$HERE/conf/vsftpd.conf.in" "$CONF/$name.conf" "${common[@]}" \
			PAM_SERVICE="$PAM_SERVICE" EMPTY_DIR="$EMPTY"
		case "$name" in
		vsftpd-explicit) render "$HERE/conf/vsftpd-tls.conf.in" "$CONF/$name.tls.tmp" "${common[@]}" IMPLICIT=NO ;;
		vsftpd-implicit) render "$HERE/conf/vsftpd-tls.conf.in" "$CONF/$name.tls.tmp" "${common[@]}" IMPLICIT=YES ;;
		*) : >"$CONF/$name.tls.tmp" ;;
		esac
		cat "$CONF/$name.tls.tmp" >>"$CONF/$name.conf"; rm -f "$CONF/$name.tls.tmp"
		chmod 644 "$CONF/$name.conf"
		;;
	proftpd)
		render "$HERE/conf/proftpd.conf.in" "$CONF/$name.conf" "${common[@]}" \
			MODULE_DIR="$PKGROOT/usr/lib/proftpd"
		chmod 644 "$CONF/$name.conf"
		;;
	pure-ftpd)
		# A virtual user (puredb) mapped to the ftptest uid, chrooted to
		# its tree; no PAM and no /etc/shells requirement. The passwd
		# line is written here with a SHA-512 crypt hash: pure-pw's
		# default argon2id hash makes every login take about 4 s on a
		# small VM. Built aside and renamed: a running pure-ftpd reads
		# the database at every login.
		local uid gid hash
		uid="$(id -u "$FTP_USER")"; gid="$(id -g "$FTP_USER")"
		hash="$(openssl passwd -6 "$FTP_PASS")"
		rm -f "$CONF/pure-ftpd.passwd" "$CONF/pure-ftpd.pdb.tmp"
		printf '%s:%s:%s:%s::%s/./::::::::::::\n' "$FTP_USER" "$hash" "$uid" "$gid" \
			"$FTPI_HOMES/pure-ftpd" >"$CONF/pure-ftpd.passwd"
		chmod 600 "$CONF/pure-ftpd.passwd"
		"$PKGROOT/usr/bin/pure-pw" mkdb "$CONF/pure-ftpd.pdb.tmp" -f "$CONF/pure-ftpd.passwd" >/dev/null
		mv -f "$CONF/pure-ftpd.pdb.tmp" "$CONF/pure-ftpd.pdb"
		;;
	pyftpdlib-*)
		install -m 644 "$HERE/pyftpd.py" "$CONF/pyftpd.py"
		;;
	twisted)
		install -m 644 "$HERE/twistedftp.py" "$CONF/twistedftp.py"
		;;
	ftp-srv*)
		install -m 644 "$HERE/ftpsrv/ftpsrv.js" "$NODEDIR/ftpsrv.js"
		;;
	inetutils-ftpd | netkit-ftpd)
		install -m 644 "$HERE/inetd.py" "$CONF/inetd.py"
		write_bsd_etc "$name"
		;;
	esac
}

# The BSD-style daemons read fixed paths in /etc: they run in a private
# mount namespace whose /etc is the real one with these files laid over it
# (a read-only overlay), so the machine's /etc is untouched:
# - passwd: ftptest's home is this server's tree ("ftpchroot" chroots the
#   user there, so PWD is /);
# - shells: with /usr/sbin/nologin, ftptest's shell (both ftpds refuse a
#   user whose shell getusershell does not list);
# - ftpchroot, ftpusers (empty: nobody is refused);
# - pam.d/ftp (netkit ftpd authenticates through PAM service "ftp"; inetutils
#   ftpd runs with "-a default": crypt(3) against /etc/shadow, no PAM).
write_bsd_etc() { # name
	local name="$1" etc="$CONF/$1-etc" home="$FTPI_HOMES/$1"
	rm -rf "$etc"; mkdir -p "$etc/pam.d"
	getent passwd | awk -F: -v OFS=: -v u="$FTP_USER" -v h="$home" '$1 == u { $6 = h } { print }' >"$etc/passwd"
	{ grep -v '^/usr/sbin/nologin$' /etc/shells; echo /usr/sbin/nologin; } >"$etc/shells"
	echo "$FTP_USER" >"$etc/ftpchroot"
	: >"$etc/ftpusers"
	install -m 644 "$HERE/conf/pam-netkit-ftpd" "$etc/pam.d/ftp"
	chmod -R go-w "$etc"
}

# The chrooted BSD daemons run /bin/ls for LIST inside the user's tree:
# /bin/ls and its libraries are copied there, owned by root (the FTP user
# cannot change them). They show in the root listing as bin, lib and lib64.
add_chroot_ls() { # home
	local home="$1" f
	for f in /bin/ls $(ldd /bin/ls | grep -o '/[^ ]*'); do
		install -D -m 755 -o root -g root "$f" "$home$f"
	done
}

# Sets CMD to the command line that starts server $1 in the foreground.
server_cmd() { # name port pmin pmax
	local name="$1" port="$2" pmin="$3" pmax="$4"
	case "$name" in
	vsftpd-*) CMD=(/usr/sbin/vsftpd "$CONF/$name.conf") ;;
	proftpd) CMD=("$PKGROOT/usr/sbin/proftpd" -n -c "$CONF/$name.conf") ;;
	pure-ftpd)
		# -Y 1: TLS optional; -2: key+cert file; -A: chroot everyone;
		# -E: no anonymous; -H: no DNS; -c/-C: client limits (<= half the range).
		CMD=("$PKGROOT/usr/sbin/pure-ftpd" -S "$HOST,$port" -4 -l "puredb:$CONF/pure-ftpd.pdb"
			-E -A -H -Y 1 -2 "$TLS/pure-ftpd.pem" -p "$pmin:$pmax" -c 90 -C 90 -d)
		;;
	pyftpdlib-*)
		CMD=(setpriv --reuid="$FTP_USER" --regid="$FTP_USER" --clear-groups
			"$PY" "$CONF/pyftpd.py" --host "$HOST" --port "$port" --user "$FTP_USER"
			--password "$FTP_PASS" --root "$FTPI_HOMES/$name" --passive "$pmin:$pmax")
		if [ "$name" = pyftpdlib-tls ]; then
			CMD+=(--tls --cert "$TLS/cert.pem" --key "$TLS/key.pem")
		fi
		;;
	twisted)
		CMD=(setpriv --reuid="$FTP_USER" --regid="$FTP_USER" --clear-groups
			env TWISTEDFTP_PASS="$FTP_PASS" "$PY" "$CONF/twistedftp.py" --host "$HOST" --port "$port"
			--user "$FTP_USER" --root "$FTPI_HOMES/$name" --passive "$pmin:$pmax")
		;;
	ftp-srv*)
		# Node's ftp-srv as ftptest; the password comes in the environment.
		CMD=(setpriv --reuid="$FTP_USER" --regid="$FTP_USER" --clear-groups
			env FTPSRV_PASS="$FTP_PASS" node "$NODEDIR/ftpsrv.js" --port "$port"
			--passive "$pmin:$pmax" --root "$FTPI_HOMES/$name" --user "$FTP_USER")
		# Implicit TLS: its AUTH TLS (explicit) loses a ClientHello sent
		# right after the 234 (see MATRIX.md).
		if [ "$name" = ftp-srv-implicit ]; then
			CMD+=(--implicit --cert "$TLS/cert.pem" --key "$TLS/key.pem")
		fi
		;;
	inetutils-ftpd | netkit-ftpd)
		# inetd.py runs one daemon per connection, inside a mount
		# namespace with this server's /etc overlay (write_bsd_etc).
		# inetutils: "-a default" authenticates with crypt(3), no PAM.
		# netkit: no options; its TLS cannot work (see MATRIX.md).
		local daemon=("$BSDROOT/usr/sbin/ftpd" -a default)
		[ "$name" = netkit-ftpd ] && daemon=("$BSDROOT/usr/sbin/in.ftpd")
		CMD=(unshare --mount --propagation private sh -c \
			'mount -t overlay overlay -o "lowerdir=$1:/etc" /etc && shift && exec "$@"' sh \
			"$CONF/$name-etc" "$PY" "$CONF/inetd.py" --host "$HOST" --port "$port" -- "${daemon[@]}")
		;;
	esac
}


# --- process control --------------------------------------------------------

# Which of the process groups given as arguments still have a live
# (non-zombie) member. Zombies count as gone: on some machines PID 1 reaps
# orphans only every second or two.
live_groups() { # pgid...
	local st rest state pgrp g
	declare -A want=() seen=()
	for g in "$@"; do want[$g]=1; done
	for st in /proc/[0-9]*/stat; do
		read -r rest 2>/dev/null <"$st" || continue
		rest="${rest##*) }"
		read -r state _ pgrp _ <<<"$rest"
		[ "$state" != Z ] && [ -n "${want[$pgrp]:-}" ] && seen[$pgrp]=1
	done
	for g in "${!seen[@]}"; do echo "$g"; done
}

proc_alive() { # pid
	local rest
	read -r rest 2>/dev/null <"/proc/$1/stat" || return 1
	rest="${rest##*) }"
	[ "${rest%% *}" != Z ]
}

pid_alive() { # pidfile -> prints pid if the recorded process still runs
	local pf="$1" pid
	[ -f "$pf" ] || return 1
	pid="$(cat "$pf" 2>/dev/null)"
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	proc_alive "$pid" || return 1
	echo "$pid"
}

start_one() { # name port pmin pmax
	local name="$1" CMD=()
	server_cmd "$@"
	: >"$LOG/$name.out"
	# Descriptors above 2 are closed first: a daemon must not inherit, and
	# hold for its lifetime, a lock such as flock(1)'s on /tmp/interop.lock.
	(
		for fd in /proc/$BASHPID/fd/*; do
			fd="${fd##*/}"
			[ "$fd" -gt 2 ] && eval "exec $fd>&-"
		done
		exec setsid "${CMD[@]}" </dev/null >>"$LOG/$name.out" 2>&1
	) &
	echo $! >"$RUN/$name.pid"
}

probe() { # name port [timeout] -> prints the first line of the 220 banner
	local args=(probe --port "$2" --cafile "$TLS/ca.pem" --timeout "${3:-2}")
	case "$1" in *-implicit) args+=(--implicit) ;; esac
	"$PY" "$HERE/ftpcheck.py" "${args[@]}"
}

wait_220() { # name port
	for _ in $(seq 100); do
		probe "$1" "$2" 1 >/dev/null 2>&1 && return 0
		if ! pid_alive "$RUN/$1.pid" >/dev/null; then
			log "$1: exited during start-up; last log lines:"; tail -15 "$LOG/$1.out" >&2
			return 1
		fi
		sleep 0.1
	done
	log "$1: no 220 on port $2 after 10 s"; tail -15 "$LOG/$1.out" >&2
	return 1
}

port_busy() { # port -> true if something accepts connections on it
	(exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

write_env() {
	local sha
	sha="$(sha256sum "$SEED/random-1MiB.bin" | cut -d' ' -f1)"
	{
		echo "# Written by interop/servers.sh up; source it or read it as KEY=VALUE lines."
		echo "FTP_INTEROP_HOST=$HOST"
		echo "FTP_INTEROP_USER=$FTP_USER"
		echo "FTP_INTEROP_PASS=$FTP_PASS"
		echo "FTP_INTEROP_CA=$TLS/ca.pem"
		echo "FTP_INTEROP_HOMES=$FTPI_HOMES"
		echo "FTP_INTEROP_RANDOM_1MIB_SHA256=$sha"
		local line name port pmin var
		for line in "${SERVERS[@]}" "${EXTRA_SERVERS[@]}"; do
			read -r name port pmin <<<"$line"
			var="$(echo "$name" | tr 'a-z-' 'A-Z_')"
			echo "FTP_INTEROP_${var}=$HOST:$port"
		done
	} >"$ENVFILE.tmp"
	mv "$ENVFILE.tmp" "$ENVFILE"
	cp "$ENVFILE" "$FTPI_STATE/servers.env"
}

# --- commands ---------------------------------------------------------------

# Sets SEL to the SERVERS or EXTRA_SERVERS lines named by the arguments;
# without any, to SERVERS (first argument "default") or to both ("all").
select_servers() { # default|all name...
	SEL=()
	local which="$1"; shift
	if [ $# -eq 0 ]; then
		SEL=("${SERVERS[@]}")
		[ "$which" = all ] && SEL+=("${EXTRA_SERVERS[@]}")
		return 0
	fi
	local want line name found
	for want in "$@"; do
		found=0
		for line in "${SERVERS[@]}" "${EXTRA_SERVERS[@]}"; do
			read -r name _ <<<"$line"
			if [ "$name" = "$want" ]; then SEL+=("$line"); found=1; fi
		done
		[ $found = 1 ] || die "unknown server '$want' (known: $(for l in "${SERVERS[@]}" "${EXTRA_SERVERS[@]}"; do read -r n _ <<<"$l"; printf '%s ' "$n"; done))"
	done
}

# pmax for a first passive port (0: the kernel chooses).
pasv_max() { [ "$1" = 0 ] && echo 0 || echo $(($1 + PASV_SPAN - 1)); }

cmd_up() { # [name...]
	need_root
	local t0=$SECONDS line name port pmin pmax failed=0 SEL
	select_servers default "$@"
	mkdir -p "$FTPI_STATE" "$LOG" "$RUN" "$CONF" "$EMPTY"; chmod 755 "$EMPTY"
	install_packages
	setup_user
	setup_tls
	cmd_down quiet "$@"
	make_seed
	for line in "${SEL[@]}"; do
		read -r name port pmin <<<"$line"; pmax="$(pasv_max "$pmin")"
		port_busy "$port" && die "port $port is in use by a process this script did not start"
		write_config "$name" "$port" "$pmin" "$pmax"
		reset_home "$name"
		start_one "$name" "$port" "$pmin" "$pmax"
	done
	for line in "${SEL[@]}"; do
		read -r name port pmin <<<"$line"
		wait_220 "$name" "$port" || failed=1
	done
	write_env
	cmd_status "$@"
	[ $failed = 0 ] || die "some servers did not start"
	log "up: done in $((SECONDS - t0)) s; connection facts in $ENVFILE"
}

cmd_down() { # [quiet] [name...]
	local quiet=0 line name port pmin pid groups=() live SEL
	[ "${1:-}" = quiet ] && { quiet=1; shift; }
	select_servers all "$@"
	# Each server runs in its own session and process group (setsid): stop
	# every listener with its per-connection children, all at once.
	for line in "${SEL[@]}"; do
		read -r name port pmin <<<"$line"
		if pid="$(pid_alive "$RUN/$name.pid")"; then
			kill -TERM -- "-$pid" 2>/dev/null || true
			groups+=("$pid")
		fi
		rm -f "$RUN/$name.pid"
	done
	if [ ${#groups[@]} -gt 0 ]; then
		for _ in $(seq 50); do
			live="$(live_groups "${groups[@]}")"
			[ -z "$live" ] && break
			sleep 0.1
		done
		for pid in $live; do
			log "process group $pid did not stop on TERM, sending KILL"
			kill -KILL -- "-$pid" 2>/dev/null || true
		done
	fi
	[ $quiet = 1 ] || log "down: stopped ${*:-all}"
}

cmd_status() { # [name...]
	local line name port pmin pid banner bad=0 SEL range
	select_servers default "$@"
	printf '%-17s %-6s %-12s %-8s %s\n' SERVER PORT PASSIVE PID "BANNER (220)"
	for line in "${SEL[@]}"; do
		read -r name port pmin <<<"$line"
		pid="$(pid_alive "$RUN/$name.pid" 2>/dev/null)" || pid=-
		if banner="$(probe "$name" "$port" 2 2>/dev/null)"; then :; else banner="DOWN"; bad=1; fi
		range="$pmin-$(pasv_max "$pmin")"; [ "$pmin" = 0 ] && range=kernel
		printf '%-17s %-6s %-12s %-8s %s\n' "$name" "$port" "$range" "$pid" "$banner"
	done
	return $bad
}

cmd_check() {
	[ -f "$ENVFILE" ] || die "$ENVFILE missing: run '$0 up' first"
	"$PY" "$HERE/ftpcheck.py" check --env "$ENVFILE"
}

cmd="${1:-}"; [ $# -gt 0 ] && shift
case "$cmd" in
up) cmd_up "$@" ;;
down) cmd_down "$@" ;;
status) cmd_status "$@" ;;
check) cmd_check ;;
*) echo "usage: $0 up|down|status [NAME...] | check" >&2; exit 2 ;;
esac
