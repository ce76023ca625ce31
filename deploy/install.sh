#!/usr/bin/env bash
# install.sh - turn a fresh Raspberry Pi OS (Debian bookworm or later) into a
# picoos node. Run as root on the board:
#
#   sudo deploy/install.sh                          # picoos[node] from PyPI
#   sudo deploy/install.sh --from picoos-0.1.0-py3-none-any.whl   # offline
#
# What it does, each step only when it is not done yet (so running it again
# changes nothing):
#   - the groups gpio and dialout (a Pi has them; plain Debian may lack gpio)
#   - a system user picoos in those groups, home /var/lib/picoos, no login
#   - python3-venv when missing (PEP 668: picoos lives in its own venv)
#   - the venv /opt/picoos/venv with picoos and its node extras
#   - /etc/picoos/node.conf (root:picoos, 0640) with a new random secret,
#     or the one given with --secret/--secret-file
#   - the state folder /var/lib/picoos (picoos:picoos, 0750)
#   - the systemd unit picoos-node.service, enabled; started (or restarted
#     when something changed) unless --no-start, inside a chroot, or without
#     a running systemd (an image being prepared)
# deploy/uninstall.sh undoes it.
set -euo pipefail
umask 022

PROG=install.sh
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PREFIX=/opt/picoos
VENV=$PREFIX/venv
CONF_DIR=/etc/picoos
CONF=$CONF_DIR/node.conf
STATE=/var/lib/picoos
UNIT=picoos-node.service
UNIT_SRC=$HERE/$UNIT
UNIT_DST=/etc/systemd/system/$UNIT
STAMP=$PREFIX/.installed-from
SVC_USER=picoos
GROUPS_NEEDED=(gpio dialout)
DEFAULT_TCP_PORT=9706

usage() {
    cat <<EOF
usage: $PROG [options]

Install (or bring up to date) a picoos node on this machine. Run as root.

  --from PATH          install picoos from a wheel, sdist or source folder
                       instead of PyPI (offline installs)
  --extras LIST        extras to install with picoos (default: node)
  --upgrade            reinstall picoos even if the same source was installed
  --secret SECRET      shared secret to put in the config (replaces the one there)
  --secret-file FILE   read the shared secret from the first line of FILE
  --host ADDR          address the node listens on (written to the config)
  --tcp-port PORT      TCP port the node listens on (written to the config)
  --name NAME          node name shown to clients (written to the config)
  --no-start           install and enable the service but do not start it
  -h, --help           show this help

Without --secret/--secret-file a new config gets a random secret; an
existing config keeps its own. The secret lives in $CONF
(owner root, group $SVC_USER, mode 0640): copy it to your client.
EOF
}

say() { echo "$PROG: $*"; }
die() { echo "$PROG: error: $*" >&2; exit "${2:-1}"; }
bad_usage() { echo "$PROG: error: $*" >&2; echo "try '$PROG --help'" >&2; exit 2; }

FROM="" EXTRAS=node UPGRADE=0 SECRET="" SECRET_GIVEN=0 HOST="" TCP_PORT="" NAME="" NO_START=0
need_arg() { [[ $# -ge 2 && -n "$2" ]] || bad_usage "$1 needs a value"; }
while [[ $# -gt 0 ]]; do
    case $1 in
        --from) need_arg "$@"; FROM=$2; shift 2 ;;
        --from=*) FROM=${1#*=}; shift ;;
        --extras) need_arg "$@"; EXTRAS=$2; shift 2 ;;
        --upgrade) UPGRADE=1; shift ;;
        --secret) need_arg "$@"; SECRET=$2; SECRET_GIVEN=$((SECRET_GIVEN + 1)); shift 2 ;;
        --secret-file)
            need_arg "$@"
            [[ -f "$2" && -r "$2" ]] || bad_usage "--secret-file $2: not a readable file"
            SECRET=$(head -n1 "$2" | tr -d '\r')
            SECRET=${SECRET#"${SECRET%%[![:space:]]*}"}; SECRET=${SECRET%"${SECRET##*[![:space:]]}"}
            [[ -n "$SECRET" ]] || bad_usage "--secret-file $2: the first line is empty; expected the secret there"
            SECRET_GIVEN=$((SECRET_GIVEN + 1)); shift 2 ;;
        --host) need_arg "$@"; HOST=$2; shift 2 ;;
        --tcp-port) need_arg "$@"; TCP_PORT=$2; shift 2 ;;
        --name) need_arg "$@"; NAME=$2; shift 2 ;;
        --no-start) NO_START=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) bad_usage "unknown option '$1'" ;;
    esac
done

# --- check the arguments before touching anything -------------------------
[[ $SECRET_GIVEN -le 1 ]] || bad_usage "give the secret once (--secret or --secret-file), not both"
if [[ $SECRET_GIVEN -eq 1 ]]; then
    # the config is INI: one line, no spaces at the ends, nothing configparser reads as a comment
    [[ ${#SECRET} -ge 16 ]] || bad_usage "the secret is ${#SECRET} characters; expected at least 16"
    [[ $SECRET =~ ^[[:graph:]]+$ ]] || bad_usage "the secret contains spaces or control characters; expected printable characters only"
fi
if [[ -n "$TCP_PORT" ]]; then
    [[ $TCP_PORT =~ ^[0-9]+$ ]] && ((10#$TCP_PORT >= 1 && 10#$TCP_PORT <= 65535)) \
        || bad_usage "--tcp-port '$TCP_PORT' is not a port; expected a number 1..65535"
    TCP_PORT=$((10#$TCP_PORT))
fi
[[ -z "$HOST" || $HOST =~ ^[[:graph:]]+$ ]] || bad_usage "--host '$HOST' contains spaces; expected an address or host name"
[[ -z "$NAME" || $NAME =~ ^[[:graph:]]+$ ]] || bad_usage "--name '$NAME' contains spaces; expected one word"
[[ $EXTRAS =~ ^[A-Za-z0-9_,.-]*$ ]] || bad_usage "--extras '$EXTRAS' is not a comma-separated list of extras"
if [[ -n "$FROM" ]]; then
    [[ -e "$FROM" ]] || bad_usage "--from $FROM: no such file or folder; expected a wheel, sdist or source folder"
    FROM=$(cd "$(dirname "$FROM")" && pwd)/$(basename "$FROM")
    if [[ -d "$FROM" ]]; then
        [[ -e "$FROM/pyproject.toml" || -e "$FROM/setup.py" ]] \
            || bad_usage "--from $FROM: a folder without pyproject.toml or setup.py; expected picoos's source"
    else
        case $FROM in
            *.whl|*.tar.gz|*.zip) ;;
            *) bad_usage "--from $FROM: not a .whl, .tar.gz or .zip; expected a picoos wheel or sdist" ;;
        esac
    fi
fi
[[ -f "$UNIT_SRC" ]] || die "$UNIT_SRC is missing; run this script from picoos's deploy/ folder"
[[ $EUID -eq 0 ]] || die "must run as root (it creates a user, /opt/picoos and a systemd unit); try: sudo $0"

CHANGED=0   # something the running service would need a restart for

# --- groups and the service user -------------------------------------------
for g in "${GROUPS_NEEDED[@]}"; do
    if ! getent group "$g" >/dev/null; then
        groupadd --system "$g"
        say "created group $g"
    fi
done
if ! id "$SVC_USER" >/dev/null 2>&1; then
    useradd --system --user-group --home-dir "$STATE" --no-create-home \
        --shell /usr/sbin/nologin --comment "picoos node" \
        --groups "$(IFS=,; echo "${GROUPS_NEEDED[*]}")" "$SVC_USER"
    say "created system user $SVC_USER (groups: ${GROUPS_NEEDED[*]})"
    CHANGED=1
else
    for g in "${GROUPS_NEEDED[@]}"; do
        if ! id -nG "$SVC_USER" | tr ' ' '\n' | grep -qx "$g"; then
            usermod -aG "$g" "$SVC_USER"
            say "added $SVC_USER to group $g"
            CHANGED=1
        fi
    done
fi

# ensure_dir PATH MODE OWNER:GROUP - create it, or fix what differs (only that)
ensure_dir() {
    local path=$1 mode=$2 owner=$3
    if [[ ! -d "$path" ]]; then
        install -d -m "$mode" -o "${owner%:*}" -g "${owner#*:}" "$path"
        say "created $path"
        return
    fi
    [[ $(stat -c %a "$path") == "${mode#0}" ]] || chmod "$mode" "$path"
    [[ $(stat -c %U:%G "$path") == "$owner" ]] || chown "$owner" "$path"
}
ensure_dir "$PREFIX" 0755 root:root
ensure_dir "$CONF_DIR" 0750 "root:$SVC_USER"
ensure_dir "$STATE" 0750 "$SVC_USER:$SVC_USER"

# --- Python and the venv -----------------------------------------------------
apt_install() {
    command -v apt-get >/dev/null || die "need the packages $* but apt-get is not here; install them and rerun"
    say "installing $* (apt-get)"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null; then
        # a fresh image often has no package lists yet
        apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null
    fi
}
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    apt_install python3-venv
fi
if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c pass >/dev/null 2>&1; then
    # missing, or broken by a Python upgrade: make it afresh
    rm -rf "$VENV" "$STAMP"
    python3 -m venv "$VENV"
    say "created venv $VENV ($("$VENV/bin/python" --version))"
    CHANGED=1
fi

# --- picoos itself -----------------------------------------------------------
if [[ -n "$FROM" ]]; then
    SPEC="$FROM${EXTRAS:+[$EXTRAS]}"
    if [[ -d "$FROM" ]]; then
        # a folder has no single checksum: sum its files' names, sizes and times
        SUM=$(cd "$FROM" && find . \( -name .git -o -name '.venv*' -o -name build -o -name __pycache__ \
              -o -name '*.egg-info' \) -prune -o -type f -printf '%P %s %T@\n' | LC_ALL=C sort | sha256sum)
    else
        SUM=$(sha256sum < "$FROM")
    fi
else
    SPEC="picoos${EXTRAS:+[$EXTRAS]}"
    SUM=pypi
fi
WANT="$SPEC ${SUM%% *}"
pip_install() {
    local pip=("$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -q)
    if [[ -n "$FROM" ]]; then
        # The same version number may hold new code (a rebuilt wheel): after
        # the normal install (which brings the dependencies) redo picoos itself.
        "${pip[@]}" "$SPEC" && "${pip[@]}" --force-reinstall --no-deps "$FROM"
    elif [[ $UPGRADE -eq 1 ]]; then
        "${pip[@]}" --upgrade "$SPEC"
    else
        "${pip[@]}" "$SPEC"
    fi
}
if [[ $UPGRADE -eq 1 || ! -f "$STAMP" || "$(cat "$STAMP")" != "$WANT" ]] \
        || ! "$VENV/bin/python" -c 'import picoos' >/dev/null 2>&1; then
    say "installing $SPEC into $VENV"
    if ! pip_install; then
        # No wheel for this board (psutil on armhf, netifaces on newer
        # Pythons, without piwheels): build them, which needs a compiler.
        say "pip failed; installing a compiler and Python headers to build from source, then retrying"
        apt_install gcc libc6-dev python3-dev
        pip_install || die "pip could not install $SPEC into $VENV (see the messages above)"
    fi
    echo "$WANT" > "$STAMP"
    CHANGED=1
fi
[[ -x "$VENV/bin/picoos-node" ]] || die "$VENV/bin/picoos-node is missing after the install; expected picoos to provide it"

# --- the config file ------------------------------------------------------
# conf_set FILE KEY VALUE: set KEY in the [node] section of FILE (comments kept)
conf_set() {
    KEY=$2 VALUE=$3 "$VENV/bin/python" - "$1" <<'PY'
import os, re, sys
path, key, value = sys.argv[1], os.environ["KEY"], os.environ["VALUE"]
lines = open(path, encoding="utf-8").read().splitlines()
pat = re.compile(r"\s*" + re.escape(key) + r"\s*[=:]")
for i, line in enumerate(lines):
    if pat.match(line):
        lines[i] = f"{key} = {value}"
        break
else:
    at = next((i + 1 for i, l in enumerate(lines) if l.strip() == "[node]"), None)
    if at is None:
        sys.exit(f"{path}: no [node] section to put {key} in")
    lines.insert(at, f"{key} = {value}")
open(path, "w", encoding="utf-8").write("\n".join(lines) + "\n")
PY
}
# conf_get FILE KEY: the value of KEY, or nothing
conf_get() {
    sed -n -E "s/^[[:space:]]*$2[[:space:]]*[=:][[:space:]]*(.*[^[:space:]])?[[:space:]]*$/\1/p" "$1" | head -n1
}

# Compose the new config outside $CONF_DIR so an unchanged one leaves even
# the folder untouched.
TMP=$(mktemp)
trap 'rm -f "$TMP"' EXIT
if [[ -f "$CONF" ]]; then
    cat "$CONF" > "$TMP"
else
    if [[ $SECRET_GIVEN -eq 0 ]]; then
        # 32 bytes from the OS's CSPRNG (/dev/urandom) as URL-safe text
        SECRET=$("$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(32))')
        SECRET_GIVEN=1
        say "generated a new secret"
    fi
    cat > "$TMP" <<EOF
# picoos node settings, read by picoos-node --config (see picoos-node --help).
# Keys are the long option names with underscores. Written by deploy/install.sh;
# edit it and run: systemctl restart picoos-node
# Readable by root and the picoos group only: it holds the shared secret,
# which every client that may use this node needs too.
[node]
host = 0.0.0.0
tcp_port = $DEFAULT_TCP_PORT
secret = $SECRET
dest_path = $STATE
EOF
fi
[[ $SECRET_GIVEN -eq 1 && "$(conf_get "$TMP" secret)" != "$SECRET" ]] && conf_set "$TMP" secret "$SECRET"
[[ -n "$HOST" && "$(conf_get "$TMP" host)" != "$HOST" ]] && conf_set "$TMP" host "$HOST"
[[ -n "$TCP_PORT" && "$(conf_get "$TMP" tcp_port)" != "$TCP_PORT" ]] && conf_set "$TMP" tcp_port "$TCP_PORT"
[[ -n "$NAME" && "$(conf_get "$TMP" name)" != "$NAME" ]] && conf_set "$TMP" name "$NAME"
if [[ -f "$CONF" ]] && cmp -s "$TMP" "$CONF"; then
    rm -f "$TMP"
else
    install -m 0640 -o root -g "$SVC_USER" "$TMP" "$CONF.new"
    mv -f "$CONF.new" "$CONF"     # atomic: the node never reads a half-written file
    rm -f "$TMP"
    say "wrote $CONF"
    CHANGED=1
fi
trap - EXIT
[[ $(stat -c %a "$CONF") == 640 ]] || chmod 0640 "$CONF"
[[ $(stat -c %U:%G "$CONF") == "root:$SVC_USER" ]] || chown "root:$SVC_USER" "$CONF"

# The node checks its own config; run that check as the service user, which
# also proves that user can read the file.
if ! out=$(runuser -u "$SVC_USER" -- "$VENV/bin/picoos-node" --config "$CONF" --save-config /dev/null 2>&1); then
    die "picoos-node rejects $CONF: $out"
fi

# --- the systemd unit ------------------------------------------------------
if ! cmp -s "$UNIT_SRC" "$UNIT_DST"; then
    install -D -m 0644 "$UNIT_SRC" "$UNIT_DST"
    say "installed $UNIT_DST"
    UNIT_CHANGED=1
    CHANGED=1
else
    UNIT_CHANGED=0
fi
if [[ $(systemctl is-enabled "$UNIT" 2>/dev/null || true) != enabled ]]; then
    systemctl enable "$UNIT" 2>&1 | sed "s/^/$PROG: /"
fi

# Start only on a live system: not in a chroot (an image or a test), not where
# systemd is not PID 1 (a container), not when asked not to.
why_not=""
if [[ $NO_START -eq 1 ]]; then
    why_not="--no-start given"
elif ischroot 2>/dev/null; then
    why_not="running in a chroot"
elif [[ ! -d /run/systemd/system ]]; then
    why_not="systemd is not running here"
fi
if [[ -n "$why_not" ]]; then
    say "$UNIT is enabled, not started ($why_not); it starts at the next boot"
else
    [[ $UNIT_CHANGED -eq 1 ]] && systemctl daemon-reload
    if [[ $CHANGED -eq 1 ]]; then
        systemctl restart "$UNIT"
    else
        systemctl start "$UNIT"
    fi
    systemctl is-active --quiet "$UNIT" || die "$UNIT did not start; see: journalctl -u $UNIT"
    say "$UNIT is running; check it with: systemctl status $UNIT"
fi
say "done: config and secret in $CONF, files from clients in $STATE"
