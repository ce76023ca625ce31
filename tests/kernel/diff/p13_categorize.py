# CategorizeMessages add/remove/receive
import pycos


def by_kind(msg):
    if isinstance(msg, tuple):
        return msg[0]
    return None


def main(task=None):
    cm = pycos.CategorizeMessages(task)
    cm.add(by_kind)
    for m in [('a', 1), 'plain1', ('b', 2), ('a', 3), 'plain2']:
        task.send(m)
    print('b ->', (yield cm.receive('b')))
    print('a ->', (yield cm.receive('a')))
    print('none ->', (yield cm.receive()))
    print('a ->', (yield cm.receive('a')))
    print('none ->', (yield cm.receive()))
    print('a timeout ->', (yield cm.receive('a', timeout=0.05, alarm_value='alarm')))
    cm.remove(by_kind)
    cm.add(lambda m: 'all')
    task.send(('a', 9))
    print('a after remove ->', (yield cm.receive('a', timeout=0.05, alarm_value='alarm')))
    print('all ->', (yield cm.receive('all')))


pycos.Task(main).value()
