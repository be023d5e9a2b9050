"""HTTP/1.1 to a SessionMesh sidecar over its Unix socket, with the standard library only.

Shared by the backend examples in this folder (Examples/python/payment_flow.py keeps its own
copy so it stays a single file to read and copy).
"""
import http.client
import socket


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, socket_path, timeout=5.0):
        super().__init__("localhost", timeout=timeout)
        self.socket_path = socket_path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.socket_path)
        self.sock = sock
