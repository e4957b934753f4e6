#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A notification endpoint for tests, on 127.0.0.1.

It checks the Standard Webhooks signature of every POST itself and appends
one JSON line per request to the log: {"path", "id", "timestamp", "verified",
"body", "answer"}. What it answers depends on the path:

  /ok          200
  /fail/N      500 to the first N requests of each webhook-id, then 200
  /hold        logs the request, then holds it until GET /_release, then 200
  /never       reads the request and never answers (until the client goes)
  /huge        200 with a body of 1 GB, streamed, never stored; then logs
               path /huge-sent with the bytes written before the client went
  /redirect    302 to /ok (which a deliverer must not follow)

Usage: webhook_receiver.py PORT_FILE LOG_FILE SECRET
The port it listens on is written to PORT_FILE once it accepts connections.
SECRET is whsec_..., or @PATH: the secret is then read from PATH at each
request (for an endpoint whose secret is known only once it was added).
"""
import base64
import hashlib
import hmac
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT_FILE, LOG_FILE, SECRET = sys.argv[1], sys.argv[2], sys.argv[3]
LOCK = threading.Lock()
ATTEMPTS = {}
RELEASED = threading.Event()
HOLD_LIMIT_S = 120


def key():
    secret = SECRET
    if secret.startswith("@"):
        with open(secret[1:]) as f:
            secret = f.read().strip()
    return base64.b64decode(secret[len("whsec_"):])


def verified(webhook_id, timestamp, body, signatures):
    signed = webhook_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key(), signed, hashlib.sha256).digest()).decode()
    for signature in signatures.split(" "):
        version, _, value = signature.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return True
    return False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def log(self, answer, webhook_id, timestamp, ok, body):
        line = json.dumps({"path": self.path, "id": webhook_id, "timestamp": timestamp,
                           "verified": ok, "body": body.decode("utf-8", "replace"),
                           "user_agent": self.headers.get("user-agent", ""),
                           "content_type": self.headers.get("content-type", ""),
                           "answer": answer})
        with LOCK:
            with open(LOG_FILE, "a") as log:
                log.write(line + "\n")

    def answer(self, status, body=b""):
        self.send_response(status)
        if status == 302:
            self.send_header("Location", "/ok")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/_release":
            RELEASED.set()
        self.answer(200)

    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        body = self.rfile.read(length)
        webhook_id = self.headers.get("webhook-id", "")
        timestamp = self.headers.get("webhook-timestamp", "")
        ok = verified(webhook_id, timestamp, body, self.headers.get("webhook-signature", ""))
        if self.path.startswith("/fail/"):
            with LOCK:
                ATTEMPTS[webhook_id] = ATTEMPTS.get(webhook_id, 0) + 1
                n = ATTEMPTS[webhook_id]
            status = 500 if n <= int(self.path[len("/fail/"):]) else 200
            self.log(status, webhook_id, timestamp, ok, body)
            self.answer(status)
        elif self.path == "/hold":
            self.log("held", webhook_id, timestamp, ok, body)
            RELEASED.wait(HOLD_LIMIT_S)
            self.answer(200)
        elif self.path == "/never":
            self.log("never", webhook_id, timestamp, ok, body)
            time.sleep(HOLD_LIMIT_S)
        elif self.path == "/huge":
            self.log(200, webhook_id, timestamp, ok, body)
            self.send_response(200)
            total = 1 << 30
            self.send_header("Content-Length", str(total))
            self.end_headers()
            chunk = b"x" * 65536
            sent = 0
            try:
                for _ in range(total // len(chunk)):
                    self.wfile.write(chunk)
                    sent += len(chunk)
            except OSError:
                pass
            # How much of it went out before the client cut it off.
            self.path = "/huge-sent"
            self.log(sent, webhook_id, timestamp, ok, b"")
        elif self.path == "/redirect":
            self.log(302, webhook_id, timestamp, ok, body)
            self.answer(302)
        else:
            self.log(200, webhook_id, timestamp, ok, body)
            self.answer(200)


class Server(ThreadingHTTPServer):
    daemon_threads = True


server = Server(("127.0.0.1", 0), Handler)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(PORT_FILE + ".tmp", PORT_FILE)
server.serve_forever()
