#!/usr/bin/env python3
"""A fault-injecting HTTP proxy in front of a registry, for the pull tests.

usage: lib-registry-proxy.py UPSTREAM_URL PORT_FILE MODE_FILE LOG_FILE

Listens on 127.0.0.1 on a free port (written to PORT_FILE), forwards every
request to UPSTREAM_URL and logs "METHOD PATH RANGE STATUS" per request to
LOG_FILE.  MODE_FILE holds the fault to inject (re-read on each request):
  none             pass everything through
  corrupt-blob     blob bodies get one byte flipped (same length)
  truncate-blob    blob bodies over 4 KiB (layers) are cut to half, with a
                   matching Content-Length
  big-manifest     manifests are replaced by 5 MiB of valid JSON
  notjson-manifest manifests are replaced by an HTML page
  stall            blob responses send their headers and 1 KiB, then hang
  cut-once         the first GET of each blob sends half its body, then the
                   connection is closed; later requests (Range) pass
  flaky            the first GET of each blob answers 503
  redirect         blob GETs answer 307 to /_moved/<path>, served from upstream
"""
import http.client, http.server, socketserver, sys, threading, time, urllib.parse

UP = urllib.parse.urlparse(sys.argv[1])
PORT_FILE, MODE_FILE, LOG_FILE = sys.argv[2:5]
seen = set()
lock = threading.Lock()

def mode():
    try:
        with open(MODE_FILE) as f:
            return f.read().strip() or "none"
    except OSError:
        return "none"

def log(line):
    with lock, open(LOG_FILE, "a") as f:
        f.write(line + "\n")

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def upstream(self, path):
        c = http.client.HTTPConnection(UP.hostname, UP.port, timeout=60)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        c.request(self.command, path, headers=hdrs)
        return c, c.getresponse()

    def send(self, status, headers, body, length=None):
        self.send_response(status)
        for k, v in headers:
            if k.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        m = mode()
        path = self.path
        rng = self.headers.get("Range", "-")
        is_blob = "/blobs/sha256:" in path
        is_manifest = "/manifests/" in path
        if path.startswith("/_moved/"):
            path = path[len("/_moved"):]
        elif m == "redirect" and is_blob:
            log("%s %s %s 307" % (self.command, self.path, rng))
            self.send(307, [("Location", "/_moved" + path)], b"")
            return
        if m == "flaky" and is_blob:
            with lock:
                first = path not in seen
                seen.add(path)
            if first:
                log("%s %s %s 503" % (self.command, self.path, rng))
                self.send(503, [("Content-Type", "text/plain")], b"try again\n")
                return
        c, r = self.upstream(path)
        body = r.read()
        c.close()
        headers = r.getheaders()
        status = r.status
        log("%s %s %s %d" % (self.command, self.path, rng, status))
        ok = status in (200, 206)
        if ok and is_blob and m == "corrupt-blob" and body:
            body = bytes([body[0] ^ 0xff]) + body[1:]
        elif ok and is_blob and m == "truncate-blob" and len(body) > 4096:
            body = body[: len(body) // 2]
        elif ok and is_manifest and m == "big-manifest":
            body = b'{"schemaVersion": 2, "pad": "' + b"x" * (5 << 20) + b'"}'
            headers = [(k, v) for k, v in headers if k.lower() != "docker-content-digest"]
        elif ok and is_manifest and m == "notjson-manifest":
            body = b"<html><body>not a manifest</body></html>\n"
            headers = [(k, v) for k, v in headers
                       if k.lower() not in ("docker-content-digest", "content-type")]
            headers.append(("Content-Type", "text/html"))
        elif ok and is_blob and m == "stall":
            self.send_response(status)
            for k, v in headers:
                if k.lower() not in ("connection", "transfer-encoding"):
                    self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body[:1024])
            self.wfile.flush()
            time.sleep(120)
            return
        elif ok and is_blob and m == "cut-once" and len(body) > 1:
            with lock:
                first = path not in seen
                seen.add(path)
            if first:
                self.send_response(status)
                for k, v in headers:
                    if k.lower() not in ("connection", "transfer-encoding"):
                        self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
                return
        self.send(status, headers, body)

    do_HEAD = do_GET

class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

srv = Server(("127.0.0.1", 0), Handler)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(PORT_FILE + ".tmp", PORT_FILE)
srv.serve_forever()
