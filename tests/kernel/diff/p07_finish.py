# finish/value with timeouts, `yield t()`
import threading
import pycos


def slow(n, task=None):
    yield task.sleep(n)
    return 'slow %s' % n


def waiter(task=None):
    t = pycos.Task(slow, 0.3)
    v = yield t.finish(timeout=0.05)
    print('finish timeout ->', v)
    v = yield t()
    print('yield t() ->', v)
    v = yield t.finish()
    print('finish after end ->', v)
    v = yield t(timeout=1)
    print('t(timeout) after end ->', v)
    u = pycos.Task(slow, 0.05)
    print('finish ->', (yield u.finish(timeout=2)))
    return 'waiter done'


t = pycos.Task(slow, 0.5)
print('value timeout ->', t.value(timeout=0.05))
print('value ->', t.value())
print('waiter', pycos.Task(waiter).value())
res = []
u = pycos.Task(slow, 0.1)
th = threading.Thread(target=lambda: res.append(u.value()))
th.start()
th.join()
print('from thread', res)
