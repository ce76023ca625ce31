"""Edge events through the picoos notifier, on the fake backend.

The fake backend's request fd is a pipe, so a task in `wait_edge()` is
parked by the kernel on that fd and woken by the notifier when the test
drives the line - the path the real backend takes on a Pi.  Each test runs
a fresh kernel with picoos.run (or picoos.testing.run with a fake clock for
timeouts); waits are bounded only by generous timeouts a hang would reach.
"""
import logging

import pytest

import picoos
from picoos import testing
from picoos.drivers.gpio import Chip, FakeBackend, GpioConfigError, LineSettings, RequestReleasedError
from picoos.kernel.errors import ClosedResourceError
from picoos.testing import wait_all_tasks_blocked

BOUND = 30.0      # seconds; only a hang reaches it


@pytest.fixture
def fake():
    return FakeBackend([("pinctrl-test", ["GPIO%d" % i for i in range(32)])])


def test_generator_task_waits_for_edges(fake):
    log = []

    def waiter(req, task=None):
        for _ in range(3):
            ev = yield req.wait_edge(BOUND)
            log.append((ev.kind, ev.name, ev.seqno, ev.line_seqno))
        return "done"

    def main(task=None):
        with Chip("pinctrl-test", backend=fake) as chip:
            with chip.request_input("GPIO17", bias="pull-down", edge="both") as req:
                t = picoos.Task(waiter, req)
                yield wait_all_tasks_blocked()      # the waiter is parked on the fd
                log.append("drive")
                fake.drive_high("GPIO17")
                yield wait_all_tasks_blocked()
                fake.drive_low("GPIO17")
                fake.drive_high("GPIO17")
                return (yield t.finish(BOUND))

    assert picoos.run(main) == "done"
    assert log == ["drive", ("rising", "GPIO17", 1, 1), ("falling", "GPIO17", 2, 2),
                   ("rising", "GPIO17", 3, 3)]


def test_async_task_iterates_edges(fake):
    async def main(task=None):
        chip = Chip("pinctrl-test", backend=fake)
        req = chip.request({"GPIO4": LineSettings("input", edge="falling", bias="pull-up"),
                            "GPIO5": LineSettings("input", edge="rising")})
        picoos.Task(press, fake)
        seen = []
        async for ev in req.edges(timeout=BOUND):
            seen.append((ev.kind, ev.name, ev.offset))
            if len(seen) == 3:
                break
        req.close()
        chip.close()
        return seen

    def press(fake, task=None):
        yield wait_all_tasks_blocked()
        fake.drive_low("GPIO4")       # pulled-up button pressed: falling
        fake.drive_high("GPIO4")      # released: rising, not watched
        fake.drive_high("GPIO5")
        yield wait_all_tasks_blocked()
        fake.drive_low("GPIO4")

    assert picoos.run(main) == [("falling", "GPIO4", 4), ("rising", "GPIO5", 5), ("falling", "GPIO4", 4)]


def test_await_wait_edge_and_timeout_gives_none(fake):
    async def main(task=None):
        with Chip("pinctrl-test", backend=fake) as chip, \
                chip.request_input("GPIO1", edge="both") as req:
            first = await req.wait_edge(5)
            fake.drive_high("GPIO1")
            second = await req.wait_edge(5)
            return first, second.kind, task._kernel.clock.now()

    # FakeClock: the 5 s timeout passes at once, and exactly
    assert testing.run(main) == (None, "rising", 5.0)


def test_edges_iterator_ends_on_timeout(fake):
    async def main(task=None):
        with Chip("pinctrl-test", backend=fake) as chip, \
                chip.request_input("GPIO1", edge="rising") as req:
            fake.drive_high("GPIO1")
            return [ev.kind async for ev in req.edges(timeout=1)]

    assert testing.run(main) == ["rising"]


def test_releasing_wakes_a_waiting_task_with_an_error(fake):
    def waiter(req, task=None):
        try:
            yield req.wait_edge()
        except ClosedResourceError as exc:
            return "woken: %s" % type(exc).__name__

    def main(task=None):
        with Chip("pinctrl-test", backend=fake) as chip:
            req = chip.request_input("GPIO2", edge="both")
            t = picoos.Task(waiter, req)
            yield wait_all_tasks_blocked()
            req.release()
            result = yield t.finish(BOUND)
            try:
                yield req.wait_edge(1)
            except RequestReleasedError as exc:
                return result, str(exc)

    result, message = picoos.run(main)
    assert result == "woken: ClosedResourceError"
    assert "were released" in message


def test_releasing_ends_an_edge_iteration_in_another_task(fake):
    async def listener(req, task=None):
        return [ev.kind async for ev in req.edges()]

    def main(task=None):
        with Chip("pinctrl-test", backend=fake) as chip:
            req = chip.request_input("GPIO2", edge="both")
            t = picoos.Task(listener, req)
            fake.drive_high("GPIO2")
            yield wait_all_tasks_blocked()      # the listener took the edge and waits again
            req.release()
            return (yield t.finish(BOUND))

    assert picoos.run(main) == ["rising"]


def test_wait_edge_without_edge_detection_is_a_clear_error(fake):
    def main(task=None):
        with Chip("pinctrl-test", backend=fake) as chip, chip.request_input("GPIO3") as req:
            try:
                yield req.wait_edge(1)
            except GpioConfigError as exc:
                return str(exc)

    assert "no line of this request watches edges" in picoos.run(main)


def test_overflow_is_reported_on_the_event_and_logged(fake, caplog):
    def main(task=None):
        with Chip("pinctrl-test", backend=fake) as chip, \
                chip.request_input("GPIO6", edge="both", event_buffer_size=2) as req:
            for _ in range(3):
                fake.drive_high("GPIO6")
                fake.drive_low("GPIO6")
            evs = [(yield req.wait_edge(BOUND)), (yield req.wait_edge(BOUND))]
            return [(e.seqno, e.lost) for e in evs], req.lost

    with caplog.at_level(logging.WARNING, logger="picoos.drivers.gpio"):
        assert picoos.run(main) == ([(5, 4), (6, 0)], 4)
    assert "4 edge event(s) lost before seqno 5" in caplog.text


def test_reconfigure_to_watch_edges_later(fake):
    def main(task=None):
        with Chip("pinctrl-test", backend=fake) as chip, chip.request_input("GPIO7") as req:
            fake.drive_high("GPIO7")
            fake.drive_low("GPIO7")        # not watched yet: no event
            req.reconfigure(LineSettings("input", edge="both"))
            fake.drive_high("GPIO7")
            ev = yield req.wait_edge(BOUND)
            return ev.kind, ev.seqno

    assert picoos.run(main) == ("rising", 1)
