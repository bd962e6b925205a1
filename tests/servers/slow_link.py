"""A slow network link on loopback, for benchmarks and screenshots that need real round trips."""

from __future__ import annotations

import contextlib
import queue
import random
import socket
import threading
import time


class SlowLink:
    """A TCP forward on 127.0.0.1 that holds each chunk half a round trip each way.

    A stand-in for the WAN between a backend and its database (like `tc netem delay`):
    `jitter` spreads each delay by up to that fraction, from a seeded generator.
    """

    def __init__(
        self, target_port: int, round_trip: float, *, jitter: float = 0.0, port: int = 0
    ) -> None:
        self.target_port, self.round_trip, self.jitter = target_port, round_trip, jitter
        self._random = random.Random(target_port)
        try:
            self.sock = socket.create_server(("127.0.0.1", port), backlog=256)
        except OSError:  # the port asked for is taken: any free one will do
            self.sock = socket.create_server(("127.0.0.1", 0), backlog=256)
        self.port = int(self.sock.getsockname()[1])
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            # The client's first bytes also wait out the TCP handshake a real link costs.
            for a, b, first in ((client, upstream, self.round_trip), (upstream, client, 0.0)):
                threading.Thread(target=self._pump, args=(a, b, first), daemon=True).start()

    def _delay(self) -> float:
        spread = self._random.uniform(1 - self.jitter, 1 + self.jitter) if self.jitter else 1.0
        return self.round_trip / 2 * spread

    def _pump(self, src: socket.socket, dst: socket.socket, first: float) -> None:
        """Each chunk leaves half a round trip after it arrived: latency, not a slow pipe.

        Chunks in flight overlap, as on a real link; sleeping before each send instead
        would add the delay once per chunk and turn latency into a bandwidth limit.
        """
        chunks: queue.Queue[tuple[float, bytes]] = queue.Queue()
        threading.Thread(target=self._send, args=(chunks, dst), daemon=True).start()
        extra = first
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                chunks.put((time.monotonic() + self._delay() + extra, data))
                extra = 0.0
        chunks.put((time.monotonic() + self._delay(), b""))

    @staticmethod
    def _send(chunks: queue.Queue[tuple[float, bytes]], dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while True:
                due, data = chunks.get()
                if (wait := due - time.monotonic()) > 0:
                    time.sleep(wait)
                if not data:
                    break
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self.sock.close()
