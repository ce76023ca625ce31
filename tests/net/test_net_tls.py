"""TLS on every link when the kernels have a certificate."""
import datetime
import ipaddress

import pytest

from picoos.kernel.task import Task

from net_helpers import run_net

BOUND = 10


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "picoos fleet")])
    now = datetime.datetime.now(datetime.timezone.utc)
    crt = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
           .public_key(key.public_key()).serial_number(x509.random_serial_number())
           .not_valid_before(now - datetime.timedelta(days=1))
           .not_valid_after(now + datetime.timedelta(days=30))
           .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
           .add_extension(x509.SubjectAlternativeName(
               [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
           .sign(key, hashes.SHA256()))
    d = tmp_path_factory.mktemp("tls")
    certfile, keyfile = d / "fleet.crt", d / "fleet.key"
    certfile.write_bytes(crt.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return str(certfile), str(keyfile)


def test_tls_link(child, cert):
    c = child(certfile=cert[0], keyfile=cert[1])

    def main(kernel, task):
        assert (yield kernel.peer(c.location)) == 0
        sock = kernel._peers[c.location].socks[0]
        version = sock._sock.version()
        echo = yield Task.locate("echo", c.location, timeout=BOUND)
        echo.send((task, "over tls"))
        return version, (yield task.receive(BOUND))

    version, got = run_net(main, certfile=cert[0], keyfile=cert[1])
    assert version in ("TLSv1.2", "TLSv1.3")
    assert got == ("echo", "over tls")


def test_plain_kernel_cannot_talk_to_tls_kernel(child, cert):
    c = child(certfile=cert[0], keyfile=cert[1])

    def main(kernel, task):
        return (yield kernel.peer(c.location))

    assert run_net(main) == -1
