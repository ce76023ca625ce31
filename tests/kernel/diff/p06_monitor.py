# monitor/notify and MonitorStatus fields
import pycos


def ok(task=None):
    yield task.sleep(0.05)
    return {'answer': 42}


def boom(task=None):
    yield task.sleep(0.15)
    raise KeyError('missing')


def watcher(task=None):
    a = pycos.Task(ok)
    b = pycos.Task(boom)
    print('monitor ->', (yield task.monitor(a)))
    print('notify ->', b.notify(task))
    for _ in range(2):
        st = yield task.receive()
        name = 'a' if st.info is a else 'b'
        print(name, st.type.__name__, type(st.value).__name__)
        if st.type is StopIteration:
            print('  value', st.value)
        else:
            print('  trace first', st.value.splitlines()[0])
            print('  trace last', st.value.splitlines()[-1])
    print('monitor dead ->', (yield task.monitor(a)))
    print('a value', (yield a.finish()))
    v = yield b.finish()
    print('b value', type(v).__name__, v.type.__name__, v.info is b)


pycos.Task(watcher).value()
