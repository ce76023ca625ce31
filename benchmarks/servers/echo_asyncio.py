"""TCP echo server on asyncio streams (optionally with uvloop).

The idiomatic asyncio server: `start_server` plus a reader/writer coroutine
per connection. `--uvloop` runs the same code on uvloop's event loop.
"""
import asyncio
import signal
import sys

from _listen import announce, listen, parse_args


async def serve_conn(reader, writer, bufsize):
    try:
        while True:
            data = await reader.read(bufsize)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    writer.close()


async def main(args):
    lsock = listen(args)
    server = await asyncio.start_server(
        lambda r, w: serve_conn(r, w, args.bufsize), sock=lsock, backlog=args.backlog)
    announce(lsock)
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with server:
        await stop


if __name__ == "__main__":
    use_uvloop = "--uvloop" in sys.argv
    if use_uvloop:
        sys.argv.remove("--uvloop")
        import uvloop
        uvloop.install()
    asyncio.run(main(parse_args(__doc__)))
