"""The interface every notifier backend implements, and backend choice.

A backend watches file descriptors for readiness and nothing else: it does
not know about tasks.  The kernel keeps "which task waits on which fd" and
calls the backend only when the interest set of an fd changes, so an fd that
is read again and again stays registered and costs no system call per wait.

A backend class `Notifier` must provide:

* `name` — "epoll", "kqueue", "poll" or "select";
* `register(fd, mask)` — start watching `fd` for `mask` (READ | WRITE);
* `modify(fd, mask)` — change the mask of a watched fd;
* `unregister(fd)` — stop watching (must not fail if the fd was closed);
* `per_file` — True when the system watches the open file rather than the
  fd number (epoll, kqueue): closing the fd then ends the watch silently;
* `refresh(fd, mask)` — make sure `fd` is watched for `mask` although it may
  have been closed and its number given to a new file since it was
  registered (raises OSError if the fd is closed or refused);
* `wait(timeout)` — block up to `timeout` seconds (None: forever, 0: poll)
  and return a list of `(fd, mask)`; errors and hang-ups are reported as
  READ | WRITE so that whoever waits retries its system call and sees the
  error itself;
* `close()`.

`register`/`modify` raise OSError when the system refuses the fd (for
example epoll refuses regular files with EPERM).
"""
import os

READ = 1
WRITE = 2

_ORDER = ("epoll", "kqueue", "poll", "select")


def translate(events, in_bits, out_bits, err_bits):
    """Turn a poll-style list of (fd, event bits) into (fd, READ/WRITE mask);
    an error or hang-up wakes both directions, so whoever waits retries its
    system call and meets the error itself."""
    out = []
    for fd, ev in events:
        if ev & err_bits:
            out.append((fd, READ | WRITE))
        else:
            out.append((fd, (READ if ev & in_bits else 0) | (WRITE if ev & out_bits else 0)))
    return out


def available():
    """Names of the backends this system supports, best first."""
    import select
    names = []
    if hasattr(select, "epoll"):
        names.append("epoll")
    if hasattr(select, "kqueue"):
        names.append("kqueue")
    if hasattr(select, "poll"):
        names.append("poll")
    names.append("select")
    return names


def choose(name=None):
    """Return a new notifier: `name`, else $PICOOS_NOTIFIER, else the best."""
    if name is None:
        name = os.environ.get("PICOOS_NOTIFIER") or None
    have = available()
    if name is None:
        name = have[0]
    elif name not in _ORDER:
        from ..errors import InvalidArgument
        raise InvalidArgument("unknown notifier %r; expected one of %s" % (name, ", ".join(_ORDER)))
    elif name not in have:
        from ..errors import InvalidArgument
        raise InvalidArgument("notifier %r is not available on this system (available: %s)"
                              % (name, ", ".join(have)))
    if name == "epoll":
        from .epoll import Notifier
    elif name == "kqueue":
        from .kqueue import Notifier
    elif name == "poll":
        from .poll import Notifier
    else:
        from .select import Notifier
    return Notifier()
