# Pycos: instance, cur_task, join, atexit, finish
import pycos


def worker(n, task=None):
    yield task.sleep(n)
    print('worker', n, 'done')


sched = pycos.Pycos()
print('instance is Pycos()', pycos.Pycos.instance() is sched)
print('cur_task outside', pycos.Pycos.cur_task())
sched.atexit(10, print, 'atexit 10')
sched.atexit(20, print, 'atexit 20')
pycos.Task(worker, 0.1)
pycos.Task(worker, 0.2)
sched.join()
print('joined')
sched.finish()
print('finished')
