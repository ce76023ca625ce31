# talking to tasks from another thread: send, resume, throw, terminate, value
import threading
import pycos

step = threading.Event()


def worker(task=None):
    step.set()
    msg = yield task.receive()
    print('worker got', msg)
    step.set()
    v = yield task.suspend()
    print('worker resumed with', v)
    step.set()
    try:
        yield task.sleep(10)
    except KeyError as e:
        print('worker caught', repr(e))
    step.set()
    try:
        yield task.receive()
    finally:
        print('worker closed')


def next_step():
    # the worker has printed and is about to wait again: give it a moment
    # to reach its next yield (value() with a short timeout waits for it)
    step.wait()
    step.clear()


def report(task=None):
    print('cur_task in task', pycos.Pycos.cur_task() is task)
    yield None


print('cur_task in thread', pycos.Pycos.cur_task())
pycos.Task(report).value()
w = pycos.Task(worker)
next_step()
r = w.send('from main')
next_step()
print('value timeout ->', w.value(timeout=0.05))
print('send ->', r)
r = w.resume('resumed from main')
next_step()
print('value timeout ->', w.value(timeout=0.05))
print('resume ->', r)
r = w.throw(KeyError('k'))
next_step()
print('value timeout ->', w.value(timeout=0.05))
print('throw ->', r)
r = w.terminate()
print('value ->', w.value())
print('terminate ->', r)
print('alive', w.is_alive())
print('send dead ->', w.send('late'))
print('resume dead ->', w.resume('late'))
print('throw dead ->', w.throw(KeyError('late')))
print('terminate dead ->', w.terminate())
