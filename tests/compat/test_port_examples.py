"""The example copies are pycos's programs with only their imports renamed.

port_examples.py makes them; these tests check its rules on small sources
and, where pycos 4.12.2 is installed, that every copy in tests/compat and
tests/dist is exactly the header plus the ported original.
"""
from __future__ import annotations

import os

import pytest

import port_examples as pe


def test_import_lines_are_renamed_and_nothing_else():
    source = ("import pycos\n"
              "import pycos.netpycos\n"
              "from pycos.dispycos import *\n"
              "from pycos import Task\n"
              "import pycos.netpycos as pycos\n"
              "x = 'import pycos.httpd'\n")
    assert pe.port(source) == ("import picoos as pycos\n"
                               "import picoos.netpycos\n"
                               "from picoos.dispycos import *\n"
                               "from picoos import Task\n"
                               "import picoos.netpycos as pycos\n"
                               "x = 'import pycos.httpd'\n")


def test_pycos_submodules_in_a_comma_list():
    source = ("if __name__ == '__main__':\n"
              "    import sys, random, pycos.httpd\n"
              "    import pycos.dispycos, pycos.httpd, sys\n"
              "    import pycos\n")
    assert pe.port(source).splitlines()[1:] == ["    import sys, random, picoos.httpd",
                                                "    import picoos.dispycos, picoos.httpd, sys",
                                                "    import picoos as pycos"]


def test_import_of_a_submodule_binds_pycos_where_its_scope_does_not():
    # "import pycos.x" binds the name pycos in its own scope (here a job
    # function that runs on a server): the renamed line must too
    source = ("def job(task=None):\n"
              "    import pycos.asyncfile\n"
              "    pipe = pycos.asyncfile.AsyncPipe\n"
              "\n"
              "import pycos\n"
              "import pycos.netpycos\n")
    ported = pe.port(source).splitlines()
    assert ported[1] == "    import picoos.asyncfile; import picoos as pycos"
    assert ported[5] == "import picoos.netpycos"      # "import pycos" binds it here


def _copies():
    for out_dir, names, header in ((pe.OUT, pe.EXAMPLES, pe.HEADER),
                                   (pe.DIST_OUT, pe.DIST_EXAMPLES, pe.DIST_HEADER)):
        for name in names:
            yield os.path.join(out_dir, name), name, header


@pytest.mark.parametrize("path,name,header", list(_copies()),
                         ids=lambda v: os.path.basename(v) if isinstance(v, str) else None)
def test_copy_is_the_ported_original(path, name, header):
    # pycos 4.12.2 is in the test extra: without it these checks fail, not skip
    import pycos
    original = os.path.join(os.path.dirname(pycos.__file__), "examples", name)
    assert os.path.exists(original), "pycos %s has no examples/%s" % (pycos.__version__, name)
    with open(original) as f:
        text = f.read()
    with open(path) as f:
        copy = f.read()
    assert copy == (header % name if "%s" in header else header) + pe.port(text)
