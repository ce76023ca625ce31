# throw into waiting tasks; uncaught exceptions; values of failed tasks
import pycos


class MyError(Exception):
    pass


def catcher(task=None):
    for i in range(3):
        try:
            v = yield task.suspend()
            print('catcher resumed', v)
        except MyError as e:
            print('catcher caught', type(e).__name__, e.args)
        except KeyError as e:
            print('catcher caught key', e.args)
    try:
        yield task.receive()
    except MyError as e:
        print('receiver caught', e.args)
    try:
        yield task.sleep(5)
    except MyError as e:
        print('sleeper caught', e.args)
    yield task.suspend()
    print('not reached')


def thrower(t, task=None):
    yield task.sleep(0.1)
    print('throw ->', t.throw(MyError('one')))
    yield task.sleep(0.05)
    print('throw tuple ->', t.throw(MyError, MyError('two')))
    yield task.sleep(0.05)
    print('throw key ->', t.throw(KeyError('k')))
    yield task.sleep(0.05)
    print('throw receiving ->', t.throw(MyError('r')))
    yield task.sleep(0.05)
    print('throw sleeping ->', t.throw(MyError('s')))
    yield task.sleep(0.05)
    print('throw uncaught ->', t.throw(ValueError('boom')))
    yield task.sleep(0.05)
    print('alive', t.is_alive())
    print('throw dead ->', t.throw(MyError('late')))
    v = yield t.finish()
    print('finish of failed', type(v).__name__, v.type.__name__, v.info is t)
    print('trace starts', v.value.splitlines()[0])
    print('trace ends', v.value.splitlines()[-1])


def fails(task=None):
    yield task.sleep(0.01)
    x = 1 / 0
    return x


t = pycos.Task(catcher)
pycos.Task(thrower, t).value()
st = t.value()
print('value of failed', type(st).__name__, st.type.__name__, st.info is t)
f = pycos.Task(fails)
st = f.value()
print('fails', st.type.__name__, st.value.splitlines()[0], '|', st.value.splitlines()[-1])
print('fails trace functions', [line.split(' in ')[-1] for line in st.value.splitlines()
                                 if line.startswith('  File') and 'site-packages' not in line])


def helper():
    yield None
    raise KeyError('x')


def fails_in_sub(task=None):
    yield task.sleep(0.01)
    yield helper()


st = pycos.Task(fails_in_sub).value()
print('sub trace functions', [line.split(' in ')[-1] for line in st.value.splitlines()
                              if line.startswith('  File') and 'site-packages' not in line])
