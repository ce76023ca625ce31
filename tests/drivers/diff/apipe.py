"""AsyncPipe with subprocess.Popen: communicate, read/write/readline,
stderr, poll, chained processes, close.

A differential program (see tests/diffprog.py): apipe.out is what the same
program printed on pycos.
"""
import subprocess
import sys

import picoos as pycos
from picoos.asyncfile import AsyncFile, AsyncPipe

PIPE = subprocess.PIPE
PY = sys.executable


def main(task=None):
    # communicate with input, one process
    pipe = AsyncPipe(subprocess.Popen(["sha1sum"], stdin=PIPE, stdout=PIPE))
    out, err = yield pipe.communicate(b"some input\n" * 1000)
    print("communicate: %r %r" % (out, err))
    print("poll after communicate:", pipe.poll())

    # chained: first's stdout feeds last's stdin
    p1 = subprocess.Popen(["cat"], stdin=PIPE, stdout=PIPE)
    p2 = subprocess.Popen(["tr", "a-z", "A-Z"], stdin=p1.stdout, stdout=PIPE)
    pipe = AsyncPipe(p1, p2)
    out, err = yield pipe.communicate(b"chained pipes\n")
    print("chained communicate: %r %r" % (out, err))

    # write / readline / read on a line filter
    proc = subprocess.Popen([PY, "-u", "-c",
                             "import sys\nfor ln in sys.stdin: print('got', ln.strip())"],
                            stdin=PIPE, stdout=PIPE)
    pipe = AsyncPipe(proc)
    for word in ("one", "two", "three"):
        n = yield pipe.write(("%s\n" % word).encode(), full=True)
        line = yield pipe.readline()
        print("write %d, readline %r" % (n, line))
    print("poll while running:", pipe.poll())
    pipe.stdin.close()
    print("read at eof: %r" % (yield pipe.read()))
    proc.wait()
    print("poll after exit:", pipe.poll())

    # stderr: read_stderr / readline_stderr and the exit status
    proc = subprocess.Popen([PY, "-c", "import sys\nprint('to out')\n"
                             "sys.stderr.write('err 1\\nerr 2\\n')\nsys.exit(3)"],
                            stdout=PIPE, stderr=PIPE)
    pipe = AsyncPipe(proc)
    print("readline_stderr: %r" % (yield pipe.readline_stderr()))
    print("read_stderr: %r" % (yield pipe.read_stderr()))
    print("readline: %r" % (yield pipe.readline()))
    proc.wait()
    print("poll: %s" % pipe.poll())

    proc = subprocess.Popen([PY, "-c", "import sys\nprint('both')\n"
                             "sys.stderr.write('and err')"], stdout=PIPE, stderr=PIPE)
    out, err = yield AsyncPipe(proc).communicate()
    print("communicate out and err: %r %r" % (out, err))

    # communicate reading its input from an AsyncFile
    src = subprocess.Popen(["printf", "from another pipe"], stdout=PIPE)
    pipe = AsyncPipe(subprocess.Popen(["cat"], stdin=PIPE, stdout=PIPE))
    out, err = yield pipe.communicate(AsyncFile(src.stdout))
    print("communicate from AsyncFile: %r" % out)
    src.wait()

    try:
        AsyncPipe("not a process")
    except Exception as exc:
        print("AsyncPipe(str): ValueError %s" % isinstance(exc, ValueError))


if __name__ == "__main__":
    pycos.Task(main).value()
