"""What a networked kernel does with messages, and how proxies reach peers.

Two directions live here, as one mixin of the networked kernel:

- outgoing: the methods `RemoteTask` / `RemoteChannel` / `RPS` call
  (`_remote_send`, `_remote_deliver`, `_remote_watch`, `_request`, ...),
  which queue messages on a peer and, for requests, park the calling task
  until the reply, its time-out, or the peer's loss;
- incoming: `_dispatch`, which a link reader calls for every message from
  an authenticated peer, and the `_serve_<op>` handlers of requests. Only
  the operations listed in `_SERVICES` can be asked for; RPS runs only
  functions registered on this kernel.

A peer's loss reaches everything that waits on it from `_peer_gone`:
pending requests, remote monitors (a MonitorStatus whose type is
`PeerLostError`) and tasks waiting in `finish()` on its tasks.
"""
from __future__ import annotations

import logging
from threading import get_ident


from picoos.kernel.channel import Channel
from picoos.kernel.task import DONE, MonitorStatus, Task
from picoos.kernel.traps import SubCall, Value, coro
from picoos.kernel.waitq import WaitQueue
from picoos.net.errors import PeerLostError
from picoos.net.refs import RemoteChannel, RemoteTask
from picoos.net.requests import LOST, TIMED_OUT

__all__ = ["NetService"]

log = logging.getLogger("picoos.net")

# request operations a peer may ask for; anything else is refused
_SERVICES = frozenset((
    "locate_task", "locate_channel", "locate_rps", "deliver", "monitor", "subscribe",
    "unsubscribe", "cdeliver", "run_rps", "file_open", "file_chunk", "file_close",
    "file_abort", "del_file", "relay",
))


class NetService:
    """Mixin of the networked kernel: message dispatch and remote operations."""

    # -- outgoing ---------------------------------------------------------

    def _remote_post(self, location, msg) -> int:
        if self._tid != get_ident():
            return self._threadsafe(self._remote_post, location, msg)
        peer = self._peers.get(location)
        if peer is None or not peer.post(msg):
            log.debug("message to %s dropped: not a connected peer", location)
            return -1
        return 0

    def _remote_send(self, rtask: RemoteTask, message) -> int:
        return self._remote_post(rtask._rloc, ("send", rtask._rid, message))

    @coro
    def _request(self, locations, op: str, args: tuple, timeout=None, accept=None):
        """Ask `op(*args)` of the peers at `locations`; give the first
        accepted answer, LOST (no peer or all lost) or TIMED_OUT."""
        peers = []
        for loc in locations:
            p = self._peers.get(loc)
            if p is None and len(locations) == 1:
                # an explicit location: connect first, as pycos does
                if (yield self.peer(loc)) == 0:
                    p = self._peers.get(loc)
            if p is not None and p.state != "closed":
                peers.append(p)
        if not peers:
            return LOST
        pending = self._pending
        group = pending.group(len(peers), accept or (lambda v: True))
        for p in peers:
            p.post_now(("req", pending.add(group, p.location), op, args))
        try:
            value = yield pending.wait(group, timeout)
        finally:
            pending.forget(group)
        return value

    def _post_request(self, location, op: str, args: tuple, callback) -> int:
        """Ask `op(*args)` of the peer at `location` with no task waiting:
        `callback(answer)` runs in this kernel's thread with the reply, with
        LOST when the peer is lost first, or with the exception that kept the
        request from being serialized. 0, or -1 (the callback is not called)
        when `location` is not a peer. Only from this kernel's thread."""
        peer = self._peers.get(location)
        if peer is None or peer.state == "closed":
            return -1
        rid = self._pending.add_callback(location, callback)
        if not peer.post_now(("req", rid, op, args)):
            self._pending.forget_id(rid)
            return -1
        return 0

    @coro
    def _remote_deliver(self, rtask: RemoteTask, message, timeout):
        r = yield self._request([rtask._rloc], "deliver", (rtask._rid, message), timeout)
        if r is TIMED_OUT:
            return 0
        if r is LOST or not isinstance(r, int):
            return -1
        return r

    @coro
    def _remote_watch(self, rtask: RemoteTask, monitor: Task):
        r = yield self._request([rtask._rloc], "monitor", (rtask._rid, monitor), None)
        if r == 0:
            self._track_watch(rtask, monitor)
            return 0
        return -1

    def _remote_notify(self, rtask: RemoteTask, monitor: Task) -> int:
        if self._tid != get_ident():
            return self._threadsafe(self._remote_notify, rtask, monitor)
        if self._remote_post(rtask._rloc, ("watch", rtask._rid, monitor)) != 0:
            return -1
        self._track_watch(rtask, monitor)
        return 0

    def _track_watch(self, rtask: RemoteTask, monitor: Task) -> None:
        self._watches.setdefault(rtask._rloc, {}).setdefault(rtask, []).append(monitor)

    def _remote_finish(self, rtask: RemoteTask, timeout):
        if rtask._state == DONE:
            return Value(rtask._result)
        return SubCall(self._finish_gen(rtask, timeout))

    def _finish_gen(self, rtask: RemoteTask, timeout):
        watched = self._watches.get(rtask._rloc, {}).get(rtask, ())
        if self._collector not in watched:
            r = yield self._remote_watch(rtask, self._collector)
            if r != 0 and rtask._state != DONE:
                # the task is gone already (or its kernel): nothing to wait for
                return None
        if rtask._state == DONE:
            return rtask._result
        if rtask._finishers is None:
            rtask._finishers = WaitQueue()
        return (yield rtask._finishers.wait(timeout, None))

    @coro
    def _remote_channel_op(self, rchan: RemoteChannel, op: str, subscriber, timeout):
        if not isinstance(subscriber, (Task, Channel)):
            log.warning("%s: invalid subscriber %r for channel %r", op, subscriber, rchan)
            return -1
        r = yield self._request([rchan._rloc], op, (rchan._name, subscriber), timeout)
        return r if isinstance(r, int) else -1

    @coro
    def _remote_channel_deliver(self, rchan: RemoteChannel, message, timeout, n):
        r = yield self._request([rchan._rloc], "cdeliver", (rchan._name, message, timeout, n),
                                timeout)
        if r is TIMED_OUT:
            return 0
        return r if isinstance(r, int) else -1

    def _unsendable(self, peer, msg, exc) -> None:
        """A queued message could not be pickled: fail its request, if any."""
        log.warning("message to %s dropped: it cannot be serialized: %r", peer.location, exc)
        if isinstance(msg, tuple) and msg and msg[0] == "req":
            self._pending.unsendable(msg[1], exc)

    # -- incoming ---------------------------------------------------------

    def _dispatch(self, peer, msg) -> None:
        """One message from an authenticated peer (called by its link reader)."""
        if not isinstance(msg, tuple) or not msg:
            log.warning("message from %s dropped: expected a tuple, got %s",
                        peer.location, type(msg).__name__)
            return
        kind = msg[0]
        try:
            if kind == "send":
                self._deliver_local(msg[1], msg[2])
            elif kind == "rep":
                self._pending.answer(msg[1], msg[2])
            elif kind == "req":
                self._serve(peer, msg[1], msg[2], msg[3])
            elif kind == "csend":
                ch = self._channels.get(msg[1])
                if ch is not None:
                    ch.send(msg[2])
            elif kind == "term":
                task = self._refs.exports.get(msg[1])
                if task is not None:
                    task.terminate()
            elif kind == "watch":
                task = self._refs.exports.get(msg[1])
                if task is None or task.notify(msg[2]) != 0:
                    self._task_gone(msg[1], msg[2])
            else:
                log.warning("message of unknown kind %r from %s dropped", kind, peer.location)
        except (IndexError, TypeError, ValueError) as exc:
            log.warning("malformed %r message from %s dropped: %s", kind, peer.location, exc)

    def _deliver_local(self, eid, message) -> None:
        task = self._refs.exports.get(eid)
        if isinstance(message, MonitorStatus) and isinstance(message.info, RemoteTask):
            self._watch_ended(message)
        if task is not None:
            task.send(message)

    def _watch_ended(self, status: MonitorStatus) -> None:
        rtask = status.info
        self._watches.get(rtask._rloc, {}).pop(rtask, None)
        rtask._ended(status)

    def _task_gone(self, eid, monitor) -> None:
        # pycos tells a monitor of a task that no longer exists nothing; we
        # say so, so that finish() and monitors never wait forever
        log.debug("watch of unknown task %s from a peer", eid)

    def _serve(self, peer, rid, op, args) -> None:
        if op not in _SERVICES:
            log.warning("request %r from %s refused: not a picoos operation", op, peer.location)
            peer.post(("rep", rid, None))
            return
        try:
            result = getattr(self, "_serve_" + op)(peer, *args)
        except Exception as exc:    # noqa: BLE001 - a bad request must not kill the reader
            log.warning("request %s%r from %s failed: %r", op, args[:2], peer.location, exc)
            result = None
        if isinstance(result, SubCall) or hasattr(result, "_apply"):
            self._spawn_daemon(self._serve_later, peer, rid, op, result)
        else:
            peer.post_now(("rep", rid, result))

    def _serve_later(self, peer, rid, op, trap, task=None):
        try:
            result = yield trap
        except Exception as exc:    # noqa: BLE001
            log.warning("request %s from %s failed: %r", op, peer.location, exc)
            result = None
        peer.post(("rep", rid, result))

    # handlers: each gets the peer and the request's arguments; returns a
    # picklable value or a trap whose value is the reply

    def _serve_locate_task(self, peer, name):
        return self._registry.get(name)

    def _serve_locate_channel(self, peer, name):
        return self._channels.get(name)

    def _serve_locate_rps(self, peer, name):
        return self._rpss.get(name)

    def _serve_deliver(self, peer, eid, message):
        task = self._refs.exports.get(eid)
        if task is None:
            return -1
        if isinstance(message, MonitorStatus) and isinstance(message.info, RemoteTask):
            self._watch_ended(message)
        return 1 if task.send(message) == 0 else -1

    def _serve_monitor(self, peer, eid, monitor):
        task = self._refs.exports.get(eid)
        if task is None or not task.is_alive():
            return -1
        return task.notify(monitor)

    def _serve_subscribe(self, peer, name, subscriber):
        ch = self._channels.get(name)
        return -1 if ch is None else ch.subscribe(subscriber)

    def _serve_unsubscribe(self, peer, name, subscriber):
        ch = self._channels.get(name)
        return -1 if ch is None else ch.unsubscribe(subscriber)

    def _serve_cdeliver(self, peer, name, message, timeout, n):
        ch = self._channels.get(name)
        return -1 if ch is None else ch.deliver(message, timeout, n)

    def _serve_run_rps(self, peer, name, args, kwargs, watcher):
        rps = self._rpss.get(name)
        if rps is None:
            log.warning("RPS %r asked for by %s is not registered here: refused", name,
                        peer.location)
            return None
        task = rps._start(args, kwargs)
        if task is not None and watcher is not None:
            task.notify(watcher)
        return task

    def _serve_relay(self, peer, name, port, addrs):
        self._announce(name=name, port=port, addrs=addrs)
        return 0

    # -- a peer went away -----------------------------------------------

    def _peer_gone(self, location, reason: str) -> None:
        self._pending.fail_location(location)
        self._abort_incoming(location)
        watches = self._watches.pop(location, {})
        for rtask, monitors in watches.items():
            status = MonitorStatus(rtask, PeerLostError, "peer %s lost: %s" % (location, reason))
            rtask._ended(status)
            for m in monitors:
                if m is not self._collector:
                    m.send(status)
        for rtask in self._refs.remote_tasks_at(location):
            if rtask._finishers:
                rtask._ended(MonitorStatus(rtask, PeerLostError,
                                           "peer %s lost: %s" % (location, reason)))
