"""Job functions the dist tests ship to servers (a module, as users would)."""
import hashlib
import os
import time


def square(x):
    return x * x


def digest(n):
    return hashlib.sha256(str(n).encode()).hexdigest()


def slow_square(x, delay=0.05):
    time.sleep(delay)
    return x * x


def where_am_i(_=None):
    return os.getpid()


def fail(x):
    raise ValueError(f"bad input {x}")


def crash(code=3):
    os._exit(code)


def read_shipped(name):
    with open(name) as f:
        return f.read()


def make_file(name, text):
    from picoos.dist.server import send_file
    with open(name, "w") as f:
        f.write(text)
    send_file(name)
    return len(text)


def setup_node(marker):
    with open(marker, "w") as f:
        f.write("node setup ran")
    return 0


FACTOR = None


def setup_server(factor):
    global FACTOR
    FACTOR = factor
    return 0


def scaled(x):
    return FACTOR * x


def failing_setup():
    raise RuntimeError("setup cannot work here")


def sleeper(seconds):
    time.sleep(seconds)
    return "woke"


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y

    def norm2(self):
        return self.x * self.x + self.y * self.y


def move(p, dx):
    return Point(p.x + dx, p.y)
