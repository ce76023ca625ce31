# Task creation, task=None injection, names, repr, yield of values and sub-generators
import pycos


def double(a):
    v = yield 'x'
    print('  sub got back', v)
    return a * 2


def bad():
    yield None
    raise ValueError('bad sub')


def nested(n):
    if n == 0:
        return 'bottom'
    r = yield nested(n - 1)
    return '%s<%d' % (r, n)


def child(x, y=2, task=None):
    print('child', x, y, task.name, repr(task), str(task), task.is_alive())
    print('cur_task is task', pycos.Pycos.cur_task() is task)
    v = yield 5
    print('plain', v)
    v = yield None
    print('none', v)
    v = yield [1, 2]
    print('list', v)
    v = yield double(21)
    print('sub', v)
    print('name in task after sub', task.name)
    try:
        yield bad()
    except ValueError as e:
        print('caught', e)
    v = yield nested(3)
    print('nested', v)
    return x + y


def no_task_param(a, b):
    yield None
    print('no_task_param', a, b)
    return a - b


def kwonly(*, task=None, k=1):
    yield None
    print('kwonly', task.name, k)
    return k


t = pycos.Task(child, 1, y=3)
print('value', t.value())
print('alive after', t.is_alive())
print(repr(t), t.name)
t2 = pycos.Task(target=child, args=(10,), kwargs={'y': 1})
print('value2', t2.value())
print('value3', pycos.Task(no_task_param, 7, 2).value())
print('value4', pycos.Task(kwonly, k=9).value())
print('value again', t.value(), t.value(timeout=0))
