"""SIP core, sans-I/O: bytes in, message objects out, bytes out. No sockets, no asyncio."""
