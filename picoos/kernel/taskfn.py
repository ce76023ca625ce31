"""Calling a task function: how `Task(fn, *args, **kwargs)` makes the
generator (or coroutine) a task runs.

As in pycos, a function with a parameter `task` whose default is None gets
the new task in it, and `Task(target=f, args=(...), kwargs={...})` is
accepted too.  Whether a function wants `task` is fixed by its code object,
so the answer is cached per code object (`_code_kind`, read by
`Task.__init__` on every spawn).
"""
from .errors import TaskError

_CO_GENERATOR = 0x20
_CO_COROUTINE = 0x80
_CO_ITERABLE_COROUTINE = 0x100

# code object of a task function -> whether it wants `task` injected; filled
# by make_generator, read on every spawn (the answer is fixed by the code)
_code_kind = {}


def make_generator(task, args, kwargs):
    """Call the task function (first of `args`) the way pycos does.

    If the function has a parameter `task` whose default is None, the new
    task is passed in it.  `Task(target=f, args=(...), kwargs={...})` is
    accepted too.
    """
    if args:
        target = args[0]
        args = args[1:]
    else:
        target = kwargs.pop("target", None)
        args = tuple(kwargs.pop("args", ()))
        kwargs = dict(kwargs.pop("kwargs", kwargs))
    code = getattr(target, "__code__", None)
    if code is not None:
        flags = code.co_flags
        if not flags & (_CO_GENERATOR | _CO_COROUTINE | _CO_ITERABLE_COROUTINE):
            raise TaskError("a task runs a generator function or an async def function; "
                            "%s is a plain function (it has no yield/await)" % _describe(target))
        wants = _code_kind.get(code)
        if wants is None:
            wants = _has_task_param(target, code)
            if len(_code_kind) < 10000:
                _code_kind[code] = wants
        if wants and kwargs.get("task") is None:
            kwargs["task"] = task
        return target(*args, **kwargs)
    if target is None:
        raise TaskError("Task() needs a generator function or async def function to run")
    # functools.partial, callable objects, generator objects: call/inspect
    if hasattr(target, "send") and hasattr(target, "throw"):
        if args or kwargs:
            raise TaskError("arguments given with an already created generator %r" % (target,))
        return target
    if not callable(target):
        raise TaskError("a task runs a generator function or an async def function, got %r"
                        % (target,))
    gen = target(*args, **kwargs)
    if not (hasattr(gen, "send") and hasattr(gen, "throw")):
        raise TaskError("a task runs a generator function or an async def function; "
                        "%s returned %r" % (_describe(target), type(gen).__name__))
    return gen


def _describe(fn):
    return "%s()" % getattr(fn, "__qualname__", getattr(fn, "__name__", repr(fn)))


def _has_task_param(fn, code):
    names = code.co_varnames
    npos = code.co_argcount
    defaults = getattr(fn, "__defaults__", None)
    if defaults and "task" in names[npos - len(defaults):npos]:
        i = names.index("task", npos - len(defaults), npos)
        return defaults[i - (npos - len(defaults))] is None
    kwdefaults = getattr(fn, "__kwdefaults__", None)
    if kwdefaults and "task" in kwdefaults:
        return kwdefaults["task"] is None
    return False
