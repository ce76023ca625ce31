# send/receive/deliver return values, mailbox order, receive timeouts
import pycos


def receiver(task=None):
    v = yield task.receive(0.05, alarm_value='nothing')
    print('receive timeout ->', v)
    v = yield task.receive(0)
    print('receive 0 ->', v)
    v = yield task.receive(timeout=0, alarm_value='empty')
    print('receive 0 alarm ->', v)
    task.send('self1')
    task.send('self2')
    print('own', (yield task.receive()), (yield task.recv()))
    v = yield task.receive()
    print('got', v)
    # sender queued three more while we were not receiving
    yield task.sleep(0.1)
    for _ in range(3):
        print('queued', (yield task.receive(timeout=1)))
    v = yield task.receive()
    print('delivered', v)
    v = yield task.receive()
    print('none message', v)
    return 'receiver done'


def sender(r, task=None):
    yield task.sleep(0.2)
    print('send ->', r.send('first'))
    for i in range(3):
        print('send', i, '->', r.send(i))
    yield task.sleep(0.2)
    n = yield r.deliver('by deliver')
    print('deliver ->', n)
    n = yield r.deliver(None, timeout=1)
    print('deliver None ->', n)
    v = yield r.finish()
    print('finish ->', v)
    print('send dead ->', r.send('late'))
    n = yield r.deliver('late', timeout=0.1)
    print('deliver dead ->', n)


r = pycos.Task(receiver)
s = pycos.Task(sender, r)
s.value()
print('end')
