"""A small real SMTP server on loopback, for tests of Django's SMTP backend through the notify node.

It speaks just enough SMTP for ``smtplib``: it keeps every message it accepts (envelope and
bytes), refuses the recipients listed in ``refuse`` (code per address: 550 permanent, 450
temporary), and answers the first ``busy`` MAIL commands with ``421`` (a server that is briefly
unavailable), so tests can exercise the sender's retry meaning against a real conversation.
"""

from __future__ import annotations

import socketserver
import threading
from dataclasses import dataclass, field


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes


@dataclass
class SmtpServer:
    refuse: dict[str, int] = field(default_factory=dict)
    busy: int = 0
    received: list[Received] = field(default_factory=list)
    port: int = 0

    def __enter__(self) -> SmtpServer:
        server = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self) -> None:
                self.reply("220 test ESMTP")
                sender, rcpts = "", []
                while line := self.rfile.readline():
                    command = line.decode(errors="replace").strip()
                    verb = command[:4].upper()
                    if verb in ("EHLO", "HELO"):
                        self.reply("250-test\r\n250 8BITMIME" if verb == "EHLO" else "250 test")
                    elif verb == "MAIL":
                        if server.busy > 0:
                            server.busy -= 1
                            self.reply("421 test: service not available, try again later")
                            return
                        sender, rcpts = command.split(":", 1)[1].strip().strip("<>").split(">")[0], []
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        address = command.split(":", 1)[1].strip().strip("<>").split(">")[0]
                        code = server.refuse.get(address)
                        if code:
                            self.reply(f"{code} test: no such mailbox")
                        else:
                            rcpts.append(address)
                            self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 end with .")
                        data = b""
                        while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                            data += chunk
                        server.received.append(Received(sender, rcpts, data))
                        self.reply("250 OK queued")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:  # RSET, NOOP
                        self.reply("250 OK")

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
