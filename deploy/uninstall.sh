#!/usr/bin/env bash
# uninstall.sh - remove what deploy/install.sh put on this machine. Run as root.
#
#   sudo deploy/uninstall.sh            # service and venv; keeps config, files, user
#   sudo deploy/uninstall.sh --purge    # also /etc/picoos, /var/lib/picoos, user picoos
#
# The groups gpio and dialout stay: other programs and users rely on them.
# Running it again when there is nothing left to remove is fine.
set -euo pipefail

PROG=uninstall.sh
PREFIX=/opt/picoos
CONF_DIR=/etc/picoos
STATE=/var/lib/picoos
UNIT=picoos-node.service
UNIT_DST=/etc/systemd/system/$UNIT
SVC_USER=picoos

usage() {
    cat <<EOF
usage: $PROG [--purge]

Stop and remove the picoos node service and its venv ($PREFIX).

  --purge      also delete the config and secret ($CONF_DIR), the node's
               files ($STATE) and the system user $SVC_USER
  -h, --help   show this help
EOF
}
say() { echo "$PROG: $*"; }
die() { echo "$PROG: error: $*" >&2; exit 1; }

PURGE=0
while [[ $# -gt 0 ]]; do
    case $1 in
        --purge) PURGE=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "$PROG: error: unknown option '$1'" >&2; echo "try '$PROG --help'" >&2; exit 2 ;;
    esac
done
[[ $EUID -eq 0 ]] || die "must run as root; try: sudo $0"

live=1
if ischroot 2>/dev/null || [[ ! -d /run/systemd/system ]]; then
    live=0    # an image or a container: nothing is running, edit files only
fi

if [[ -e "$UNIT_DST" || -L /etc/systemd/system/multi-user.target.wants/$UNIT ]]; then
    if [[ $live -eq 1 ]]; then
        systemctl disable --now "$UNIT" 2>&1 | sed "s/^/$PROG: /"
    else
        systemctl disable "$UNIT" 2>&1 | sed "s/^/$PROG: /"
    fi
    rm -f "$UNIT_DST"
    if [[ $live -eq 1 ]]; then
        systemctl daemon-reload
        systemctl reset-failed "$UNIT" 2>/dev/null || true
    fi
    say "removed $UNIT"
fi
if [[ -e "$PREFIX" ]]; then
    rm -rf --one-file-system "$PREFIX"
    say "removed $PREFIX"
fi

if [[ $PURGE -eq 1 ]]; then
    if [[ -d "/etc/systemd/system/$UNIT.d" ]]; then
        rm -rf "/etc/systemd/system/$UNIT.d"
        say "removed local settings /etc/systemd/system/$UNIT.d"
    fi
    for path in "$CONF_DIR" "$STATE"; do
        if [[ -e "$path" ]]; then
            rm -rf --one-file-system "$path"
            say "removed $path"
        fi
    done
    if id "$SVC_USER" >/dev/null 2>&1; then
        userdel "$SVC_USER"
        say "removed user $SVC_USER"
    fi
    if getent group "$SVC_USER" >/dev/null; then
        groupdel "$SVC_USER"
    fi
else
    [[ -e "$CONF_DIR" ]] && say "kept $CONF_DIR (config and secret), $STATE and user $SVC_USER; --purge removes them"
fi
say "done"
