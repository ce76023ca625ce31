# Lock, RLock, Condition, Event, Semaphore
import pycos


def lock_holder(lock, hold, task=None):
    yield lock.acquire()
    print('holder got lock')
    yield task.sleep(hold)
    lock.release()
    print('holder released')


def locks(task=None):
    lock = pycos.Lock()
    print('acquire ->', (yield lock.acquire()))
    print('non-blocking ->', (yield lock.acquire(blocking=False)))
    print('timeout ->', (yield lock.acquire(timeout=0.05)))
    lock.release()
    try:
        lock.release()
    except RuntimeError as e:
        print('release unlocked: RuntimeError')
    h = pycos.Task(lock_holder, lock, 0.2)
    yield task.sleep(0.05)
    print('wait for holder ->', (yield lock.acquire(timeout=1)))
    lock.release()
    yield h.finish()

    rl = pycos.RLock()
    print('rlock', (yield rl.acquire()), (yield rl.acquire()))
    rl.release()
    h = pycos.Task(lock_holder, rl, 0)
    yield task.sleep(0.05)
    print('rlock still held, holder alive', h.is_alive())
    rl.release()
    yield h.finish()
    h = pycos.Task(lock_holder, rl, 0.1)
    yield task.sleep(0.05)
    try:
        rl.release()
    except RuntimeError:
        print('rlock release held by other: RuntimeError')
    yield h.finish()

    ev = pycos.Event()
    print('event wait timeout ->', (yield ev.wait(0.05)), ev.is_set())
    def setter(task=None):
        yield task.sleep(0.05)
        ev.set()
    pycos.Task(setter)
    print('event wait ->', (yield ev.wait()), ev.is_set())
    print('event set wait ->', (yield ev.wait(0)))
    ev.clear()
    print('cleared', ev.is_set(), (yield ev.wait(0)))

    sem = pycos.Semaphore(2)
    print('sem', (yield sem.acquire()), (yield sem.acquire()), (yield sem.acquire(False)))
    def releaser(task=None):
        yield task.sleep(0.05)
        sem.release()
    pycos.Task(releaser)
    print('sem wait ->', (yield sem.acquire()))
    sem.release()
    sem.release()


def cond_waiter(cv, box, task=None):
    yield cv.acquire()
    while not box:
        ok = yield cv.wait()
        print('waiter woke', ok)
    print('waiter sees', box)
    cv.release()


def conditions(task=None):
    cv = pycos.Condition()
    box = []
    w = pycos.Task(cond_waiter, cv, box)
    yield task.sleep(0.05)
    yield cv.acquire()
    box.append('item')
    cv.notify()
    cv.release()
    yield w.finish()
    yield cv.acquire()
    print('wait timeout ->', (yield cv.wait(0.05)))
    try:
        cv.release()
    except Exception:
        # pycos 4.12.2 returns from a timed-out wait without the lock
        yield cv.acquire()
        cv.release()
    w = pycos.Task(cond_waiter, cv, [])
    yield task.sleep(0.05)
    yield cv.acquire()
    cv.notify_all()
    cv.release()
    yield task.sleep(0.05)
    print('waiter alive after notify_all', w.is_alive())
    w.terminate()


pycos.Task(locks).value()
pycos.Task(conditions).value()
