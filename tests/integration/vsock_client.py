#!/usr/bin/env python3
"""Host side of tests/integration/vsock.sh: speaks zone-vmm's hybrid vsock
protocol ("CONNECT <port>\\n" -> "OK <hostport>\\n") on a Unix socket.

  vsock_client.py echo SOCK PORT MSG    print the OK line and the echo of MSG
  vsock_client.py bulk SOCK PORT MIB    echo MIB MiB, print sha256 sent/received and MiB/s
  vsock_client.py okline SOCK PORT      print the OK line
  vsock_client.py refused SOCK PORT     print what arrives before the socket closes
  vsock_client.py listen PATH           accept one connection, print what it sent,
                                        answer "pong:" + that
"""
import hashlib, os, socket, sys, threading, time


# Timeouts guard against hangs; in the emulated KVM box they stretch.
SLOW = int(os.environ.get("ZONE_TEST_SLOW", "1"))

def connect(path, port, timeout=10):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout * SLOW)
    s.connect(path)
    s.sendall(b"CONNECT %d\n" % port)
    line = b""
    while not line.endswith(b"\n"):
        b = s.recv(1)
        if not b:
            break
        line += b
    return s, line.decode(errors="replace").strip()


def recv_all(s):
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            return out
        out += b


def main():
    mode = sys.argv[1]
    if mode == "echo":
        s, ok = connect(sys.argv[2], int(sys.argv[3]))
        s.sendall(sys.argv[4].encode())
        s.shutdown(socket.SHUT_WR)
        print(ok.split()[0] if ok else "NO-OK", recv_all(s).decode(errors="replace"))
    elif mode == "bulk":
        total = int(sys.argv[4]) << 20
        s, ok = connect(sys.argv[2], int(sys.argv[3]), timeout=60)
        if not ok.startswith("OK "):
            print("no OK line:", ok)
            return 1
        block = os.urandom(1 << 20)
        sent = hashlib.sha256()
        start = time.monotonic()

        def sender():
            for i in range(total >> 20):
                # vary each block so reordering would show in the hash
                b = block[i % 4096:] + block[: i % 4096]
                sent.update(b)
                s.sendall(b)
            s.shutdown(socket.SHUT_WR)

        t = threading.Thread(target=sender)
        t.start()
        got, n = hashlib.sha256(), 0
        while True:
            b = s.recv(1 << 20)
            if not b:
                break
            got.update(b)
            n += len(b)
        t.join()
        secs = time.monotonic() - start
        print(sent.hexdigest(), got.hexdigest(), n, "%.1f MiB/s" % (total / 2**20 / secs))
    elif mode == "okline":
        s, ok = connect(sys.argv[2], int(sys.argv[3]))
        print(ok)
    elif mode == "refused":
        s, ok = connect(sys.argv[2], int(sys.argv[3]))
        print("closed" if not ok else "got: " + ok)
    elif mode == "listen":
        l = socket.socket(socket.AF_UNIX)
        l.bind(sys.argv[2])
        l.listen(1)
        l.settimeout(30 * SLOW)
        c, _ = l.accept()
        c.settimeout(10 * SLOW)
        data = recv_all(c)
        c.sendall(b"pong:" + data)
        c.close()
        print(data.decode(errors="replace"))
    return 0


sys.exit(main())
