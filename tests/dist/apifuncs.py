"""Job functions of the dispycos client-API tests (shipped as a module)."""
import os

RUNNING = 0      # jobs of this module running on this server now
MOST = 0         # ... and the most there were at once


def hold(task=None):
    """A task job that runs until it is sent a message; returns it."""
    msg = yield task.receive()
    return msg


def exclusive(seconds, task=None):
    """A task job that counts how many of its kind share its server; the
    most seen at once."""
    global RUNNING, MOST
    RUNNING += 1
    MOST = max(MOST, RUNNING)
    try:
        yield task.sleep(seconds)
    finally:
        RUNNING -= 1
    return MOST, os.getpid()


def together(count, limit=30.0, task=None):
    """A task job that waits (up to ``limit`` s) until ``count`` jobs of its
    kind run on its server at once; how many it saw."""
    global RUNNING, MOST
    RUNNING += 1
    MOST = max(MOST, RUNNING)
    try:
        waited = 0.0
        while MOST < count and waited < limit:
            yield task.sleep(0.01)
            waited += 0.01
    finally:
        RUNNING -= 1
    return MOST


def pid(_=None):
    return os.getpid()
