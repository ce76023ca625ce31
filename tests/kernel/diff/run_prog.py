"""Run one differential program under picoos (default) or pycos.

    python run_prog.py [--pycos] program.py

The programs are written against pycos's API (`import pycos`); under picoos
the name `pycos` is bound to the `picoos` package first, which is exactly the
port a user makes by renaming imports.  Log output is kept off stdout (the
comparison is of what the program prints), and task ids and object
addresses are replaced by placeholders so outputs are comparable across
runs and implementations.
"""
import io
import os
import re
import runpy
import sys

_ID = re.compile(r"/\d{5,}|0x[0-9a-f]{6,}")


def normalize(text):
    return _ID.sub(lambda m: "/ID" if m.group().startswith("/") else "0xADDR", text)


def main(argv):
    use_pycos = "--pycos" in argv
    args = [a for a in argv if a != "--pycos"]
    if len(args) != 1:
        sys.stderr.write("usage: run_prog.py [--pycos] program.py\n")
        return 2
    path = os.path.abspath(args[0])
    if use_pycos:
        import inspect
        if not hasattr(inspect, "getargspec"):
            # pycos 4.12.2 calls this (removed in Python 3.11) for channel
            # transforms and CategorizeMessages; restore it to record outputs
            inspect.getargspec = inspect.getfullargspec
        import pycos
        pycos.logger.stream = sys.stderr
    else:
        import picoos
        sys.modules["pycos"] = picoos
    real = sys.stdout
    buf = sys.stdout = io.StringIO()
    # pycos's logger and threads may print after main returns: flush at exit
    import atexit

    def flush():
        sys.stdout = real
        real.write(normalize(buf.getvalue()))
        real.flush()
    atexit.register(flush)
    runpy.run_path(path, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
