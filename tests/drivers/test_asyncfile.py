"""AsyncFile and AsyncPipe against real pipes, ptys, files and subprocesses.

Every test runs its own kernel in the test's thread with ``picoos.run``.
Nothing sleeps to wait for something: tasks wait on the fds themselves,
and timeouts are only there so that a hang fails instead of blocking.
"""
import errno
import gzip
import hashlib
import os
import subprocess
import sys
import tty

import pytest

import picoos
import picoos.asyncfile
from picoos.drivers.asyncfile import AsyncFile, AsyncPipe
from picoos.drivers.errors import (BrokenPipe, DriverClosedError, DriverError,
                                   DriverTimeoutError, InvalidArgumentError,
                                   InvalidTypeError)
from picoos.kernel.errors import ClosedResourceError, PicoosError
from picoos.kernel.scheduler import Kernel
from picoos.kernel.traps import sleep

PY = sys.executable
# Upper bound for anything that should happen "now"; only a hang reaches it.
BOUND = 30


def run(fn, *args):
    return picoos.run(fn, *args)


@pytest.fixture
def pipe_fds():
    r, w = os.pipe()
    yield r, w
    for fd in (r, w):
        try:
            os.close(fd)
        except OSError:
            pass


# ---------------------------------------------------------------- AsyncFile
def test_int_fd_read_write_roundtrip():
    r, w = os.pipe()

    def main():
        with AsyncFile(r) as rf, AsyncFile(w) as wf:
            n = yield wf.write(b"hello world", full=True)
            first = yield rf.read(5)
            rest = yield rf.read(100)
            return n, first, rest

    assert run(main) == (11, b"hello", b" world")
    # both fds were closed by the context managers
    for fd in (r, w):
        with pytest.raises(OSError) as info:
            os.fstat(fd)
        assert info.value.errno == errno.EBADF


def test_file_object_is_accepted_and_closed():
    r, w = os.pipe()
    rfile = os.fdopen(r, "rb")

    def main():
        f = AsyncFile(rfile)
        os.write(w, b"abc")
        os.close(w)
        data = yield f.read()        # size 0: read to EOF
        f.close()
        return data

    assert run(main) == b"abc"
    assert rfile.closed


def test_read_waits_for_data_written_by_another_task(pipe_fds):
    r, w = pipe_fds
    order = []

    def writer(wf):
        order.append("writer runs")
        yield wf.write(b"x" * 10, full=True)

    def main():
        rf, wf = AsyncFile(r, closefd=False), AsyncFile(w, closefd=False)
        picoos.Task(writer, wf)
        order.append("reader waits")
        data = yield rf.read(10, full=True, timeout=BOUND)
        order.append("reader got %d" % len(data))
        return data

    assert run(main) == b"x" * 10
    assert order == ["reader waits", "writer runs", "reader got 10"]


def test_full_read_collects_several_writes_and_stops_at_eof():
    r, w = os.pipe()

    def writer(wf):
        for part in (b"ab", b"cd", b"ef"):
            yield wf.write(part, full=True)
            yield sleep(0)
        wf.close()

    def main():
        rf, wf = AsyncFile(r), AsyncFile(w)
        picoos.Task(writer, wf)
        got = yield rf.read(4, full=True, timeout=BOUND)
        tail = yield rf.read(100, full=True, timeout=BOUND)   # EOF before 100
        eof = yield rf.read(10, timeout=BOUND)
        rf.close()
        return got, tail, eof

    assert run(main) == (b"abcd", b"ef", b"")


def test_read_timeout_without_data_raises_timeout(pipe_fds):
    r, w = pipe_fds

    def main():
        rf = AsyncFile(r, closefd=False)
        with pytest.raises(DriverTimeoutError) as info:
            yield rf.read(10, timeout=0.05)
        return info.value

    err = run(main)
    # catchable as the stdlib types pycos users used
    assert isinstance(err, TimeoutError) and isinstance(err, IOError)
    assert isinstance(err, DriverError) and isinstance(err, PicoosError)
    assert "no data within 0.05 s" in str(err)


def test_timeouts_follow_the_kernel_clock(kernel, pipe_fds):
    # the conftest kernel runs on an autojumping FakeClock: timeouts expire
    # at once in real time and exactly on time in kernel time
    r, w = pipe_fds
    os.write(w, b"no newline")

    def main():
        rf = AsyncFile(r, closefd=False)
        t0 = kernel.clock.now()
        with pytest.raises(DriverTimeoutError):
            yield rf.readline(timeout=300)
        t1 = kernel.clock.now()
        data = yield rf.read(100, full=True, timeout=200)   # partial after 200 s
        return t1 - t0, kernel.clock.now() - t1, data

    waited1, waited2, data = kernel.run(main)
    assert waited1 == pytest.approx(300) and waited2 == pytest.approx(200)
    assert data == b"no newline"


def test_read_full_timeout_returns_partial_data(pipe_fds):
    r, w = pipe_fds
    os.write(w, b"part")

    def main():
        rf = AsyncFile(r, closefd=False)
        return (yield rf.read(100, full=True, timeout=0.05))

    assert run(main) == b"part"


def test_big_write_fills_pipe_while_reader_drains_slowly(notifier):
    r, w = os.pipe()
    payload = os.urandom(1 << 20)   # 16x a default pipe buffer

    def reader(rf):
        chunks = []
        while True:
            chunk = yield rf.read(3000, timeout=BOUND)
            if not chunk:
                break
            chunks.append(chunk)
            yield sleep(0)   # let the writer run between reads
        rf.close()
        return b"".join(chunks)

    def main():
        rf, wf = AsyncFile(r), AsyncFile(w)
        t = picoos.Task(reader, rf)
        n = yield wf.write(payload, full=True, timeout=BOUND)
        wf.close()
        data = yield t.finish()
        return n, data

    n, data = Kernel(notifier=notifier).run(main)
    assert n == len(payload)
    assert data == payload


def test_write_without_full_makes_one_partial_write():
    r, w = os.pipe()

    def main():
        with AsyncFile(r) as rf, AsyncFile(w) as wf:
            n = yield wf.write(b"y" * (1 << 20))
            # the pipe took less than all of it, and exactly that much is there
            data = yield rf.read(1 << 21, full=True, timeout=0.05)
            return n, len(data)

    n, got = run(main)
    assert 0 < n < (1 << 20)
    assert got == n


def test_write_to_pipe_without_reader_is_broken_pipe():
    r, w = os.pipe()
    os.close(r)

    def main():
        with AsyncFile(w) as wf:
            with pytest.raises(BrokenPipe) as info:
                yield wf.write(b"data")
            return info.value

    err = run(main)
    assert isinstance(err, BrokenPipeError) and isinstance(err, DriverError)
    assert "reading end is closed" in str(err)


def test_readline_lines_size_limit_and_eof_remainder():
    r, w = os.pipe()
    os.write(w, b"one\ntwo\nthree-is-long\nlast")
    os.close(w)

    def main():
        with AsyncFile(r) as rf:
            lines = [(yield rf.readline(timeout=BOUND)),
                     (yield rf.readline(timeout=BOUND)),
                     (yield rf.readline(size=5, timeout=BOUND)),
                     (yield rf.readline(timeout=BOUND)),
                     (yield rf.readline(timeout=BOUND)),
                     (yield rf.readline(timeout=BOUND))]
            return lines

    assert run(main) == [b"one\n", b"two\n", b"three", b"-is-long\n", b"last", b""]


def test_readline_timeout_keeps_partial_line(pipe_fds):
    r, w = pipe_fds
    os.write(w, b"hal")

    def main():
        rf = AsyncFile(r, closefd=False)
        with pytest.raises(DriverTimeoutError):
            yield rf.readline(timeout=0.05)
        os.write(w, b"f\nnext")
        line = yield rf.readline(timeout=BOUND)
        rest = yield rf.read(10, timeout=BOUND)   # read() sees readline's leftovers
        return line, rest

    assert run(main) == (b"half\n", b"next")


def test_regular_file_goes_through_thread_pool(tmp_path):
    path = tmp_path / "data.bin"
    payload = os.urandom(100000)

    def main():
        with AsyncFile(open(path, "wb")) as f:
            assert "thread" in repr(f)
            n = yield f.write(payload, full=True)
        with AsyncFile(os.open(path, os.O_RDONLY)) as f:
            head = yield f.read(10)
            rest = yield f.read()
            lines = yield f.readline()
        return n, head + rest, lines

    n, data, after_eof = run(main)
    assert n == len(payload) and data == payload and after_eof == b""


def test_dev_null_is_not_pollable_but_works():
    def main():
        with AsyncFile(os.open(os.devnull, os.O_RDWR)) as f:
            assert "thread" in repr(f)
            n = yield f.write(b"gone", full=True)
            eof = yield f.read(10)
        return n, eof

    assert run(main) == (4, b"")


def test_pty_master_reads_eof_when_slave_hangs_up(notifier):
    master, slave = os.openpty()
    tty.setraw(master)

    def main():
        with AsyncFile(master) as m:
            os.write(slave, b"bye")
            first = yield m.read(10, timeout=BOUND)
            os.close(slave)                 # Linux: master reads EIO from now on
            eof = yield m.read(10, timeout=BOUND)
            return first, eof

    assert Kernel(notifier=notifier).run(main) == (b"bye", b"")


def test_close_wakes_a_waiting_reader(pipe_fds, notifier):
    r, w = pipe_fds
    events = []

    def reader(rf):
        try:
            yield rf.read(10)
        except ClosedResourceError as exc:
            events.append(("woken", exc.errno))

    def main():
        rf = AsyncFile(r, closefd=False)
        t = picoos.Task(reader, rf)
        yield sleep(0)    # reader is parked on the fd
        yield sleep(0)
        rf.close()
        yield t.finish()
        with pytest.raises(DriverClosedError):
            yield rf.read(1)
        with pytest.raises(DriverClosedError):
            rf.fileno()
        rf.close()                            # twice is harmless

    Kernel(notifier=notifier).run(main)
    assert events == [("woken", errno.EBADF)]


def test_context_manager_never_swallows_exceptions(pipe_fds):
    r, w = pipe_fds
    f = AsyncFile(r, closefd=False)
    with pytest.raises(KeyError):
        with f:
            raise KeyError("kept")
    assert f.closed


def test_closefd_false_restores_blocking_mode(pipe_fds):
    r, w = pipe_fds
    assert os.get_blocking(r)
    f = AsyncFile(r, closefd=False)
    assert not os.get_blocking(r)
    f.close()
    assert os.get_blocking(r)
    os.fstat(r)   # still open


def test_async_def_task_uses_await():
    r, w = os.pipe()

    async def main():
        async with AsyncFile(r) as rf, AsyncFile(w) as wf:
            await wf.write(b"line 1\nline 2\n", full=True)
            return [await rf.readline(), await rf.readline()]

    assert run(main) == [b"line 1\n", b"line 2\n"]


@pytest.mark.parametrize("bad, exc, words", [
    ("/etc/passwd", InvalidTypeError, "int file descriptor"),
    (3.5, InvalidTypeError, "int file descriptor"),
    (True, InvalidTypeError, "int file descriptor"),
])
def test_bad_fd_arguments(bad, exc, words):
    with pytest.raises(exc) as info:
        AsyncFile(bad)
    assert words in str(info.value)


def test_fd_that_is_not_open_is_a_clear_error():
    r, w = os.pipe()
    os.close(r)
    os.close(w)
    with pytest.raises(InvalidArgumentError) as info:
        AsyncFile(r)
    assert "fd %d is not an open file descriptor" % r in str(info.value)
    assert isinstance(info.value.__cause__, OSError)
    with pytest.raises(InvalidArgumentError):
        AsyncFile(-1)


def test_bad_operation_arguments(pipe_fds):
    r, w = pipe_fds

    def main():
        rf, wf = AsyncFile(r, closefd=False), AsyncFile(w, closefd=False)
        errors = []
        for call, exc in ((lambda: rf.read("10"), InvalidTypeError),
                          (lambda: rf.read(10, timeout=-1), InvalidArgumentError),
                          (lambda: rf.read(10, timeout="soon"), InvalidTypeError),
                          (lambda: rf.readline(size=1.5), InvalidTypeError),
                          (lambda: wf.write("text"), InvalidTypeError),
                          (lambda: wf.write(12), InvalidTypeError)):
            with pytest.raises(exc) as info:
                yield call()
            errors.append(str(info.value))
        return errors

    messages = run(main)
    assert "size must be an int" in messages[0]
    assert ">= 0 seconds" in messages[1]
    assert "encode the text first" in messages[4]
    assert "bytes-like" in messages[5]


# ---------------------------------------------------------------- AsyncPipe
def _popen(code, **kwargs):
    kwargs.setdefault("stdin", subprocess.PIPE)
    kwargs.setdefault("stdout", subprocess.PIPE)
    return subprocess.Popen([PY, "-c", code], **kwargs)


UPPER = ("import sys\n"
         "for l in sys.stdin.buffer: sys.stdout.buffer.write(l.upper()); sys.stdout.flush()")


def test_pipe_line_dialogue_with_a_child(notifier):
    def main():
        pipe = AsyncPipe(_popen(UPPER))
        replies = []
        for word in (b"ping\n", b"pong\n"):
            yield pipe.write(word, full=True, timeout=BOUND)
            replies.append((yield pipe.readline(timeout=BOUND)))
        pipe.stdin.close()
        eof = yield pipe.read(timeout=BOUND)
        status = yield pipe.wait(timeout=BOUND)
        pipe.close()
        return replies, eof, status

    assert Kernel(notifier=notifier).run(main) == ([b"PING\n", b"PONG\n"], b"", 0)


def test_communicate_with_large_input_and_both_outputs():
    # echoes stdin to stdout and a digest to stderr: 4 MB each way at once
    code = ("import sys, hashlib\n"
            "h = hashlib.sha256()\n"
            "while True:\n"
            "    b = sys.stdin.buffer.read(65536)\n"
            "    if not b: break\n"
            "    h.update(b); sys.stdout.buffer.write(b)\n"
            "sys.stderr.write(h.hexdigest())\n")
    payload = os.urandom(4 << 20)

    def main():
        pipe = AsyncPipe(_popen(code, stderr=subprocess.PIPE))
        out, err = yield pipe.communicate(payload)
        return out, err, pipe.returncode

    out, err, status = run(main)
    assert status == 0
    assert out == payload
    assert err.decode() == hashlib.sha256(payload).hexdigest()


def test_communicate_without_input_and_with_str_input():
    def main():
        a = AsyncPipe(_popen("print('hi')"))
        b = AsyncPipe(_popen(UPPER))
        return (yield a.communicate()), (yield b.communicate("text\n"))

    assert run(main) == ((b"hi\n", None), (b"TEXT\n", None))


def test_communicate_input_from_a_file(tmp_path):
    path = tmp_path / "in.txt"
    path.write_bytes(b"abc\n" * 10000)

    def main():
        with open(path, "rb") as src:
            out, _ = yield AsyncPipe(_popen(UPPER)).communicate(src)
        return out

    assert run(main) == b"ABC\n" * 10000


def test_communicate_when_child_exits_without_reading():
    def main():
        pipe = AsyncPipe(_popen("import sys; sys.exit(3)"))
        out, err = yield pipe.communicate(os.urandom(1 << 20))
        return out, err, pipe.returncode

    assert run(main) == (b"", None, 3)


def test_write_to_child_that_exited_is_broken_pipe_not_hang():
    def main():
        pipe = AsyncPipe(_popen("pass"))
        eof = yield pipe.read(timeout=BOUND)          # EOF: the child is gone
        yield pipe.wait(timeout=BOUND)
        with pytest.raises(BrokenPipe):
            yield pipe.write(b"x" * 100000, full=True, timeout=BOUND)
        pipe.close()
        return eof

    assert run(main) == b""


def test_read_stderr_and_readline_stderr():
    code = "import sys; sys.stderr.write('warn 1\\nwarn 2\\n')"

    def main():
        pipe = AsyncPipe(_popen(code, stdout=None, stderr=subprocess.PIPE))
        assert pipe.stdout is None
        first = yield pipe.readline_stderr(timeout=BOUND)
        rest = yield pipe.read_stderr(timeout=BOUND)
        with pytest.raises(InvalidArgumentError) as info:
            yield pipe.read()
        yield pipe.wait(timeout=BOUND)
        pipe.close()
        return first, rest, str(info.value)

    first, rest, msg = run(main)
    assert (first, rest) == (b"warn 1\n", b"warn 2\n")
    assert "stdout=subprocess.PIPE" in msg


def test_three_stage_pipeline_built_by_hand():
    gen = "import sys\nfor i in range(20000): sys.stdout.write('%d\\n' % i)"
    grep = "import sys\nfor l in sys.stdin:\n    if l.endswith('7\\n'): sys.stdout.write(l)"
    count = "import sys; print(sum(1 for _ in sys.stdin))"

    def main():
        a = subprocess.Popen([PY, "-c", gen], stdout=subprocess.PIPE)
        b = subprocess.Popen([PY, "-c", grep], stdin=a.stdout, stdout=subprocess.PIPE)
        c = subprocess.Popen([PY, "-c", count], stdin=b.stdout, stdout=subprocess.PIPE)
        b.stdout.close()               # the middle stage: the caller's job
        pipe = AsyncPipe(a, c)
        assert pipe.stdin is None and pipe.pid == c.pid
        out = yield pipe.read(timeout=BOUND)
        yield pipe.wait(timeout=BOUND)
        pipe.close()
        return out, a.returncode, b.wait(BOUND), c.returncode

    assert run(main) == (b"2000\n", 0, 0, 0)


def test_pipeline_generate_gzip_sha256():
    data = b"".join(b"line %d\n" % i for i in range(50000))
    gz = ("import gzip, sys\n"
          "sys.stdout.buffer.write(gzip.compress(sys.stdin.buffer.read(), mtime=0))")
    sha = "import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())"

    def main():
        pipe = AsyncPipe.pipeline([PY, "-c", gz], [PY, "-c", sha])
        out, err = yield pipe.communicate(data)
        return out.decode().strip(), err, pipe.returncode

    digest, err, status = run(main)
    assert status == 0 and err is None
    assert digest == hashlib.sha256(gzip.compress(data, mtime=0)).hexdigest()


def test_pipeline_downstream_exits_early_gives_broken_pipe():
    head = "import sys; sys.stdout.write(sys.stdin.readline())"

    def main():
        pipe = AsyncPipe.pipeline([PY, "-c", UPPER], [PY, "-c", head])
        yield pipe.write(b"only line\n", full=True, timeout=BOUND)
        line = yield pipe.readline(timeout=BOUND)
        eof = yield pipe.read(timeout=BOUND)
        # head is gone, so UPPER dies of SIGPIPE on its next write; our
        # writes into UPPER then fail too - an error, not a hang
        with pytest.raises(BrokenPipe):
            for _ in range(1000):
                yield pipe.write(b"more\n" * 1000, full=True, timeout=BOUND)
        status = yield pipe.wait(timeout=BOUND)
        pipe.close()
        return line, eof, status, pipe.first.returncode

    line, eof, status, first_status = run(main)
    assert (line, eof, status) == (b"ONLY LINE\n", b"", 0)
    assert first_status != 0        # killed by SIGPIPE (or a BrokenPipeError exit)


def test_wait_timeout_then_terminate():
    def main():
        pipe = AsyncPipe(_popen("import time; time.sleep(60)"))
        assert pipe.poll() is None
        with pytest.raises(DriverTimeoutError) as info:
            yield pipe.wait(timeout=0.05)
        pipe.terminate()
        status = yield pipe.wait(timeout=BOUND)
        pipe.close()
        return status, str(info.value)

    status, msg = run(main)
    assert status == -15
    assert "still running after 0.05 s" in msg


def test_pipe_context_manager_closes_and_propagates():
    proc = _popen(UPPER)
    with pytest.raises(RuntimeError):
        with AsyncPipe(proc) as pipe:
            raise RuntimeError("boom")
    assert pipe.stdin.closed and pipe.stdout.closed
    assert proc.wait(BOUND) == 0       # closing stdin let the filter finish


def test_pipe_bad_arguments():
    with pytest.raises(InvalidTypeError) as info:
        AsyncPipe("cat")
    assert "subprocess.Popen" in str(info.value)
    with pytest.raises(InvalidArgumentError):
        AsyncPipe.pipeline()

    def main():
        pipe = AsyncPipe(_popen("pass", stdin=None))
        with pytest.raises(InvalidArgumentError) as info:
            yield pipe.communicate(b"input")
        out, _ = yield pipe.communicate()
        piped = AsyncPipe(_popen("pass"))
        with pytest.raises(InvalidTypeError) as info2:
            yield piped.communicate(12345)
        yield piped.communicate()
        assert "bytes, str, an AsyncFile or a file object" in str(info2.value)
        return str(info.value), out

    msg, out = run(main)
    assert "stdin=subprocess.PIPE" in msg and out == b""


def test_pycos_compatibility_module():
    assert picoos.asyncfile.AsyncFile is AsyncFile
    assert picoos.asyncfile.AsyncPipe is AsyncPipe
    assert picoos.asyncfile.Popen is subprocess.Popen
    assert picoos.asyncfile.PIPE == subprocess.PIPE


def test_pipeline_example_runs_and_checks_itself():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([PY, os.path.join(root, "examples", "pipeline.py"), "--mb", "2"],
                          capture_output=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert b"matches hashlib in this process" in proc.stdout


def test_seek_and_tell_on_a_regular_file(run_io, tmp_path):
    path = tmp_path / "f.txt"
    path.write_bytes(b"line 1\nline 2\nline 3\n")

    def main(task=None):
        f = AsyncFile(open(path, "r+b", buffering=0))
        got = [(yield f.readline()), f.tell()]       # read-ahead is not counted
        got.append(f.seek(0))
        got.append((yield f.read(4)))
        got.append(f.seek(3, os.SEEK_CUR))
        got.append((yield f.readline()))
        got.append(f.seek(-7, os.SEEK_END))
        got.append((yield f.read()))
        f.seek(0)
        yield f.write(b"LINE", full=True)
        got.append(f.tell())
        f.close()
        return got

    assert run_io(main) == [b"line 1\n", 7, 0, b"line", 7, b"line 2\n", 14, b"line 3\n", 4]
    assert path.read_bytes() == b"LINE 1\nline 2\nline 3\n"


def test_seek_on_a_pipe_raises_espipe():
    r, w = os.pipe()
    f = AsyncFile(r)
    try:
        with pytest.raises(OSError) as info:
            f.seek(0)
        assert info.value.errno == errno.ESPIPE
    finally:
        f.close()
        os.close(w)
