#!/bin/sh
# Record the expected outputs of the differential programs under pycos
# (needs pycos installed in the interpreter given as $PYTHON, default the
# repository's .venv).  Review the changes with `git diff` before committing.
cd "$(dirname "$0")" || exit 1
PYTHON=${PYTHON:-../../../.venv/bin/python}
for prog in p*.py; do
    "$PYTHON" run_prog.py --pycos "$prog" > "${prog%.py}.expected" || echo "FAILED: $prog" >&2
done
