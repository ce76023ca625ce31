"""A dispycos-style client program, ported by changing its import."""
import picoos
from picoos.dispycos import *  # noqa: F401,F403 - the point of the test

import jobfuncs


def compute(n, task=None):
    # a pycos-style job: a generator task that sleeps on the server's kernel
    yield task.sleep(0.01)
    return n * 2


def client_proc(client, njobs, task=None):
    if (yield client.schedule(timeout=60)):
        raise Exception("could not schedule client")
    rtasks = []
    for i in range(njobs):
        rtask = yield client.rtask(compute, i)
        rtasks.append(rtask)
    results = []
    for rtask in rtasks:
        results.append((yield rtask()))
    yield client.close()
    return results


def test_names_match_pycos_dispycos():
    import picoos.dispycos
    assert set(picoos.dispycos.__all__) == {"Scheduler", "Client", "Computation", "DispycosStatus",
                            "DispycosTaskInfo", "DispycosNodeInfo", "DispycosNodeAvailInfo",
                            "DispycosNodeAllocate"}
    assert Computation is Client  # noqa: F405
    assert Scheduler.NodeDiscovered == 2 and Scheduler.TaskFinished == 22  # noqa: F405


def test_pycos_style_program_runs_on_a_picoos_kernel(start_node):
    node = start_node("-c", "2")
    client = Client([compute, jobfuncs.square], nodes=[node.addr],  # noqa: F405
                    pulse_interval=0.5)
    assert picoos.run(client_proc, client, 10) == [2 * i for i in range(10)]
