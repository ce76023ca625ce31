"""Location: value semantics (eq/hash/repr/pickle) and argument checks."""
from __future__ import annotations

import pickle

import pytest

from picoos import Location
from picoos.kernel.errors import InvalidArgument


def test_equality_hash_repr():
    a = Location("127.0.0.1", 9705)
    b = Location("127.0.0.1", "9705")            # a numeric string is accepted
    c = Location("127.0.0.1", 9706)
    d = Location("127.0.0.2", 9705)
    assert a == b and hash(a) == hash(b)
    assert a != c and a != d and not (a == c)
    assert a != ("127.0.0.1", 9705)              # only Locations compare equal
    assert len({a, b, c, d}) == 3
    assert repr(a) == "127.0.0.1:9705"
    assert repr(Location("::1", 80)) == "::1:80"
    assert (a.addr, a.port) == ("127.0.0.1", 9705)


def test_host_name_is_resolved():
    # localhost comes from /etc/hosts, not DNS
    loc = Location("localhost", 1)
    assert loc.addr in ("127.0.0.1", "::1")


def test_pickle_round_trip():
    a = Location("10.0.0.7", 51351)
    back = pickle.loads(pickle.dumps(a))
    assert back == a and back.port == 51351 and back.addr == "10.0.0.7"


@pytest.mark.parametrize("port", [-1, 65536, "http", None, 1.5j])
def test_bad_port(port):
    with pytest.raises(InvalidArgument, match="tcp_port must be 0..65535"):
        Location("127.0.0.1", port)
    assert issubclass(InvalidArgument, ValueError)


def test_unresolvable_host():
    # an empty label fails in the IDNA encoder: no DNS query is made
    with pytest.raises(InvalidArgument, match="cannot resolve host 'a..b'"):
        Location("a..b", 1)
