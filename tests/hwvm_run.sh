#!/usr/bin/env bash
# hwvm_run.sh - run picoos's hardware tests (pytest -m hwvm) inside the hwvm VM.
#
# usage: tests/hwvm_run.sh [HWVM-OPTION...] [-- PYTEST-ARG...]
#
#   tests/hwvm_run.sh                            all hwvm tests under tests/drivers
#   tests/hwvm_run.sh -- tests/drivers/hw/test_serial_hw.py -k frames
#   tests/hwvm_run.sh --gpio-names led,,button -- tests/drivers/gpio
#
# The VM (tools/hwvm) has a gpio-sim chip and two wired 16550 UARTs and runs
# this machine's root filesystem, so the repository's virtual environment
# works inside it unchanged.  We call the venv's python directly: a pyenv shim
# costs seconds under software emulation.  Exit status is pytest's; 124 when
# the VM timed out, 125 when it failed to start (hwvm prints why).
#
# environment: HWVM_TOOL (path of hwvm; default: tools/hwvm beside the shared
# docs, or hwvm on PATH), PICOOS_PYTHON (interpreter, default .venv/bin/python),
# HWVM_TIMEOUT (seconds, default 900).
set -euo pipefail
cd "$(dirname "$0")/.."

hwvm=${HWVM_TOOL:-}
if [[ -z $hwvm ]]; then
    for c in "$PWD/../shared/tools/hwvm" /work/shared/tools/hwvm "$(command -v hwvm 2>/dev/null || true)"; do
        if [[ -n $c && -x $c ]]; then hwvm=$c; break; fi
    done
fi
[[ -n $hwvm && -x $hwvm ]] || { echo "hwvm_run.sh: hwvm not found (set HWVM_TOOL)" >&2; exit 125; }

py=${PICOOS_PYTHON:-$PWD/.venv/bin/python}
[[ -x $py ]] || { echo "hwvm_run.sh: no interpreter at $py (run ./dev test once, or set PICOOS_PYTHON)" >&2; exit 125; }
# (not resolved through its symlink: the venv is found from this very path)

hwvm_opts=()
while [[ $# -gt 0 && $1 != -- ]]; do hwvm_opts+=("$1"); shift; done
[[ ${1:-} == -- ]] && shift
pytest_args=("$@")
[[ ${#pytest_args[@]} -gt 0 ]] || pytest_args=(tests/drivers)

# -p no:cacheprovider: nothing to gain from a cache written from inside the VM
exec "$hwvm" --timeout "${HWVM_TIMEOUT:-900}" "${hwvm_opts[@]}" -- \
    "$py" -m pytest -q -rs -p no:cacheprovider -m hwvm "${pytest_args[@]}"
