# channel deliver counts, transforms that drop, finished subscribers
import pycos

got = {}


def sub(name, n, task=None):
    got[name] = []
    for _ in range(n):
        got[name].append((yield task.receive()))


def main(task=None):
    top = pycos.Channel('top')
    low = pycos.Channel('low')
    a = pycos.Task(sub, 'a', 3)
    b = pycos.Task(sub, 'b', 4)
    print('subscribe a ->', (yield top.subscribe(a)))
    print('subscribe b ->', (yield top.subscribe(b)))
    print('subscribe junk ->', (yield top.subscribe('junk')))
    print('send ->', top.send('m1'))
    print('deliver ->', (yield top.deliver('m2')))
    print('deliver n=2 ->', (yield top.deliver('m3', n=2, timeout=1)))

    def only_odd(name, msg):
        return msg if msg % 2 else None
    print('set_transform ->', low.set_transform(only_odd))
    c = pycos.Task(sub, 'c', 1)
    print('subscribe b to low ->', (yield low.subscribe(b)))
    print('subscribe c to low ->', (yield low.subscribe(c)))
    print('deliver dropped, n=5 ->', (yield low.deliver(2, n=5, timeout=0.1)))
    print('deliver odd ->', (yield low.deliver(3)))
    yield a.finish()
    yield b.finish()
    yield c.finish()
    print('deliver after subscribers ended ->', (yield top.deliver('late', timeout=0.1)))
    yield task.sleep(0.05)
    print('unsubscribe a ->', (yield top.unsubscribe(a)))
    print('got', sorted(got.items()))


pycos.Task(main).value()
