# pycos-compatible aliases and scheduler attributes
import pycos


def waiter(cv, task=None):
    yield cv.acquire()
    ok = yield cv.wait()
    print('notified', ok)
    cv.release()


def main(task=None):
    sched = pycos.Pycos.instance()
    print('Task.scheduler() is instance', pycos.Task.scheduler() is sched)
    print('scheduler() is instance', pycos.Pycos.scheduler() is sched)
    print('location', sched.location, 'locations', sched.locations, 'name', repr(sched.name))
    print('task location', task.location)
    ev = pycos.Event()
    print('isSet', ev.isSet())
    ev.set()
    print('isSet', ev.isSet())
    cv = pycos.Condition()
    w = pycos.Task(waiter, cv)
    yield task.sleep(0.05)
    yield cv.acquire()
    cv.notifyAll()
    cv.release()
    yield w.finish()
    print('sleep alias', (yield task.sleep(0.01, 'a')), 'recv alias',
          (yield task.recv(0, 'b')))


pycos.Task(main).value()
print('outside: scheduler()', pycos.Pycos.scheduler())
