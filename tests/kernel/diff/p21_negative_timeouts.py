# negative timeouts: no wait at all (alarm value at once), except for locks,
# where any negative timeout waits for ever (threading's -1)
import pycos


def other(task=None):
    yield task.receive()


def show(what, value):
    print(what, '->', repr(value))


def main(task=None):
    show('suspend(-1)', (yield task.suspend(-1)))
    show('suspend(-1, alarm)', (yield task.suspend(-1, alarm_value='alarm')))
    show('sleep(-0.5, alarm)', (yield task.sleep(-0.5, 'alarm')))
    show('receive(-1, alarm)', (yield task.receive(-1, alarm_value='empty')))
    task.send('queued')
    show('receive(-1) with a message', (yield task.receive(-1, alarm_value='empty')))
    o = pycos.Task(other)
    show('deliver(timeout=-1)', (yield o.deliver('m', timeout=-1)))
    t = pycos.Task(other)
    show('finish(timeout=-1)', (yield t.finish(timeout=-1)))
    t.terminate()
    ev = pycos.Event()
    show('Event.wait(-1)', (yield ev.wait(-1)))
    lock = pycos.Lock()
    show('Lock.acquire(timeout=-1) free', (yield lock.acquire(timeout=-1)))
    lock.release()
    show('Lock.acquire(timeout=-0.5) free', (yield lock.acquire(timeout=-0.5)))
    lock.release()
    rlock = pycos.RLock()
    show('RLock.acquire(timeout=-2)', (yield rlock.acquire(timeout=-2)))
    rlock.release()
    cond = pycos.Condition()
    yield cond.acquire()
    show('Condition.wait(-1)', (yield cond.wait(-1)))
    ch = pycos.Channel('neg')
    show('Channel.deliver(timeout=-1)', (yield ch.deliver('x', timeout=-1)))
    return 'done'


t = pycos.Task(main)
print('value', repr(t.value()))
u = pycos.Task(other)
print('value(timeout=-1) of a running task', repr(u.value(timeout=-1)))
u.terminate()
