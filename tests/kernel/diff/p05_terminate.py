# terminate: finally blocks, what monitors and value() see, return codes
import pycos


def victim(task=None):
    try:
        print('victim waiting')
        yield task.suspend()
    finally:
        print('victim finally')


def victim_in_sub(task=None):
    def sub():
        try:
            yield task.sleep(10)
        finally:
            print('sub finally')
    try:
        yield sub()
    finally:
        print('outer finally')


def catches_exit(task=None):
    try:
        yield task.receive()
    except GeneratorExit:
        print('caught GeneratorExit')
        raise


def watcher(task=None):
    for fn in (victim, victim_in_sub, catches_exit):
        t = pycos.Task(fn)
        print('monitor ->', (yield task.monitor(t)))
        yield task.sleep(0.05)
        print('terminate ->', t.terminate())
        st = yield task.receive()
        print('monitor got', type(st).__name__, st.info is t, getattr(st.type, '__name__', st.type),
              repr(st.value))
        print('alive', t.is_alive(), 'value', repr((yield t.finish())))
        print('terminate again ->', t.terminate())
    t = pycos.Task(victim)
    yield task.sleep(0.05)
    t.terminate()
    yield task.sleep(0.05)
    print('value() of terminated', repr(t.value()))


pycos.Task(watcher).value()
