"""pycos-compatible home of ``AsyncFile`` and ``AsyncPipe``.

pycos programs do ``import pycos.asyncfile`` and then use
``pycos.asyncfile.AsyncPipe`` together with ``subprocess.Popen``.  This
module lets them port by renaming the import to ``picoos.asyncfile``; the
code lives in ``picoos.drivers.asyncfile``.
"""
from subprocess import DEVNULL, PIPE, STDOUT, Popen

from picoos.drivers.asyncfile import AsyncFile, AsyncPipe

__all__ = ["AsyncFile", "AsyncPipe", "Popen", "PIPE", "STDOUT", "DEVNULL"]
