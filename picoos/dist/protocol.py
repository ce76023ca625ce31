"""The messages of the dist protocol, in one place.

Client, node daemon and server processes exchange plain tuples over an
authenticated :class:`~picoos.dist.wire.Link`; the first item is one of the
names below. Keeping them here makes the protocol readable as a list and
stops a typo from becoming a silent no-op on the other side.

client -> node
    ATTACH (client_name, pulse, zombie)      take the node for this client
    INFO ()                                  ask for the node's figures only
    START (count,)                           start server processes
    FILE (name, data, last)                  a file for the session directory
    HEARTBEAT (jobs_running,)                the client is alive
    CLOSE_SERVER (sid, terminate, restart)
    ZOMBIE (seconds,)                        idle time after which the node may give
                                             the client up (0: never); abandon_zombie()
    DETACH (terminate,)                      the client is done with the node
node -> client
    ATTACHED (info,) / BUSY (reason,)        reply to ATTACH
    SERVERS ([(sid, port, pid)],)            reply to START
    SERVER_UP (sid, port, pid) / SERVER_LOST (sid, exit_status)
    PULSE (resources,)                       heartbeat with the node's figures
    FILE_DONE (name, error)
    SERVICE (state,)                         "stop": no new jobs, "end": closing
    CLOSING (reason, final)                  the node ends the session (final: do not redial)
client -> server
    INIT (components,) / SETUP (tag, fn, args, kwargs)
                                             tag: "node", "node-state" (take over the
                                             globals node_setup bound), "server"
    RUN (job_id, fn, args, kwargs, io) / TERMINATE (job_id[, grace])
    FILE (name, data, last) / PING (t,) / CLOSE ()
server -> client
    NETLOC (port,)                           first: the TCP port of its networked kernel
    INIT_DONE (error,) / SETUP_DONE (tag, error, value)
    RESULT (job_id, state, value)            state: ok, error, terminated, requeue
    FILE (name, data, last) / PONG (t,)
    LEAVING ()                               the server is about to exit: send no more
    SERVER_CLOSE (terminate, restart)        a job called dispycos_close_server()
    NODE_CLOSE (terminate,)                  a job called dispycos_close_node()
"""

ATTACH = "attach"
INFO = "info"
START = "start"
FILE = "file"
HEARTBEAT = "heartbeat"
CLOSE_SERVER = "close_server"
ZOMBIE = "zombie"
DETACH = "detach"
ATTACHED = "attached"
BUSY = "busy"
SERVERS = "servers"
SERVER_UP = "server_up"
SERVER_LOST = "server_lost"
PULSE = "pulse"
FILE_DONE = "file_done"
SERVICE = "service"
CLOSING = "closing"
INIT = "init"
INIT_DONE = "init_done"
SETUP = "setup"
SETUP_DONE = "setup_done"
RUN = "run"
TERMINATE = "terminate"
RESULT = "result"
PING = "ping"
PONG = "pong"
LEAVING = "leaving"
NETLOC = "netloc"
CLOSE = "close"
SERVER_CLOSE = "server_close"
NODE_CLOSE = "node_close"

# job result states
OK = "ok"
ERROR = "error"
TERMINATED = "terminated"
REQUEUE = "requeue"        # never started: the server is going away, run it elsewhere

FILE_CHUNK = 1 << 20
