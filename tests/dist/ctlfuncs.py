"""Setup and job functions of the fleet-control tests (shipped as a module)."""
import os

NODE_DATA = None
FACTOR = None


def load_node(value):
    """node_setup: binds a value and a module the jobs use without importing it."""
    global NODE_DATA, hashlib
    import hashlib
    NODE_DATA = value
    return 0


def read_and_remove(name):
    """node_setup: reads a file sent to the node's Location, then deletes it
    (so it cannot simply run again on each server)."""
    global NODE_DATA
    with open(name) as f:
        NODE_DATA = f.read()
    os.remove(name)
    return 0


def node_data(_=None):
    digest = hashlib.sha1(NODE_DATA.encode()).hexdigest()  # noqa: F821 - bound by load_node
    return NODE_DATA, digest, os.getpid()


def plain_node_data(_=None):
    return NODE_DATA, os.getpid()


def set_factor(factor):
    """server_setup: a per-server value."""
    global FACTOR
    FACTOR = factor
    return 0


def scaled(x):
    return FACTOR * x, os.getpid()


def close_me(restart=False):
    """A job that closes its own server (dispycos_close_server is a global there)."""
    dispycos_close_server(restart=restart)  # noqa: F821
    return os.getpid()


def pid(_=None):
    return os.getpid()
