#!/usr/bin/env python3
"""A PostHog-compatible endpoint for the e2e tests (PostHog itself cannot
run here). It follows PostHog's documented wire format:

  POST /decide?v=3   body {"api_key", "distinct_id", ...} (JSON)
                     -> 200 {"featureFlags": {name: bool|variant},
                             "featureFlagPayloads": {name: "JSON text"},
                             "errorsWhileComputingFlags": false, ...}
                     a body without api_key -> 401 (PostHog's
                     authentication_error)
  POST /capture/     body {"api_key", "event", "distinct_id",
                     "properties", "timestamp"} -> 200 {"status": 1}
  POST /batch/       body {"api_key", "batch": [events]} -> 200 {"status": 1}

Usage: posthog_mock.py PORT DIR
  DIR/flags.json  the flags: {"name": value, ...} where value is true,
                  false, a variant string, or {"value": v, "payload": JSON};
                  re-read on every request, so a test changes it at will
  DIR/mode        "ok" (default), "500" (HTTP 500), "garbage" (a 200 whose
                  body is not JSON), "hang" (no answer for 30 s)
  DIR/requests.jsonl  one line per request: {"t", "method", "path", "query",
                  "content_type", "body" (parsed JSON or the raw text)}
Prints "ready" once listening (127.0.0.1:PORT)."""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs

PORT = int(sys.argv[1])
DIR = sys.argv[2]
LOCK = threading.Lock()


def read(name, default):
    try:
        with open(os.path.join(DIR, name)) as f:
            return f.read().strip()
    except FileNotFoundError:
        return default


def decide_body():
    flags = json.loads(read("flags.json", "{}") or "{}")
    ff, payloads = {}, {}
    for name, v in flags.items():
        if isinstance(v, dict):
            ff[name] = v.get("value", True)
            if "payload" in v:
                # v3 sends each payload as a string holding JSON.
                payloads[name] = json.dumps(v["payload"])
        else:
            ff[name] = v
    return {"config": {"enable_collect_everything": True},
            "featureFlags": ff, "featureFlagPayloads": payloads,
            "errorsWhileComputingFlags": False,
            "sessionRecording": False, "supportedCompression": ["gzip"]}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"	# keep-alive, as PostHog's

    def log_message(self, *a):
        pass

    def reply(self, status, body, ctype="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        u = urlsplit(self.path)
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n).decode("utf-8", "replace")
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw
        rec = {"t": time.time(), "method": "POST", "path": u.path,
               "query": parse_qs(u.query),
               "content_type": self.headers.get("Content-Type"), "body": body}
        with LOCK, open(os.path.join(DIR, "requests.jsonl"), "a") as f:
            f.write(json.dumps(rec) + "\n")
        mode = read("mode", "ok")
        if mode == "hang":
            time.sleep(30)
            return
        if mode == "500":
            return self.reply(500, {"type": "server_error", "detail": "mock failure"})
        if mode == "garbage":
            return self.reply(200, b"<html>not json", "text/html")
        if not isinstance(body, dict) or not body.get("api_key"):
            return self.reply(401, {"type": "authentication_error",
                                    "code": "invalid_api_key",
                                    "detail": "Project API key invalid."})
        if u.path == "/decide/" or u.path == "/decide":
            return self.reply(200, decide_body())
        if u.path in ("/capture/", "/capture", "/batch/", "/batch", "/e/"):
            return self.reply(200, {"status": 1})
        self.reply(404, {"type": "invalid_request", "detail": "not found"})


srv = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
srv.daemon_threads = True
print("ready", flush=True)
srv.serve_forever()
