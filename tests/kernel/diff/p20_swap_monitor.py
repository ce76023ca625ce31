# hot swap with monitors, registered names and finish waiters
import pycos


def v2(tag, task=None):
    msg = yield task.receive()
    return 'v2 %s got %s' % (tag, msg)


def v1(task=None):
    task.hot_swappable(True)
    print('v1 registered', task.register('svc'))
    while True:
        yield task.receive()


def watcher(task=None):
    t = pycos.Task(v1)
    print('monitor', (yield task.monitor(t)))
    yield task.sleep(0.02)
    print('hot_swap', t.hot_swap(v2, 'A'))
    yield task.sleep(0.02)
    print('name now', t.name)
    found = yield pycos.Task.locate('svc')
    print('locate still finds it', found is t)
    t.send('hello')
    st = yield task.receive()
    print('monitor got', st.type.__name__, st.value, st.info is t)
    print('finish', (yield t.finish()))


pycos.Task(watcher).value()
