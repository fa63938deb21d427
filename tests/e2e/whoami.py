#!/usr/bin/env python3
"""whoami.py PORT: an HTTP server on [::]:PORT (IPv4 too) that answers every
GET with the address it was reached at, so a test can tell which of a
host's addresses a connection went to (e.g. which address a DNS name led
to)."""
import http.server
import socket
import sys


class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        here = self.connection.getsockname()[0]
        if here.startswith("::ffff:"):
            here = here[7:]
        body = (here + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


class S(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6


S(("::", int(sys.argv[1])), H).serve_forever()
