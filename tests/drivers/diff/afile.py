"""AsyncFile on pipes: read(size, full, timeout), write, readline, close.

A differential program (see tests/diffprog.py): afile.out is what the same
program printed on pycos.
"""
import os

import picoos as pycos
from picoos.asyncfile import AsyncFile


def pipe_pair():
    r, w = os.pipe()
    return AsyncFile(os.fdopen(r, "rb", 0)), AsyncFile(os.fdopen(w, "wb", 0))


def main(task=None):
    rd, wr = pipe_pair()
    print("write:", (yield wr.write(b"hello world\n")))
    print("read 5: %r" % (yield rd.read(5)))
    print("read 100 (some): %r" % (yield rd.read(100)))
    print("write full:", (yield wr.write(b"line one\nline two\nrest", full=True)))
    print("readline: %r" % (yield rd.readline()))
    print("read 4 after readline: %r" % (yield rd.read(4)))
    print("readline: %r" % (yield rd.readline()))
    try:
        print("read with timeout: %r" % (yield rd.read(10, timeout=0.1)))
        print("readline after: %r" % (yield rd.readline(timeout=0.1)))
    except Exception as exc:
        print("read timeout: IOError %s" % isinstance(exc, IOError))
    try:
        print("read nothing with timeout: %r" % (yield rd.read(10, timeout=0.1)))
    except Exception as exc:
        print("read timeout: IOError %s" % isinstance(exc, IOError))
    yield wr.write(b"abc")
    try:
        print("read full, partial before timeout: %r"
              % (yield rd.read(10, full=True, timeout=0.1)))
    except Exception as exc:
        print("read full timeout: IOError %s" % isinstance(exc, IOError))
    # a big write fills the pipe; a reader task drains it
    data = bytes(range(256)) * 1024

    def drain(task=None):
        got = yield rd.read(len(data), full=True)
        return len(got), got == data

    reader = pycos.Task(drain)
    print("write full 256 KiB:", (yield wr.write(data, full=True)))
    print("reader got (len, equal):", (yield reader.finish()))
    yield wr.write(b"last line\nno newline")
    wr.close()
    print("readline: %r" % (yield rd.readline()))
    print("readline at eof: %r" % (yield rd.readline()))
    print("readline at eof again: %r" % (yield rd.readline()))
    print("read at eof: %r" % (yield rd.read(10)))
    print("read all at eof: %r" % (yield rd.read()))
    rd.close()

    rd, wr = pipe_pair()
    yield wr.write(b"x" * 5000, full=True)
    wr.close()
    print("read() to eof: %d bytes" % len((yield rd.read())))
    rd.close()

    rd, wr = pipe_pair()
    yield wr.write(b"a long line without end", full=True)
    print("readline(size=6): %r" % (yield rd.readline(size=6)))
    print("read 4: %r" % (yield rd.read(4)))
    yield wr.write(b"abc")
    wr.close()
    print("read 20 full, eof after the rest: %r" % (yield rd.read(20, full=True)))
    rd.close()

    rd, wr = pipe_pair()
    rd.close()
    try:
        print("write to a pipe without reader: %r" % (yield wr.write(b"lost")))
    except Exception as exc:
        print("write to a pipe without reader: BrokenPipeError %s, OSError %s"
              % (isinstance(exc, BrokenPipeError), isinstance(exc, OSError)))
    wr.close()

    rd, wr = pipe_pair()
    with wr:
        yield wr.write(b"in a with block\n")
    print("with closed the writer, read: %r" % (yield rd.read()))
    rd.close()


if __name__ == "__main__":
    pycos.Task(main).value()
