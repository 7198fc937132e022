#!/usr/bin/env python3
"""A push endpoint of the Courier hub with Python's standard library only (no Courier library).

    COURIER_PUSH_SECRET=whsec_... python3 push_endpoint.py [PORT]

Verifies each push per Standard Webhooks (HMAC-SHA256 over "id.timestamp.body", 5 min tolerance), refuses bad
ones with 401, fails the first attempt of every message with 500 (to show the hub's retries), answers 200 (ack)
from the second attempt on. Prints "listening PORT" once ready, then one line per push: "ok|fail ID ATTEMPT BODY".
"""
import base64, hashlib, hmac, os, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

secret = os.environ["COURIER_PUSH_SECRET"]
out = threading.Lock()
key = base64.b64decode(secret[len("whsec_"):]) if secret.startswith("whsec_") else secret.encode()


def verified(headers, body):
    wid, ts, sigs = headers.get("webhook-id"), headers.get("webhook-timestamp"), headers.get("webhook-signature", "")
    if not wid or not ts or abs(time.time() - int(ts)) > 300:
        return False
    expected = base64.b64encode(hmac.new(key, f"{wid}.{ts}.".encode() + body, hashlib.sha256).digest()).decode()
    return any(s.startswith("v1,") and hmac.compare_digest(s[3:], expected) for s in sigs.split())


class Push(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        if not verified(self.headers, body):
            self.send_response(401); self.end_headers(); return
        attempt = int(self.headers["courier-attempt"])
        ok = attempt >= 2
        with out:  # one whole line per push, whatever the threads
            print("ok" if ok else "fail", self.headers["courier-message-id"], attempt, body.decode(errors="replace"), flush=True)
        self.send_response(200 if ok else 500)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


ThreadingHTTPServer.request_queue_size = 128  # the listen backlog (5 by default): the hub pushes in parallel
server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0), Push)
print("listening", server.server_address[1], flush=True)
server.serve_forever()
