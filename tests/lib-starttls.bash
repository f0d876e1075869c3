# Real STARTTLS servers for tests/starttls-real.bats (issue #4), started on
# free 127.0.0.1 ports with private configuration in a 0755 directory
# (mktemp's and bats' 0700 dirs break servers that drop privileges, see
# docs/ARCHITECTURE.md, "Real peers"), the localhost test chain, bounded
# waits, and a stop by PID that waits until the process is really gone.
#
# Each tk_start_NAME sets NAME_PID and NAME_PORT (dovecot and prosody: one
# port per service), logs into $TK_ST_DIR/log and appends "NAME MS ms" (the
# time from spawn to every port accepting) to $TK_ST_TIMING_LOG; each
# tk_stop_NAME stops it by PID and waits until it is gone.  Every server was
# cross-checked with openssl s_client -starttls PROTO and gnutls-cli
# --starttls-proto (Verification OK, TLS 1.3) on Debian 12.
#
# Part of tests/lib.bash, which sources it: tk_st_* are its internals.

# tk_st_dir NAME: a fresh 0755 directory for one server under a 0755 parent
# in /tmp (world-traversable); sets TK_ST_DIR.
tk_st_dir() {
	if [[ -z ${TK_ST_ROOT:-} || ! -d $TK_ST_ROOT ]]; then
		TK_ST_ROOT=$(mktemp -d /tmp/tlskit-starttls.XXXXXX) || return 1
		chmod 0755 "$TK_ST_ROOT"
	fi
	TK_ST_DIR=$TK_ST_ROOT/$1
	rm -rf "$TK_ST_DIR"
	mkdir -p "$TK_ST_DIR" && chmod 0755 "$TK_ST_DIR"
}

# tk_st_free_ports N: N distinct free ports on 127.0.0.1, BELOW the kernel's
# ephemeral range (so that no port-0 bind of a parallel test can take one
# between our check and the server's bind); sets TK_ST_PORTS (array).
tk_st_free_ports() {
	mapfile -t TK_ST_PORTS < <("$TK_PYTHON" - "$1" <<'EOF'
import random, socket, sys
n = int(sys.argv[1])
lo = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
got = []
for p in random.sample(range(20000, lo), 2000):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    got.append(p)
    if len(got) == n:
        break
print("\n".join(map(str, got)))
EOF
	)
	((${#TK_ST_PORTS[@]} == $1)) || { fail "no $1 free ports"; return 1; }
}

# tk_st_accepts PORT: something accepts TCP connections on 127.0.0.1:PORT.
tk_st_accepts() {
	(exec 9<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# tk_st_wait_ports PID NAME PORT...: wait (at most 15 s) until every PORT
# accepts; fail at once if PID is gone.  Sets TK_ST_START_MS (since
# TK_ST_T0_MS) and appends "NAME START_MS" to the timing log.
tk_st_wait_ports() {
	local pid=$1 name=$2 i p ok

	shift 2
	for ((i = 0; i < 300; i++)); do
		ok=1
		for p in "$@"; do
			tk_st_accepts "$p" || { ok=0; break; }
		done
		((ok)) && break
		if tk_gone "$pid"; then
			fail "$name exited while starting: $(tail -n 20 "$TK_ST_DIR/log")"
			return 1
		fi
		sleep 0.05
	done
	if ((!ok)); then
		fail "$name: ports $* not accepting after 15 s: $(tail -n 20 "$TK_ST_DIR/log")"
		return 1
	fi
	TK_ST_START_MS=$(($(date +%s%3N) - TK_ST_T0_MS))
	echo "$name $TK_ST_START_MS ms" >>"${TK_ST_TIMING_LOG:-/tmp/tlskit-starttls-times.log}"
}

# tk_st_stop PID [SIG]: SIG (default TERM) to PID, wait (at most 10 s) until
# /proc/PID/stat says gone or zombie, else SIGKILL.
tk_st_stop() {
	local pid=$1 sig=${2:-TERM} i

	[[ -n $pid ]] || return 0
	kill "-$sig" "$pid" 2>/dev/null || true
	for ((i = 0; i < 200; i++)); do
		tk_gone "$pid" && return 0
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null || true
}

# tk_start_postfix [MAIN.CF LINES...]: postfix's smtpd on a free port with
# STARTTLS offered (smtpd_tls_security_level = may; extra lines override,
# e.g. "smtpd_tls_security_level = none").  Sets POSTFIX_PORT and
# POSTFIX_PID (the master; postfix start-fg leaves it in its own session,
# pid in queue/pid/master.pid).  Takes about 2.7 s (postfix's own checks).
tk_start_postfix() {
	local d line

	command -v postfix >/dev/null || { fail "postfix is not installed (scripts/deps.sh)"; return 1; }
	tk_st_dir postfix || return 1
	d=$TK_ST_DIR
	tk_st_free_ports 1 || return 1
	POSTFIX_PORT=${TK_ST_PORTS[0]}
	mkdir -p "$d/conf" "$d/queue" "$d/data"
	chown postfix "$d/data"
	cp "$TESTDATA/localhost-rsa.key" "$d/conf/key.pem"
	cp "$TESTDATA/localhost-rsa-chain.pem" "$d/conf/chain.pem"
	chmod 0600 "$d/conf/key.pem"
	cat >"$d/conf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $d/queue
data_directory = $d/data
mail_owner = postfix
setgid_group = postdrop
myhostname = localhost
mydomain = localdomain
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
maillog_file = /dev/stdout
local_recipient_maps =
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_tls_security_level = may
smtpd_tls_chain_files = $d/conf/key.pem, $d/conf/chain.pem
smtpd_tls_loglevel = 1
EOF
	for line in "$@"; do
		printf '%s\n' "$line" >>"$d/conf/main.cf"
	done
	cat >"$d/conf/master.cf" <<EOF
127.0.0.1:$POSTFIX_PORT inet n - n - - smtpd
tlsmgr unix - - n 1000? 1 tlsmgr
proxymap unix - - n - - proxymap
postlog unix-dgram n - n - 1 postlogd
EOF
	rm -f "$d/queue/pid/master.pid"
	TK_ST_T0_MS=$(date +%s%3N)
	setsid postfix -c "$d/conf" start-fg </dev/null >"$d/log" 2>&1 3>&- &
	POSTFIX_SCRIPT_PID=$!
	tk_st_wait_ports "$POSTFIX_SCRIPT_PID" postfix "$POSTFIX_PORT" || return 1
	POSTFIX_PID=$(tr -d ' ' <"$d/queue/pid/master.pid")
}

tk_stop_postfix() {
	tk_st_stop "${POSTFIX_PID:-}"
	tk_st_stop "${POSTFIX_SCRIPT_PID:-}"
}

# tk_st_certs: the localhost chain and key in $TK_ST_DIR (chain.pem, key.pem
# mode 0600, owned by OWNER if given).
tk_st_certs() {
	cp "$TESTDATA/localhost-rsa-chain.pem" "$TK_ST_DIR/chain.pem"
	cp "$TESTDATA/localhost-rsa.key" "$TK_ST_DIR/key.pem"
	chmod 0644 "$TK_ST_DIR/chain.pem"
	chmod 0600 "$TK_ST_DIR/key.pem"
	[[ -z ${1:-} ]] || chown "$1" "$TK_ST_DIR/chain.pem" "$TK_ST_DIR/key.pem"
}

# tk_st_spawn VAR CMD...: CMD in its own session, stdin from /dev/null,
# stdout and stderr into $TK_ST_DIR/log, fd 3 closed (bats waits for fd 3
# holders); VAR gets its PID and TK_ST_T0_MS the spawn time.
tk_st_spawn() {
	local var=$1

	shift
	TK_ST_T0_MS=$(date +%s%3N)
	setsid "$@" </dev/null >"$TK_ST_DIR/log" 2>&1 3>&- &
	printf -v "$var" '%s' "$!"
}

# tk_start_dovecot: one dovecot serving IMAP, POP3, ManageSieve and LMTP,
# each on its own free port with STARTTLS (ssl = yes); every default
# listener (imaps, pop3s, submission) is set to port 0 or it would bind
# 993/995/587 on all addresses.  Static passdb (any user, password
# "secret"), static userdb as nobody.  Sets DOVECOT_PID, DOVECOT_IMAP_PORT,
# DOVECOT_POP3_PORT, DOVECOT_SIEVE_PORT, DOVECOT_LMTP_PORT.
tk_start_dovecot() {
	local d

	command -v dovecot >/dev/null || { fail "dovecot is not installed (scripts/deps.sh)"; return 1; }
	tk_st_dir dovecot || return 1
	d=$TK_ST_DIR
	tk_st_free_ports 4 || return 1
	DOVECOT_IMAP_PORT=${TK_ST_PORTS[0]}
	DOVECOT_POP3_PORT=${TK_ST_PORTS[1]}
	DOVECOT_SIEVE_PORT=${TK_ST_PORTS[2]}
	DOVECOT_LMTP_PORT=${TK_ST_PORTS[3]}
	tk_st_certs
	mkdir -p "$d/run" "$d/state" "$d/home"
	chmod 0755 "$d/run" "$d/state"
	chmod 1777 "$d/home"
	cat >"$d/dovecot.conf" <<EOF
instance_name = tlskit-test-${d##*/tlskit-starttls.}
base_dir = $d/run
state_dir = $d/state
log_path = /dev/stderr
listen = 127.0.0.1
protocols = imap pop3 lmtp sieve
ssl = yes
ssl_cert = <$d/chain.pem
ssl_key = <$d/key.pem
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain
passdb {
  driver = static
  args = password=secret
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$d/home/%u
}
mail_location = maildir:$d/home/%u/Maildir
service imap-login {
  inet_listener imap {
    port = $DOVECOT_IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = $DOVECOT_POP3_PORT
  }
  inet_listener pop3s {
    port = 0
  }
}
service submission-login {
  inet_listener submission {
    port = 0
  }
}
service managesieve-login {
  inet_listener sieve {
    port = $DOVECOT_SIEVE_PORT
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $DOVECOT_LMTP_PORT
  }
}
EOF
	tk_st_spawn DOVECOT_PID dovecot -F -c "$d/dovecot.conf"
	tk_st_wait_ports "$DOVECOT_PID" dovecot "$DOVECOT_IMAP_PORT" \
	    "$DOVECOT_POP3_PORT" "$DOVECOT_SIEVE_PORT" "$DOVECOT_LMTP_PORT"
}

tk_stop_dovecot() {
	tk_st_stop "${DOVECOT_PID:-}"
}

# tk_start_slapd: OpenLDAP's slapd (GnuTLS in Debian) on a free port, an
# empty mdb database under dc=example,dc=test, StartTLS with the localhost
# chain.  Sets SLAPD_PID and SLAPD_PORT.
tk_start_slapd() {
	local d

	command -v slapd >/dev/null || { fail "slapd is not installed (scripts/deps.sh)"; return 1; }
	tk_st_dir slapd || return 1
	d=$TK_ST_DIR
	tk_st_free_ports 1 || return 1
	SLAPD_PORT=${TK_ST_PORTS[0]}
	tk_st_certs
	mkdir -p "$d/db"
	cat >"$d/slapd.conf" <<EOF
include /etc/ldap/schema/core.schema
pidfile $d/slapd.pid
argsfile $d/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
TLSCertificateFile $d/chain.pem
TLSCertificateKeyFile $d/key.pem
TLSCACertificateFile $TESTDATA/ca.crt
database mdb
suffix "dc=example,dc=test"
rootdn "cn=admin,dc=example,dc=test"
rootpw secret
directory $d/db
maxsize 10485760
EOF
	tk_st_spawn SLAPD_PID slapd -d 0 -h "ldap://127.0.0.1:$SLAPD_PORT/" \
	    -f "$d/slapd.conf"
	tk_st_wait_ports "$SLAPD_PID" slapd "$SLAPD_PORT"
}

tk_stop_slapd() {
	tk_st_stop "${SLAPD_PID:-}"
}

# tk_st_as_postgres CMD...: CMD as user postgres (exec, so the PID stays).
tk_st_as_postgres() {
	setpriv --reuid=postgres --regid=postgres --init-groups "$@"
}

# tk_start_postgres: initdb (about 1 s with --no-sync; done once per TK_ST_ROOT
# and reused) then postgres -D with ssl=on on a free port, its own unix
# socket directory, the key 0600 owned by postgres.  Sets POSTGRES_PID
# and POSTGRES_PORT.  Stop it with tk_stop_postgres (SIGINT: a smart
# shutdown on TERM would wait for clients).
tk_start_postgres() {
	local d bin t0

	bin=$(find /usr/lib/postgresql -maxdepth 3 -path '*/bin/postgres' 2>/dev/null |
	    sort -V | tail -n 1)
	[[ -n $bin ]] || { fail "postgresql is not installed (scripts/deps.sh)"; return 1; }
	bin=${bin%/postgres}
	tk_st_dir postgres || return 1
	d=$TK_ST_DIR
	tk_st_free_ports 1 || return 1
	POSTGRES_PORT=${TK_ST_PORTS[0]}
	chown postgres "$d"
	if [[ ! -d $TK_ST_ROOT/pgdata ]]; then
		t0=$(date +%s%3N)
		tk_st_as_postgres "$bin/initdb" -D "$d/data" -A trust -U postgres \
		    --no-sync >"$d/initdb.log" 2>&1 || {
			fail "initdb failed: $(tail -n 20 "$d/initdb.log")"
			return 1
		}
		echo "postgres-initdb $(($(date +%s%3N) - t0)) ms" \
		    >>"${TK_ST_TIMING_LOG:-/tmp/tlskit-starttls-times.log}"
		mv "$d/data" "$TK_ST_ROOT/pgdata"
	fi
	cp -a "$TK_ST_ROOT/pgdata" "$d/data"
	TK_ST_DIR=$d/data
	tk_st_certs postgres
	TK_ST_DIR=$d
	mkdir -p "$d/sock"
	chown postgres "$d/sock"
	tk_st_spawn POSTGRES_PID setpriv --reuid=postgres --regid=postgres \
	    --init-groups "$bin/postgres" -D "$d/data" -c ssl=on \
	    -c listen_addresses=127.0.0.1 -c "port=$POSTGRES_PORT" \
	    -c "unix_socket_directories=$d/sock" -c ssl_cert_file=chain.pem \
	    -c ssl_key_file=key.pem -c fsync=off
	tk_st_wait_ports "$POSTGRES_PID" postgres "$POSTGRES_PORT"
}

tk_stop_postgres() {
	tk_st_stop "${POSTGRES_PID:-}" INT
}

# tk_start_prosody: prosody with one VirtualHost "localhost" (a client's
# stream 'to' must name it, or prosody closes silently), c2s and s2s on
# free ports, STARTTLS offered and required, no other listener, storage in
# memory, run as root.  Sets PROSODY_PID, PROSODY_C2S_PORT and
# PROSODY_S2S_PORT.
tk_start_prosody() {
	local d

	command -v prosody >/dev/null || { fail "prosody is not installed (scripts/deps.sh)"; return 1; }
	tk_st_dir prosody || return 1
	d=$TK_ST_DIR
	tk_st_free_ports 2 || return 1
	PROSODY_C2S_PORT=${TK_ST_PORTS[0]}
	PROSODY_S2S_PORT=${TK_ST_PORTS[1]}
	tk_st_certs
	mkdir -p "$d/data"
	cat >"$d/prosody.cfg.lua" <<EOF
run_as_root = true
daemonize = false
pidfile = "$d/prosody.pid"
data_path = "$d/data"
admin_socket = "$d/prosody.sock"
plugin_paths = {}
interfaces = { "127.0.0.1" }
local_interfaces = { "127.0.0.1" }
c2s_ports = { $PROSODY_C2S_PORT }
s2s_ports = { $PROSODY_S2S_PORT }
c2s_direct_tls_ports = {}
s2s_direct_tls_ports = {}
legacy_ssl_ports = {}
http_ports = {}
https_ports = {}
component_ports = {}
modules_enabled = { "tls", "saslauth", "disco", "dialback", "ping" }
modules_disabled = { "admin_shell", "posix" }
certificates = "$d"
ssl = { certificate = "$d/chain.pem", key = "$d/key.pem" }
c2s_require_encryption = true
s2s_require_encryption = true
s2s_secure_auth = false
authentication = "internal_plain"
storage = "memory"
log = { { levels = { min = "info" }, to = "console" } }
VirtualHost "localhost"
EOF
	tk_st_spawn PROSODY_PID prosody -F --config "$d/prosody.cfg.lua"
	tk_st_wait_ports "$PROSODY_PID" prosody "$PROSODY_C2S_PORT" \
	    "$PROSODY_S2S_PORT"
}

tk_stop_prosody() {
	tk_st_stop "${PROSODY_PID:-}"
}

# tk_start_vsftpd: vsftpd in the foreground on a free port, anonymous only
# (read-only, empty root), AUTH TLS offered, no client certificate asked
# (ssl_request_cert=NO), seccomp_sandbox=NO (else sessions die here).
# Sets VSFTPD_PID and VSFTPD_PORT.
tk_start_vsftpd() {
	local d

	command -v vsftpd >/dev/null || { fail "vsftpd is not installed (scripts/deps.sh)"; return 1; }
	tk_st_dir vsftpd || return 1
	d=$TK_ST_DIR
	tk_st_free_ports 1 || return 1
	VSFTPD_PORT=${TK_ST_PORTS[0]}
	tk_st_certs
	mkdir -p "$d/ftproot" "$d/empty"
	chmod 0555 "$d/ftproot"
	# the configuration file must be owned by root
	cat >"$d/vsftpd.conf" <<EOF
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=$VSFTPD_PORT
background=NO
anonymous_enable=YES
local_enable=NO
write_enable=NO
anon_root=$d/ftproot
secure_chroot_dir=$d/empty
pasv_address=127.0.0.1
seccomp_sandbox=NO
ssl_enable=YES
allow_anon_ssl=YES
force_local_data_ssl=NO
force_local_logins_ssl=NO
ssl_request_cert=NO
require_ssl_reuse=NO
rsa_cert_file=$d/chain.pem
rsa_private_key_file=$d/key.pem
ssl_tlsv1=YES
ssl_sslv2=NO
ssl_sslv3=NO
xferlog_enable=NO
EOF
	tk_st_spawn VSFTPD_PID vsftpd "$d/vsftpd.conf"
	tk_st_wait_ports "$VSFTPD_PID" vsftpd "$VSFTPD_PORT"
}

tk_stop_vsftpd() {
	tk_st_stop "${VSFTPD_PID:-}"
}

# tk_start_nntp: tests/peers/nntp_server.py (RFC 4642 STARTTLS, scripted: no
# light real NNTP server fits, see docs/ARCHITECTURE.md, "Real peers") on
# a free port.  Sets NNTP_PID and NNTP_PORT.
tk_start_nntp() {
	tk_st_dir nntp || return 1
	tk_st_free_ports 1 || return 1
	NNTP_PORT=${TK_ST_PORTS[0]}
	tk_st_certs
	tk_st_spawn NNTP_PID "$TK_PYTHON" "$TK_SRC/tests/peers/nntp_server.py" \
	    "$TK_ST_DIR/chain.pem" "$TK_ST_DIR/key.pem" "$NNTP_PORT"
	tk_st_wait_ports "$NNTP_PID" nntp "$NNTP_PORT"
}

tk_stop_nntp() {
	tk_st_stop "${NNTP_PID:-}"
}

# tk_st_cleanup: remove every server directory (call after the stops).
tk_st_cleanup() {
	[[ -n ${TK_ST_ROOT:-} && $TK_ST_ROOT == /tmp/tlskit-starttls.* ]] &&
	    rm -rf "$TK_ST_ROOT"
	TK_ST_ROOT=
}
