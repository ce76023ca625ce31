# suspend/sleep with timeouts and alarm values; resume return values
import pycos


def sleeper(task=None):
    v = yield task.suspend(0.05, alarm_value='alarm')
    print('suspend timeout ->', v)
    v = yield task.sleep(0.01)
    print('sleep ->', v)
    v = yield task.sleep(0.01, 'wake')
    print('sleep alarm ->', v)
    v = yield task.suspend(0, alarm_value='zero')
    print('suspend 0 ->', v)
    v = yield task.suspend()
    print('resumed with', v)
    v = yield task.suspend(5, alarm_value='late')
    print('resumed before timeout with', v)
    v = yield task.receive()
    print('received', v)
    return 'done'


def waker(t, task=None):
    yield task.sleep(0.3)
    print('resume ->', t.resume('hello'))
    yield task.sleep(0.05)
    print('wakeup ->', t.wakeup('again'))
    yield task.sleep(0.05)
    # t waits in receive: a resume is ignored
    print('resume receiver ->', t.resume('ignored'))
    yield task.sleep(0.05)
    print('send ->', t.send('msg'))
    yield task.sleep(0.05)
    print('t alive', t.is_alive())
    print('resume dead ->', t.resume('x'))


t = pycos.Task(sleeper)
w = pycos.Task(waker, t)
print('waker', w.value())
print('sleeper', t.value())
