"""`import picoos` must be cheap and silent: no output, no thread, no
logging configuration, none of the heavy modules; and every public name
must resolve."""
from __future__ import annotations

import json

import picoos

HEAVY = ("ssl", "pickle", "inspect", "socket", "picoos.net", "picoos.dist")


def test_import_is_silent_and_lean(run_py):
    proc = run_py("""
        import sys, threading, logging, json
        before = set(sys.modules)
        import picoos
        print(json.dumps({
            "threads": threading.active_count(),
            "handlers": len(logging.root.handlers),
            "picoos_handlers": len(logging.getLogger("picoos").handlers),
            "modules": sorted(m for m in set(sys.modules) - before),
        }))
    """, env={"PYTHONWARNINGS": "error"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert len(lines) == 1, "import printed something: %r" % proc.stdout
    info = json.loads(lines[0])
    assert info["threads"] == 1
    assert info["handlers"] == 0 and info["picoos_handlers"] == 0
    loaded = set(info["modules"])
    for name in HEAVY:
        assert name not in loaded, "%s imported by 'import picoos'" % name
    assert not any(m.startswith(("picoos.net", "picoos.dist", "picoos.drivers")) for m in loaded)


def test_kernel_names_do_not_pull_heavy_modules(run_py):
    proc = run_py("""
        import sys, json, threading
        import picoos
        names = [picoos.Task, picoos.Pycos, picoos.Lock, picoos.Channel,
                 picoos.CategorizeMessages, picoos.AsyncThreadPool, picoos.run]
        print(json.dumps({"threads": threading.active_count(),
                          "heavy": [m for m in %r if m in sys.modules]}))
    """ % (HEAVY,))
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    # using the kernel's names starts nothing and loads no network code
    assert info == {"threads": 1, "heavy": []}


def test_every_public_name_resolves():
    for name in picoos.__all__:
        assert getattr(picoos, name) is not None, name
    assert set(picoos.__all__) <= set(dir(picoos))


def test_unknown_name_is_attribute_error():
    import pytest
    with pytest.raises(AttributeError, match="no attribute 'NoSuchThing'"):
        picoos.NoSuchThing


def test_serialize_round_trip_and_logger():
    obj = {"a": [1, 2, (3, "x")]}
    assert picoos.deserialize(picoos.serialize(obj)) == obj
    assert picoos.logger.name == "picoos"
    assert picoos.Logger.DEBUG == 10 and picoos.Logger.CRITICAL == 50


def test_submodules_load_on_attribute_access(run_py):
    # `import picoos as pycos; pycos.httpd.HTTPServer` works as it would
    # after `import picoos.httpd`; the names of other modules are not invented
    proc = run_py("""
        import sys, json
        import picoos as pycos
        before = "picoos.httpd" in sys.modules
        server, pipe = pycos.httpd.HTTPServer, pycos.asyncfile.AsyncPipe
        print(json.dumps({"before": before, "after": "picoos.httpd" in sys.modules,
                          "same": pycos.httpd is sys.modules["picoos.httpd"],
                          "names": [server.__name__, pipe.__name__],
                          "dist": pycos.dist.__name__}))
    """)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"before": False, "after": True, "same": True,
                                       "names": ["HTTPServer", "AsyncPipe"],
                                       "dist": "picoos.dist"}
    import pytest
    with pytest.raises(AttributeError, match="no attribute 'examples'"):
        picoos.examples
