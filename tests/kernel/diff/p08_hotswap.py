# hot_swappable / hot_swap: postponed swap, mailbox kept, name after swap
import pycos


def new_body(tag, task=None):
    print('new body', tag, task.name)
    while True:
        msg = yield task.receive(timeout=0.2, alarm_value=None)
        if msg is None:
            break
        print('new body got', msg)
    return 'new done'


def old_body(task=None):
    print('old body', task.name)
    v = yield task.sleep(0.1)     # swap requested here is postponed
    print('old body still running after sleep')
    print('hot_swappable ->', task.hot_swappable(True))
    yield task.sleep(0.05)
    print('not reached')


def declines(task=None):
    task.hot_swappable(True)
    try:
        yield task.suspend()
    except pycos.HotSwapException as e:
        print('declined swap', type(e.args[0]).__name__)
    v = yield task.receive()
    print('declines still runs, got', v)
    return 'declined'


def driver(task=None):
    t = pycos.Task(old_body)
    yield task.sleep(0.02)
    t.send('m1')
    t.send('m2')
    print('hot_swap ->', t.hot_swap(new_body, 'X'))
    v = yield t.finish()
    print('swapped finished with', v, t.name)
    d = pycos.Task(declines)
    yield task.sleep(0.02)
    print('hot_swap declines ->', d.hot_swap(new_body, 'Y'))
    yield task.sleep(0.02)
    d.send('hello')
    print((yield d.finish()), d.name)
    print('hot_swap dead ->', d.hot_swap(new_body, 'Z'))
    print('hot_swappable from other task ->', d.hot_swappable(True))


pycos.Task(driver).value()
