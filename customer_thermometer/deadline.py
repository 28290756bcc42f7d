"""Every answer's deadline holds: a watch that shuts down the sockets a request used once its
whole answer is late, and the requests adapter whose connections enlist their sockets with it."""

import socket
import threading

from requests.adapters import HTTPAdapter
from requests.packages.urllib3.connection import HTTPConnection, HTTPSConnection
from requests.packages.urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class AnswerWatch:
    """The deadline of one request's whole answer, to its last byte (the TCP connect, before
    there is a socket to shut down, has its own time-out).

    A read's time-out bounds a silence, not a trickle: a server may send a TLS handshake, a
    header, a chunk's size or its trailers a byte at a time, or gzip members that hold
    nothing, and every read returns in time. At the deadline a timer shuts down the sockets
    the request used, which ends a read waiting on one, in any layer; the request then fails,
    and the caller reads its failure as the deadline's. A request runs inside
    `with AnswerWatch(seconds)`; the connections of WatchedAdapter enlist their sockets with
    the watch of their thread.

    Args:
        seconds: the deadline, from now.
    """

    current = threading.local()  # .watch: the watch of the request this thread is sending

    def __init__(self, seconds):
        self.expired = False
        self.ended = False
        self.sockets = []  # kept here: a connection drops its own when an answer says close
        self.copies = []  # of sockets, made by the watch, closed by it
        self.lock = threading.Lock()
        self.timer = threading.Timer(seconds, self.expire)
        self.timer.daemon = True

    def __enter__(self):
        AnswerWatch.current.watch = self
        self.timer.start()
        return self

    def __exit__(self, *exc_info):
        self.timer.cancel()
        AnswerWatch.current.watch = None
        with self.lock:
            self.ended = True
            for copy in self.copies:
                copy.close()
        return False

    @classmethod
    def enlist(cls, sock, copy=False):
        """Put a socket (or, with copy, a copy of it, which stays usable when the socket moves
        into a TLS one) under the watch of this thread's request, if one is watched."""
        watch = getattr(cls.current, "watch", None)
        if watch is None or sock is None:
            return
        while not hasattr(sock, "shutdown") and hasattr(sock, "socket"):
            sock = sock.socket  # TLS inside TLS (an HTTPS proxy): the socket it runs on
        with watch.lock:
            if copy:
                sock = sock.dup()
                watch.copies.append(sock)
            if sock not in watch.sockets:
                watch.sockets.append(sock)
            if watch.expired:
                watch.shut_down()

    def cut(self):
        """Return True when the deadline passed and shut a socket down (not when it passed
        while connecting, before any socket was made: the connect has its own time-out)."""
        with self.lock:
            return self.expired and bool(self.sockets)

    def expire(self):
        """At the deadline (in the timer's thread): shut down the request's sockets."""
        with self.lock:
            if not self.ended:
                self.expired = True
                self.shut_down()

    def shut_down(self):
        """Shut down every socket enlisted, ending the reads waiting on them."""
        for sock in self.sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except (OSError, AttributeError):  # closed already, or no socket of its own
                pass


class WatchedConnection:
    """What makes an HTTP(S) connection's sockets known to the AnswerWatch of its requests."""

    def _new_conn(self):
        """Connect, and enlist a copy of the socket: the TLS handshake that follows reads from a
        socket the watch sees only once the handshake ends (urllib3's own extension point)."""
        sock = super()._new_conn()
        AnswerWatch.enlist(sock, copy=True)
        return sock

    def request(self, *args, **kwargs):
        """Send (a connection kept alive serves several requests), and enlist the socket."""
        super().request(*args, **kwargs)
        AnswerWatch.enlist(self.sock)


class WatchedHTTPConnection(WatchedConnection, HTTPConnection):
    """An HTTP connection whose sockets an AnswerWatch can shut down."""


class WatchedHTTPSConnection(WatchedConnection, HTTPSConnection):
    """An HTTPS connection whose sockets an AnswerWatch can shut down."""


class WatchedHTTPConnectionPool(HTTPConnectionPool):
    """A pool of WatchedHTTPConnection."""

    ConnectionCls = WatchedHTTPConnection


class WatchedHTTPSConnectionPool(HTTPSConnectionPool):
    """A pool of WatchedHTTPSConnection."""

    ConnectionCls = WatchedHTTPSConnection


WATCHED_POOLS = {"http": WatchedHTTPConnectionPool, "https": WatchedHTTPSConnectionPool}


PLAIN_POOLS = {HTTPConnectionPool, HTTPSConnectionPool}


class WatchedAdapter(HTTPAdapter):
    """requests' adapter, with connections that an AnswerWatch can end (through a proxy too,
    unless a SOCKS one, whose connections are its own)."""

    def init_poolmanager(self, *args, **kwargs):
        """Make the pool manager, then give it watched pools."""
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = WATCHED_POOLS

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        """Return the proxy's manager, with watched pools where they were the plain ones."""
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if set(manager.pool_classes_by_scheme.values()) <= PLAIN_POOLS:
            manager.pool_classes_by_scheme = WATCHED_POOLS
        return manager
