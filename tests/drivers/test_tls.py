"""TLS: the context helpers, and AsyncSocket over TLS on every notifier.

Certificates come from the `tls_files` fixture (made with `cryptography` in
conftest); nothing is read from the machine's CA store.
"""
import socket
import ssl
import struct
import threading

import pytest

from picoos.drivers import tls
from picoos.drivers.asyncsocket import AsyncSocket
from picoos.drivers.errors import DriverError
from picoos.kernel.task import Task
from picoos.kernel.traps import Value


def tls_listener(**kwargs):
    sock = AsyncSocket(socket.socket(), **kwargs)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    return sock


def echo_once(lsock):
    """Accept one TLS connection and echo until EOF; return bytes echoed."""
    conn, _ = yield lsock.accept()
    n = 0
    while True:
        data = yield conn.recv(65536)
        if not data:
            break
        n += len(data)
        yield conn.sendall(data)
    conn.close()
    lsock.close()
    return n


def accept_error(lsock):
    """Accept one connection whose handshake should fail; return the error."""
    try:
        yield lsock.accept()
    except (ssl.SSLError, OSError) as exc:
        return exc
    finally:
        lsock.close()
    return None


# ---------------------------------------------------------------- contexts

def test_client_contexts_always_verify(tls_files):
    ctx = tls.client_context(tls_files.ca)
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    assert ctx.minimum_version >= ssl.TLSVersion.TLSv1_2
    fleet = tls.fleet_client_context(tls_files.ca)
    assert fleet.verify_mode == ssl.CERT_REQUIRED and not fleet.check_hostname
    system = tls.client_context()  # the system CA store
    assert system.verify_mode == ssl.CERT_REQUIRED and system.check_hostname
    srv = tls.server_context(tls_files.server_cert, tls_files.server_key)
    assert srv.verify_mode == ssl.CERT_NONE
    mutual = tls.server_context(tls_files.server_cert, tls_files.server_key, cafile=tls_files.ca)
    assert mutual.verify_mode == ssl.CERT_REQUIRED
    newest = tls.client_context(tls_files.ca, minimum_version=ssl.TLSVersion.TLSv1_3)
    assert newest.minimum_version == ssl.TLSVersion.TLSv1_3


def test_context_errors_say_what_was_wrong(tls_files, tmp_path):
    missing = str(tmp_path / "nope.pem")
    with pytest.raises(tls.TLSConfigError, match="does not exist"):
        tls.server_context(missing)
    with pytest.raises(tls.TLSConfigError, match="needs certfile"):
        tls.server_context(None)
    with pytest.raises(tls.TLSConfigError, match="matching private key"):
        tls.server_context(tls_files.server_cert, tls_files.client_key)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    with pytest.raises(tls.TLSConfigError, match="CA certificates"):
        tls.client_context(str(garbage))
    with pytest.raises(tls.TLSConfigError, match="cafile"):
        tls.fleet_client_context(None)
    with pytest.raises(tls.TLSConfigError, match="too old"):
        tls.client_context(tls_files.ca, minimum_version=ssl.TLSVersion.TLSv1_1)
    err = tls.TLSConfigError("x")
    assert isinstance(err, ValueError) and isinstance(err, DriverError)


def test_context_for_version():
    assert tls.context_for_version(None) is None
    assert tls.context_for_version(ssl.PROTOCOL_TLS_CLIENT) is None
    assert tls.context_for_version(ssl.TLSVersion.TLSv1_3) == ssl.TLSVersion.TLSv1_3
    with pytest.raises(tls.TLSConfigError, match="not supported"):
        tls.context_for_version("TLSv1")


# ---------------------------------------------------------------- TLS echo

def test_tls_echo_with_fleet_ca(run_io, tls_files):
    payload = bytes(range(256)) * 4096  # 1 MiB: many records, want-read/want-write

    def main():
        lsock = tls_listener(ssl_context=tls.server_context(tls_files.server_cert,
                                                           tls_files.server_key))
        server = Task(echo_once, lsock)
        client = AsyncSocket(socket.socket(),
                             ssl_context=tls.fleet_client_context(tls_files.ca))
        yield client.connect(lsock.getsockname())
        assert isinstance(client.getpeercert(), dict)  # passthrough to the SSLSocket
        yield client.send_msg(b"hello over TLS")
        first = yield client.recv_msg()

        def reader():
            return (yield client.recvall(len(payload)))

        r = Task(reader)
        yield client.sendall(payload)
        echoed = yield r.finish()
        version = client.version()
        client.close()
        total = yield server.finish()
        return first, echoed == payload, total, version

    first, same, total, version = run_io(main)
    assert first == b"hello over TLS"
    assert same
    assert total == 4 + len(b"hello over TLS") + len(payload)
    assert version in ("TLSv1.2", "TLSv1.3")


def test_tls_hostname_checked_by_default(run_io, tls_files):
    def main():
        lsock = tls_listener(ssl_context=tls.server_context(tls_files.server_cert,
                                                           tls_files.server_key))
        server = Task(echo_once, lsock)
        ok = AsyncSocket(socket.socket(), ssl_context=tls.client_context(tls_files.ca),
                         server_hostname="localhost")
        yield ok.connect(lsock.getsockname())
        yield ok.sendall(b"named")
        reply = yield ok.recvall(5)
        ok.close()
        yield server.finish()

        lsock = tls_listener(ssl_context=tls.server_context(tls_files.server_cert,
                                                           tls_files.server_key))
        server = Task(accept_error, lsock)
        bad = AsyncSocket(socket.socket(), ssl_context=tls.client_context(tls_files.ca),
                          server_hostname="not-this-node.example")
        try:
            yield bad.connect(lsock.getsockname())
        except ssl.SSLCertVerificationError as exc:
            client_err = exc
        else:
            client_err = None
        bad.close()
        server_err = yield server.finish()
        return reply, client_err, server_err

    reply, client_err, server_err = run_io(main)
    assert reply == b"named"
    assert isinstance(client_err, ssl.SSLCertVerificationError)
    assert "hostname" in str(client_err).lower() or "match" in str(client_err).lower()
    assert isinstance(server_err, (ssl.SSLError, OSError))


def test_tls_untrusted_server_is_refused(run_io, tls_files):
    def main():
        lsock = tls_listener(ssl_context=tls.server_context(tls_files.server_cert,
                                                           tls_files.server_key))
        server = Task(accept_error, lsock)
        client = AsyncSocket(socket.socket(),
                             ssl_context=tls.fleet_client_context(tls_files.other_ca))
        try:
            yield client.connect(lsock.getsockname())
        except ssl.SSLCertVerificationError as exc:
            err = exc
        else:
            err = None
        client.close()
        yield server.finish()
        return err

    assert isinstance(run_io(main), ssl.SSLCertVerificationError)


def test_tls_pycos_style_self_signed_certfile(run_io, tls_files):
    # pycos: the listener gets certfile (key inside), the client the same
    # certfile, which it then trusts as its only CA
    def main():
        lsock = tls_listener(certfile=tls_files.self_signed)
        server = Task(echo_once, lsock)
        client = AsyncSocket(socket.socket(), certfile=tls_files.self_signed)
        yield client.connect(lsock.getsockname())
        yield client.send_msg(b"self-signed fleet")
        reply = yield client.recv_msg()
        client.close()
        yield server.finish()
        return reply

    assert run_io(main) == b"self-signed fleet"


def test_tls_mutual_authentication(run_io, tls_files):
    srv_ctx = tls.server_context(tls_files.server_cert, tls_files.server_key,
                                 cafile=tls_files.ca)

    def main():
        lsock = tls_listener(ssl_context=srv_ctx)
        server = Task(echo_once, lsock)
        client = AsyncSocket(socket.socket(), ssl_context=tls.fleet_client_context(
            tls_files.ca, certfile=tls_files.client_cert, keyfile=tls_files.client_key))
        yield client.connect(lsock.getsockname())
        yield client.sendall(b"with cert")
        reply = yield client.recvall(9)
        client.close()
        yield server.finish()

        # without a client certificate the server refuses (TLS 1.3 reports it
        # to the client on its first read, TLS 1.2 during the handshake)
        lsock = tls_listener(ssl_context=srv_ctx)
        server = Task(accept_error, lsock)
        anon = AsyncSocket(socket.socket(), ssl_context=tls.fleet_client_context(tls_files.ca))
        try:
            yield anon.connect(lsock.getsockname())
            data = yield anon.recv(10)
            client_saw = data
        except (ssl.SSLError, OSError) as exc:
            client_saw = exc
        anon.close()
        server_err = yield server.finish()
        return reply, client_saw, server_err

    reply, client_saw, server_err = run_io(main)
    assert reply == b"with cert"
    assert client_saw == b"" or isinstance(client_saw, (ssl.SSLError, OSError))
    assert isinstance(server_err, ssl.SSLError)


def test_tls_pending_bytes_are_read_without_waiting(run_io, tls_files):
    # Three messages go out in one TLS record. After the first 1-byte read the
    # rest sits decrypted inside OpenSSL while the fd is not readable: a read
    # that waited on the notifier first would hang here (the watchdog).
    def main():
        lsock = tls_listener(ssl_context=tls.server_context(tls_files.server_cert,
                                                           tls_files.server_key))
        client = AsyncSocket(socket.socket(),
                             ssl_context=tls.fleet_client_context(tls_files.ca))
        acc = Task(lambda: (yield lsock.accept()))
        yield client.connect(lsock.getsockname())
        conn, _ = yield acc.finish()
        yield conn.sendall(b"abc" + struct.pack(">L", 2) + b"hi")
        first = yield client.recv(1)
        assert client.pending() > 0
        fast = client.recv(2)
        assert type(fast) is Value  # served from OpenSSL's buffer, no wait
        rest = yield fast
        msg = yield client.recv_msg()
        for s in (client, conn, lsock):
            s.close()
        return first + rest, msg

    assert run_io(main) == (b"abc", b"hi")


def test_tls_handshake_timeout_on_silent_client(run_io, tls_files):
    def main():
        lsock = tls_listener(ssl_context=tls.server_context(tls_files.server_cert,
                                                           tls_files.server_key))
        lsock.settimeout(0.05)
        silent = socket.create_connection(lsock.getsockname())  # never says hello
        try:
            with pytest.raises(socket.timeout):
                yield lsock.accept()
        finally:
            silent.close()
            lsock.close()
        return True

    assert run_io(main)


def test_tls_peer_close_is_eof_and_reset_wakes_the_reader(run_io, tls_files):
    # A clean close reads as b''. A reset wakes the reader at once, but how
    # it shows depends on the Python version: OpenSSL loses the errno and
    # some versions of the ssl module report end of stream, others raise
    # ConnectionResetError. Either way nothing may hang.
    def main():
        lsock = tls_listener(ssl_context=tls.server_context(tls_files.server_cert,
                                                           tls_files.server_key))
        results = []
        for mode in ("close", "reset"):
            acc = Task(lambda: (yield lsock.accept()))
            client = AsyncSocket(socket.socket(),
                                 ssl_context=tls.fleet_client_context(tls_files.ca))
            yield client.connect(lsock.getsockname())
            conn, _ = yield acc.finish()
            # a read on the client takes in the TLS 1.3 session tickets; left
            # unread, the kernel would answer the close with a reset
            yield conn.sendall(b"!")
            assert (yield client.recvall(1)) == b"!"

            def reader(c=conn):
                try:
                    return (yield c.recv(10))
                except ConnectionResetError as exc:
                    return exc

            r = Task(reader)
            yield None  # the reader waits now
            if mode == "reset":
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.close()
            try:
                results.append((yield r.finish()))
            finally:
                conn.close()
        lsock.close()
        return results

    eof, reset = run_io(main)
    assert eof == b""
    assert reset == b"" or isinstance(reset, ConnectionResetError)


def test_tls_async_def_client(run_io, tls_files):
    async def client(addr):
        sock = AsyncSocket(socket.socket(), ssl_context=tls.fleet_client_context(tls_files.ca))
        await sock.connect(addr)
        await sock.send_msg(b"awaited")
        reply = await sock.recv_msg()
        sock.close()
        return reply

    def main():
        lsock = tls_listener(ssl_context=tls.server_context(tls_files.server_cert,
                                                           tls_files.server_key))
        server = Task(echo_once, lsock)
        reply = yield Task(client, lsock.getsockname()).finish()
        yield server.finish()
        return reply

    assert run_io(main) == b"awaited"


def test_tls_blocking_client_in_a_thread(run_io, tls_files):
    result = {}

    def main():
        lsock = tls_listener(ssl_context=tls.server_context(tls_files.server_cert,
                                                           tls_files.server_key))
        addr = lsock.getsockname()

        def blocking_client():
            sock = AsyncSocket(socket.socket(), blocking=True,
                               ssl_context=tls.fleet_client_context(tls_files.ca))
            sock.settimeout(20)
            sock.connect(addr)
            sock.send_msg(b"from a thread")
            result["reply"] = sock.recv_msg()
            sock.close()

        server = Task(echo_once, lsock)
        t = threading.Thread(target=blocking_client)
        t.start()
        total = yield server.finish()
        t.join(20)
        return total

    assert run_io(main) == 4 + len(b"from a thread")
    assert result == {"reply": b"from a thread"}


def test_tls_blocking_server_in_a_thread(run_io, tls_files):
    lsock = AsyncSocket(socket.socket(), blocking=True, certfile=tls_files.server_cert,
                        keyfile=tls_files.server_key)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    lsock.settimeout(20)
    seen = {}

    def blocking_server():
        conn, _ = lsock.accept()  # handshake done here, synchronously
        seen["version"] = conn.version()
        conn.send_msg(conn.recv_msg().upper())
        conn.close()

    t = threading.Thread(target=blocking_server)
    t.start()

    def main():
        sock = AsyncSocket(socket.socket(), ssl_context=tls.fleet_client_context(tls_files.ca))
        yield sock.connect(lsock.getsockname())
        yield sock.send_msg(b"shout")
        reply = yield sock.recv_msg()
        sock.close()
        return reply

    try:
        assert run_io(main) == b"SHOUT"
    finally:
        t.join(20)
        lsock.close()
    assert seen["version"] in ("TLSv1.2", "TLSv1.3")
