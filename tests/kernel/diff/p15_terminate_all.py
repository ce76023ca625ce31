# Pycos.terminate: every task closed (finally blocks run), atexit functions called
import pycos


def stuck(i, task=None):
    try:
        yield task.receive()
    finally:
        print('stuck', i, 'closed')


def starter(task=None):
    for i in range(3):
        t = pycos.Task(stuck, i)
        yield task.sleep(0.02)
    print('all started')
    yield task.sleep(0.02)
    return 'starter done'


sched = pycos.Pycos.instance()
sched.atexit(5, print, 'atexit ran')
print(pycos.Task(starter).value())
sched.terminate()
print('terminated')
