"""Run one ported pycos example program as `__main__`, as `python FILE` would.

pycos's `pycos.logger` prints INFO lines (and DEBUG after
`setLevel(Logger.DEBUG)`) to stdout, and several examples show their
results only that way. `picoos.logger` is a plain `logging` logger with no
handler, so those lines vanish. WORKAROUND (until `picoos.logger` prints
like pycos's does; asked of the kernel's owner): this launcher gives the
"picoos" logger a stdout handler at INFO, when it has none, and then runs
the example unchanged.

    python run_example.py EXAMPLE.py [ARGS...]
"""
import logging
import os
import runpy
import sys


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit("usage: run_example.py EXAMPLE.py [ARGS...]")
    path = os.path.abspath(sys.argv[1])
    sys.argv = sys.argv[1:]
    sys.path[0] = os.path.dirname(path)     # as when the example is run itself
    log = logging.getLogger("picoos")
    if not log.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s - %(message)s"))
        log.addHandler(handler)
        if log.level == logging.NOTSET:
            log.setLevel(logging.INFO)
    runpy.run_path(path, run_name="__main__")


if __name__ == "__main__":
    main()
