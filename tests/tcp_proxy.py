"""A small TCP proxy the fault tests put in front of PostgreSQL, then break in one of two ways.

- `stop()` closes the listening socket and every forwarded connection, as a
  database host that goes away would (connections refused); `start()` listens
  on the same port again.
- `partition()` keeps everything open and forwards nothing, as a network
  partition (or a middlebox whose far side is gone) would: connections already
  made stay open and go silent, new ones are accepted and get no answer.
  `heal()` forwards again, delivering what was held, as TCP would after a
  short partition; `stop()` also ends a partition.

The proxy's own kernel still acknowledges what the client sends, so a client
sees silence, never an error: only a deadline of its own ends the wait.
"""

import contextlib
import socket
import threading


class TcpProxy:
    def __init__(self, target: tuple[str, int], port: int = 0):
        self.target = target
        self.port = port
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._forwarding = threading.Event()
        self._forwarding.set()

    def start(self) -> "TcpProxy":
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
            listener.close()
        with self._lock:
            sockets, self._open = self._open, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self._forwarding.set()  # threads held by a partition see closed sockets and end

    def partition(self) -> None:
        """Forward nothing from now on, in either direction, and close nothing."""
        self._forwarding.clear()

    def heal(self) -> None:
        self._forwarding.set()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # stopped
            with self._lock:
                self._open.add(client)
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        self._forwarding.wait()  # in a partition, a new connection gets no further
        try:
            upstream = socket.create_connection(self.target, timeout=2)
            upstream.settimeout(None)
        except OSError:
            with self._lock:
                self._open.discard(client)
            client.close()
            return
        with self._lock:
            if client not in self._open:  # stopped meanwhile
                upstream.close()
                return
            self._open.add(upstream)
        for source, sink in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                self._forwarding.wait()  # a partition holds what it has read
                sink.sendall(data)
        except OSError:
            pass
        self._forwarding.wait()  # and the end of the stream
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
