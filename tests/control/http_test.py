#!/usr/bin/env python3
"""Runs tests/control/test_http (control/http.c) against a real HTTP/1.1
server on a free loopback port:
  POST /echo        200 "<content-type> <x-test> <body> port=<client port>"
  POST /status/500  500
  POST /big         200 with 2 MiB
  POST /slow        200 after 3 s
usage: http_test.py PATH/TO/test_http"""
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, status, data):
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except OSError:
            pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/echo":
            self.send(200, b"%s %s %s port=%d" % (
                (self.headers.get("Content-Type") or "-").encode(),
                (self.headers.get("X-Test") or "-").encode(), body, self.client_address[1]))
        elif self.path == "/status/500":
            self.send(500, b"no")
        elif self.path == "/big":
            self.send(200, b"x" * (2 << 20))
        elif self.path == "/slow":
            time.sleep(3)
            self.send(200, b"late")
        else:
            self.send(404, b"")


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
srv.daemon_threads = True
srv.handle_error = lambda *a: None	# clients that time out or are cancelled hang up
threading.Thread(target=srv.serve_forever, daemon=True).start()
p = subprocess.run([sys.argv[1], "http://127.0.0.1:%d" % srv.server_address[1]], timeout=90)
sys.exit(p.returncode)
