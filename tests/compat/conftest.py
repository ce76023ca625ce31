"""Fixtures for the pycos-compatibility tests (helpers in example_procs.py)."""
import pytest

from example_procs import ExampleProc


@pytest.fixture
def example(tmp_path):
    """`example(name, *args)`: start a ported pycos example;
    every one started is killed (with what it started) after the test."""
    procs = []

    def start(name, *args):
        p = ExampleProc(name, *args, tmp=str(tmp_path))
        procs.append(p)
        return p

    yield start
    for p in procs:
        p.kill()
