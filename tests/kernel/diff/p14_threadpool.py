# AsyncThreadPool.async_task: results and exceptions
import pycos


def add(a, b):
    return a + b


def fail(x):
    raise ValueError('bad %s' % x)


def main(task=None):
    pool = pycos.AsyncThreadPool(2)
    print('result ->', (yield pool.async_task(add, 2, 3)))
    try:
        yield pool.async_task(fail, 7)
    except ValueError as e:
        print('raised ->', e)
    results = []
    for i in range(4):
        results.append((yield pool.async_task(add, i, i)))
    print('results', results)
    pool.terminate()


pycos.Task(main).value()
