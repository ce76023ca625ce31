"""The net layer's HMAC-SHA256 (digest.py) equals the standard library's,
and the sans-I/O modules the node daemon uses load no OpenSSL."""
import hashlib
import hmac
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from picoos.net.digest import MAC_SIZE, compare_digest, hmac_sha256


@settings(max_examples=300, deadline=None)
@given(key=st.binary(max_size=200), parts=st.lists(st.binary(max_size=300), max_size=5))
def test_same_digest_as_the_standard_library(key, parts):
    want = hmac.new(key, b"".join(parts), hashlib.sha256).digest()
    assert hmac_sha256(key, *parts) == want and len(want) == MAC_SIZE


def test_keys_around_the_block_size_and_buffer_parts():
    for n in (0, 1, 63, 64, 65, 128, 1000):
        key = bytes(range(256)) * 4
        key = key[:n]
        msg = bytearray(b"x" * n)
        assert hmac_sha256(key, memoryview(msg), b"") == \
            hmac.new(key, bytes(msg), hashlib.sha256).digest()
    assert compare_digest(b"a" * 32, b"a" * 32) and not compare_digest(b"a" * 32, b"b" * 32)


def test_sans_io_modules_load_no_openssl():
    """The node daemon's memory budget: wire, auth, link, discovery and
    files must not pull in hashlib/hmac (and with them libcrypto)."""
    prog = ("import sys\n"
            "import picoos.net.wire, picoos.net.auth, picoos.net.link\n"
            "import picoos.net.discovery, picoos.net.files\n"
            "print(sorted(m for m in ('hashlib', '_hashlib', 'hmac', 'ssl') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
