# talking to tasks from another thread: send, resume, throw, terminate, value
import threading
import pycos


def worker(task=None):
    msg = yield task.receive()
    print('worker got', msg)
    v = yield task.suspend()
    print('worker resumed with', v)
    try:
        yield task.sleep(10)
    except KeyError as e:
        print('worker caught', repr(e))
    try:
        yield task.receive()
    finally:
        print('worker closed')


done = threading.Event()


def report(task=None):
    print('cur_task in task', pycos.Pycos.cur_task() is task)
    done.set()
    yield None


w = pycos.Task(worker)
print('cur_task in thread', pycos.Pycos.cur_task())
pycos.Task(report)
done.wait()
r = w.send('from main')
# give the worker time to run: value() with a short timeout
print('value timeout ->', w.value(timeout=0.1))
print('send ->', r)
r = w.resume('resumed from main')
print('value timeout ->', w.value(timeout=0.1))
print('resume ->', r)
r = w.throw(KeyError('k'))
print('value timeout ->', w.value(timeout=0.1))
print('throw ->', r)
r = w.terminate()
print('value ->', w.value())
print('terminate ->', r)
print('alive', w.is_alive())
print('send dead ->', w.send('late'))
print('resume dead ->', w.resume('late'))
print('throw dead ->', w.throw(KeyError('late')))
print('terminate dead ->', w.terminate())
