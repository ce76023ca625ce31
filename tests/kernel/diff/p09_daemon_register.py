# set_daemon, register/locate/unregister (local)
import pycos


def service(task=None):
    task.set_daemon()
    while True:
        msg = yield task.receive()
        print('service got', msg)


def named(task=None):
    print('register ->', task.register('svc2'))
    print('register default ->', task.register())
    yield task.receive()


def client(task=None):
    s = pycos.Task(service)
    print('register service ->', s.register('svc'))
    n = pycos.Task(named)
    yield task.sleep(0.05)
    found = yield pycos.Task.locate('svc')
    print('locate svc is service', found is s)
    found.send('hi')
    print('locate svc2 is named', (yield pycos.Task.locate('svc2')) is n)
    print('locate by name is named', (yield pycos.Task.locate('named')) is n)
    print('unregister ->', n.unregister('svc2'))
    n.send('bye')
    yield n.finish()
    yield task.sleep(0.05)


pycos.Task(client)
pycos.Pycos().finish()
print('finished; daemon service left behind')
