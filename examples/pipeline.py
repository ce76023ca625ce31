"""A subprocess pipeline driven by picoos tasks: generate | gzip | sha256.

Why: shows AsyncPipe doing what shell pipes do, without threads - one task
feeds data into the first process, another reads the last process's
output, and the kernel runs both (and anything else) at once.

    python examples/pipeline.py            # 20 MB of generated lines
    python examples/pipeline.py --mb 200

The stages are Python one-liners run with this interpreter, so the example
works wherever picoos does; on a board ``gzip -c`` and ``sha256sum`` would
do the same.  The result is checked against hashlib in this process.
"""
import argparse
import gzip
import hashlib
import io
import sys
import time

import picoos
from picoos.drivers.asyncfile import AsyncPipe

# (filename '' keeps "<stdout>" out of the gzip header, so the bytes match
# what this process computes with an unnamed BytesIO)
GZIP = ("import gzip, shutil, sys\n"
        "with gzip.GzipFile('', 'wb', fileobj=sys.stdout.buffer, mtime=0) as z:\n"
        "    shutil.copyfileobj(sys.stdin.buffer, z, 65536)\n")
SHA256 = ("import hashlib, sys\n"
          "h = hashlib.sha256()\n"
          "for b in iter(lambda: sys.stdin.buffer.read(65536), b''): h.update(b)\n"
          "print(h.hexdigest())\n")


def blocks(total):
    """The generated data, in 64 KiB blocks."""
    line_no = 0
    sent = 0
    while sent < total:
        block = []
        size = 0
        while size < 65536:
            line = b"%08d the quick brown fox jumps over the lazy dog\n" % line_no
            block.append(line)
            size += len(line)
            line_no += 1
        data = b"".join(block)[: total - sent]
        sent += len(data)
        yield data


def feed(pipe, total):
    """Task: write the generated data into the first stage, then close it."""
    for data in blocks(total):
        yield pipe.write(data, full=True)
    pipe.stdin.close()


def run_pipeline(total):
    pipe = AsyncPipe.pipeline([sys.executable, "-c", GZIP], [sys.executable, "-c", SHA256])
    feeder = picoos.Task(feed, pipe, total)
    digest = yield pipe.read()          # read to EOF while the feeder writes
    yield feeder.finish()
    status = yield pipe.wait()
    pipe.close()
    return digest.decode().strip(), status


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=float, default=20, help="megabytes to generate")
    args = ap.parse_args(argv)
    total = int(args.mb * 1e6)

    start = time.monotonic()
    digest, status = picoos.run(run_pipeline, total)
    elapsed = time.monotonic() - start

    # the same compression here (deflate output does not depend on how the
    # input was split into writes)
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as z:
        for data in blocks(total):
            z.write(data)
    expected = hashlib.sha256(buf.getvalue()).hexdigest()
    print("sha256(gzip(data)) = %s  (%d bytes in %.2f s, exit status %d)"
          % (digest, total, elapsed, status))
    if digest != expected:
        print("MISMATCH: expected %s" % expected)
        return 1
    print("matches hashlib in this process")
    return 0


if __name__ == "__main__":
    sys.exit(main())
