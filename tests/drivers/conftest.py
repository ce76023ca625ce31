"""Fixtures for the socket and TLS driver tests.

- `notifier`: every notifier backend this machine has (epoll, poll, select;
  kqueue on BSD/macOS), so each socket test runs once per backend.
- `run_io`: runs a task function on a fresh kernel in the test's thread with
  that backend, under a watchdog: a hang becomes a test failure (with the
  traceback of the line that hung) after a generous bound, never a stuck
  test run. Nothing sleeps to wait for an event.
- `tls_files`: a throw-away PKI made with `cryptography` once per session: a
  fleet CA, a server certificate for localhost/127.0.0.1/::1, a client
  certificate, a self-signed certificate and an unrelated CA.
"""
from __future__ import annotations

import datetime
import ipaddress
import os
from types import SimpleNamespace

import pytest

from picoos.kernel.notifier import available
from picoos.kernel.scheduler import Kernel
from picoos.kernel.task import Task

# a real hang only; healthy tests finish in milliseconds
HANG_BOUND = 20.0


@pytest.fixture(params=available())
def notifier(request):
    return request.param


@pytest.fixture
def run_io(notifier):
    """`run_io(fn, *args)`: run generator/async function `fn` as the main
    task of a new kernel using `notifier`; return its value, raise its error."""

    def run(fn, *args, bound=HANG_BOUND, **kwargs):
        hung = []
        kernel = Kernel(notifier=notifier)

        def watchdog(main, task=None):
            yield task.sleep(bound)
            hung.append(True)
            # every task still alive is stuck: end them, fail the main one
            for t in list(kernel.tasks()):
                if t is not main and t is not task:
                    t.terminate()
            main.throw(AssertionError("task hung for %.0f s (watchdog)" % bound))

        def main(task=None):
            dog = Task(watchdog, task)
            dog.set_daemon()
            return (yield fn(*args, **kwargs))

        result = kernel.run(main)
        assert not hung, "a task hung (watchdog fired)"
        return result

    return run


def _make_pki(directory):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def write(fname, data):
        path = os.path.join(directory, fname)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def key_pem(key):
        return key.private_bytes(serialization.Encoding.PEM,
                                 serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())

    def cert(subject, key, issuer, issuer_key, ca=False, sans=(), usage=None):
        b = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
             .public_key(key.public_key()).serial_number(x509.random_serial_number())
             .not_valid_before(now - datetime.timedelta(days=1))
             .not_valid_after(now + datetime.timedelta(days=30))
             .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if ca:
            b = b.add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                                critical=False)
        else:
            b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                issuer_key.public_key()), critical=False)
        if sans:
            b = b.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
        if usage:
            b = b.add_extension(x509.ExtendedKeyUsage(usage), critical=False)
        return b.sign(issuer_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)

    def key():
        return ec.generate_private_key(ec.SECP256R1())

    ca_key, other_key, srv_key, cli_key, self_key = key(), key(), key(), key(), key()
    hosts = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
             x509.IPAddress(ipaddress.ip_address("::1"))]
    files = SimpleNamespace()
    files.ca = write("ca.pem", cert("picoos test fleet CA", ca_key, "picoos test fleet CA",
                                    ca_key, ca=True))
    files.other_ca = write("other-ca.pem", cert("unrelated CA", other_key, "unrelated CA",
                                                other_key, ca=True))
    files.server_cert = write("server.pem", cert("node-1", srv_key, "picoos test fleet CA",
                                                 ca_key, sans=hosts,
                                                 usage=[ExtendedKeyUsageOID.SERVER_AUTH]))
    files.server_key = write("server.key", key_pem(srv_key))
    files.client_cert = write("client.pem", cert("client-1", cli_key, "picoos test fleet CA",
                                                 ca_key, usage=[ExtendedKeyUsageOID.CLIENT_AUTH]))
    files.client_key = write("client.key", key_pem(cli_key))
    # self-signed: its own CA, as pycos's fleets used; key and cert in one file
    self_cert = cert("self-signed node", self_key, "self-signed node", self_key, ca=True,
                     sans=hosts)
    files.self_signed = write("self.pem", key_pem(self_key) + self_cert)
    return files


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory):
    return _make_pki(str(tmp_path_factory.mktemp("pki")))
