#!/usr/bin/env python3
"""A small Bearer token server for the pull tests (docker's token protocol).

usage: lib-registry-token.py KEY_PEM CERT_PEM USER PASSWORD PORT_FILE LOG_FILE

Listens on 127.0.0.1 on a free port (written to PORT_FILE) and answers
GET /token?service=S&scope=repository:NAME:pull,push with a JWT signed by
KEY_PEM (RS256, the certificate in the x5c header) for the actions asked,
when the request carries Basic USER:PASSWORD; anonymous requests get a
token without access (the registry then refuses them); wrong credentials
get 401.  Each request is logged as "SCOPE USER STATUS"."""
import base64, http.server, json, os, socketserver, sys, time, uuid
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization

KEY_PEM, CERT_PEM, USER, PASSWORD, PORT_FILE, LOG_FILE = sys.argv[1:7]
key = open(KEY_PEM, "rb").read()
cert = x509.load_pem_x509_certificate(open(CERT_PEM, "rb").read())
x5c = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()

def log(line):
    with open(LOG_FILE, "a") as f:
        f.write(line + "\n")

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        from urllib.parse import urlparse, parse_qs
        q = parse_qs(urlparse(self.path).query)
        service = q.get("service", [""])[0]
        scopes = q.get("scope", [])
        user = None
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            try:
                u, _, p = base64.b64decode(auth[6:]).decode().partition(":")
            except Exception:
                u, p = "", ""
            if u != USER or p != PASSWORD:
                log("%s %s 401" % (",".join(scopes) or "-", u or "-"))
                self.reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]})
                return
            user = u
        access = []
        for s in scopes:
            parts = s.split(":")
            if len(parts) == 3 and parts[0] == "repository" and user:
                access.append({"type": "repository", "name": parts[1],
                               "actions": parts[2].split(",")})
        now = int(time.time())
        claims = {"iss": "zone-test-issuer", "sub": user or "", "aud": service,
                  "exp": now + 300, "nbf": now - 10, "iat": now, "jti": str(uuid.uuid4()),
                  "access": access}
        tok = jwt.encode(claims, key, algorithm="RS256", headers={"x5c": [x5c]})
        log("%s %s 200" % (",".join(scopes) or "-", user or "-"))
        self.reply(200, {"token": tok, "access_token": tok, "expires_in": 300})

class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

srv = Server(("127.0.0.1", 0), Handler)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(PORT_FILE + ".tmp", PORT_FILE)
srv.serve_forever()
