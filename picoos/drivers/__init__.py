"""picoos drivers: file descriptors made awaitable.

Sockets (`asyncsocket`), TLS (`tls`), pipes and files (`asyncfile`), serial
ports (`serial`, with pyserial), GPIO lines (`gpio`, the Linux GPIO
character device) and board detection (`board`).  Each driver is an fd plus
a non-blocking retry loop that waits on the kernel's notifier; import the
submodule you need.
"""
