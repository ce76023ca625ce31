"""picoos: a pico OS for Python on small boards.

A kernel of generator and `async def` tasks with pycos's programming model
(`Task`, `Pycos`, locks, channels, message passing), drivers that make
sockets, pipes, files, serial ports and GPIO lines awaitable, a secure net
layer and a job-farming dist layer.  pycos programs port by renaming
imports.

Every public name is loaded on first use (PEP 562), so `import picoos` is
cheap, prints nothing, configures no logging and starts no thread.
"""

__version__ = "0.1.0"

_NAMES = {
    # kernel
    "Task": "picoos.kernel.task",
    "MonitorStatus": "picoos.kernel.task",
    "HotSwapException": "picoos.kernel.task",
    "Pycos": "picoos.kernel.scheduler",
    "Kernel": "picoos.kernel.scheduler",
    "run": "picoos.kernel.scheduler",
    "Lock": "picoos.kernel.sync",
    "RLock": "picoos.kernel.sync",
    "Condition": "picoos.kernel.sync",
    "Event": "picoos.kernel.sync",
    "Semaphore": "picoos.kernel.sync",
    "Channel": "picoos.kernel.channel",
    "CategorizeMessages": "picoos.kernel.messages",
    "AsyncThreadPool": "picoos.kernel.threadpool",
    "AsyncDBCursor": "picoos.kernel.threadpool",
    "Location": "picoos.kernel.location",
    "PicoosError": "picoos.kernel.errors",
    "coro": "picoos.kernel.traps",
    # drivers
    "AsyncSocket": "picoos.drivers.asyncsocket",
    "AsyncFile": "picoos.drivers.asyncfile",
    "AsyncPipe": "picoos.drivers.asyncfile",
    "AsyncSerial": "picoos.drivers.serial",
}

__all__ = sorted(_NAMES) + ["logger", "Logger", "serialize", "deserialize"]

# submodules and subpackages: `picoos.httpd` after `import picoos as pycos`
# loads picoos.httpd, as if the program had imported it (pycos programs use
# `pycos.httpd`, `pycos.asyncfile`, ... where their imports made them attributes)
_SUBMODULES = frozenset(["asyncfile", "dispycos", "httpd", "netpycos", "testing",
                         "kernel", "drivers", "net", "dist"])


class Logger:
    """pycos's log-level names, for `picoos.logger.setLevel(picoos.Logger.DEBUG)`."""

    CRITICAL = 50
    ERROR = 40
    WARNING = 30
    INFO = 20
    DEBUG = 10


def serialize(obj) -> bytes:
    """Pickle `obj` (pycos API; only for data you trust or send to peers)."""
    import pickle
    return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)


def deserialize(data: bytes):
    """Unpickle `data` (pycos API; never use it on data from an untrusted
    source — the net layer only does so after authentication)."""
    import pickle
    return pickle.loads(data)


def _pycos_logger():
    """`picoos.logger`, pycos's logger: INFO and up printed to stdout.

    Only a program that uses this pycos name gets a handler (on the "picoos"
    logger, never the root one), and only when it has configured logging
    neither there nor on the root; `import picoos` configures nothing.
    """
    import logging
    import sys
    log = logging.getLogger("picoos")
    if not log.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s - %(message)s"))
        log.addHandler(handler)
        if log.level == logging.NOTSET:
            log.setLevel(logging.INFO)
    return log


def __getattr__(name):
    module = _NAMES.get(name)
    if module is None:
        if name in _SUBMODULES:
            import importlib
            return importlib.import_module("picoos." + name)   # sets the attribute
        if name == "logger":
            value = _pycos_logger()
            globals()["logger"] = value
            return value
        raise AttributeError("module 'picoos' has no attribute %r" % name)
    import importlib
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
