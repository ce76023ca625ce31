"""TCP echo server on asyncio's Protocol API (optionally with uvloop).

The leanest way asyncio can hold a connection: no coroutine or stream
objects per connection, only a Protocol instance and its transport. The
C10K benchmark uses it as the memory baseline.
"""
import asyncio
import signal
import sys

from _listen import announce, listen, parse_args


class Echo(asyncio.Protocol):
    __slots__ = ("transport",)

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)


async def main(args):
    lsock = listen(args)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Echo, sock=lsock, backlog=args.backlog)
    announce(lsock)
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set_result, None)
    async with server:
        await stop


if __name__ == "__main__":
    if "--uvloop" in sys.argv:
        sys.argv.remove("--uvloop")
        import uvloop
        uvloop.install()
    asyncio.run(main(parse_args(__doc__)))
