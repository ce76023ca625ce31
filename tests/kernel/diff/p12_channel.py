# Channel: subscribe/unsubscribe/send/deliver/close/set_transform
import pycos


got = {'a': [], 'b': []}


def sub(name, n, task=None):
    for _ in range(n):
        msg = yield task.receive()
        got[name].append(msg)


def main(task=None):
    ch = pycos.Channel('news')
    print('name', ch.name, repr(ch))
    a = pycos.Task(sub, 'a', 3)
    b = pycos.Task(sub, 'b', 1)
    print('subscribe ->', (yield ch.subscribe(a)))
    print('subscribe again ->', (yield ch.subscribe(a)))
    print('send ->', ch.send('one'))
    yield task.sleep(0.05)
    print('deliver n=2 timeout ->', (yield ch.deliver('two', timeout=0.05, n=2)))
    yield task.sleep(0.05)
    print('subscribe b ->', (yield ch.subscribe(b)))
    print('deliver n=2 ->', (yield ch.deliver('three', n=2)))
    yield task.sleep(0.05)
    print('unsubscribe b ->', (yield ch.unsubscribe(b)))
    print('unsubscribe b again ->', (yield ch.unsubscribe(b)))

    def upper(name, msg):
        if msg == 'drop':
            return None
        return '%s:%s' % (name, msg.upper())
    print('set_transform ->', ch.set_transform(upper))
    ch.send('drop')
    print('deliver ->', (yield ch.deliver('four')))
    yield a.finish()
    print('located', (yield pycos.Channel.locate('news')) is ch)
    ch.close()
    print('send after close ->', ch.send('x'))
    print('a got', got['a'])
    print('b got', got['b'])


pycos.Task(main).value()
