# what `yield <thing>` gives back
import pycos


def gen_fn():
    yield 1
    return 'gen result'


def main(task=None):
    other = pycos.Task(gen_fn)
    v = yield other
    print('task object given back', v is other)
    v = yield iter([1, 2])
    print('iterator given back', type(v).__name__)
    v = yield ValueError('not raised')
    print('exception instance given back', repr(v))
    v = yield gen_fn
    print('generator function given back', v is gen_fn)
    g = gen_fn()
    print('sub-call', (yield g))
    v = yield {'a': 1}
    print('dict', v)
    v = yield (1, 2)
    print('tuple', v)
    v = yield
    print('bare yield', v)
    return 'main done'


print(pycos.Task(main).value())
