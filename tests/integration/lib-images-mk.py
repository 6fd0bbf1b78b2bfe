#!/usr/bin/env python3
"""Builds OCI image layouts for the image tests, layer by layer, with
python's tarfile so entry order, whiteouts and hostile names are exact.

usage: lib-images-mk.py multilayer OUT_DIR [gzip]
       lib-images-mk.py hostile KIND OUT_DIR ESCAPE_PATH
KIND: see HOSTILE below.  ESCAPE_PATH is an absolute path that an escape
would create (the test checks it never appears)."""
import gzip, hashlib, io, json, os, subprocess, sys, tarfile

T0 = 1700000000

def ti(name, kind=tarfile.REGTYPE, mode=0o644, uid=0, gid=0, mtime=T0, **kw):
    t = tarfile.TarInfo(name)
    t.type = kind
    t.mode = mode
    t.uid, t.gid = uid, gid
    t.mtime = mtime
    for k, v in kw.items():
        setattr(t, k, v)
    return t

class Layer:
    def __init__(self):
        self.buf = io.BytesIO()
        self.tf = tarfile.open(fileobj=self.buf, mode="w", format=tarfile.PAX_FORMAT)

    def dir(self, name, mode=0o755, **kw):
        self.tf.addfile(ti(name, tarfile.DIRTYPE, mode, **kw))

    def file(self, name, data=b"", mode=0o644, xattrs=None, **kw):
        t = ti(name, tarfile.REGTYPE, mode, **kw)
        t.size = len(data)
        if xattrs:
            t.pax_headers = {"SCHILY.xattr." + k: v.decode("utf-8", "surrogateescape")
                             for k, v in xattrs.items()}
        self.tf.addfile(t, io.BytesIO(data))

    def symlink(self, name, target, **kw):
        self.tf.addfile(ti(name, tarfile.SYMTYPE, 0o777, linkname=target, **kw))

    def hardlink(self, name, target, **kw):
        self.tf.addfile(ti(name, tarfile.LNKTYPE, 0o644, linkname=target, **kw))

    def whiteout(self, name):
        d, b = os.path.split(name)
        self.file(os.path.join(d, ".wh." + b), mode=0o600)

    def opaque(self, d):
        self.file(os.path.join(d, ".wh..wh..opq"), mode=0o600)

    def dev(self, name, kind, major, minor, mode=0o600):
        self.tf.addfile(ti(name, kind, mode, devmajor=major, devminor=minor))

    def fifo(self, name, mode=0o600):
        self.tf.addfile(ti(name, tarfile.FIFOTYPE, mode))

    def sparse(self, name, realsize, segments, mode=0o644):
        """PAX sparse 1.0: a map block, then the data segments."""
        m = "%d\n" % len(segments) + "".join("%d\n%d\n" % (o, len(b)) for o, b in segments)
        mb = m.encode()
        mb += b"\0" * (-len(mb) % 512)
        data = mb + b"".join(b for _, b in segments)
        t = ti("./GNUSparseFile.0/" + os.path.basename(name), tarfile.REGTYPE, mode)
        t.size = len(data)
        t.pax_headers = {"GNU.sparse.major": "1", "GNU.sparse.minor": "0",
                         "GNU.sparse.name": name, "GNU.sparse.realsize": str(realsize)}
        self.tf.addfile(t, io.BytesIO(data))

    def tar(self):
        self.tf.close()
        return self.buf.getvalue()

def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()

def compress(raw, how):
    if how == "gzip":
        return gzip.compress(raw, mtime=0), "application/vnd.oci.image.layer.v1.tar+gzip"
    if how == "zstd":
        z = subprocess.run(["zstd", "-q", "-c"], input=raw, stdout=subprocess.PIPE, check=True)
        return z.stdout, "application/vnd.oci.image.layer.v1.tar+zstd"
    return raw, "application/vnd.oci.image.layer.v1.tar"

def write_layout(out, layers, tag="latest", tamper=None):
    """layers: list of (raw tar bytes, compression).  tamper(kind, ...)
    lets hostile cases break the layout after the digests are computed."""
    os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)
    blobs = {}
    descs, diff_ids = [], []
    for raw, how in layers:
        blob, mt = compress(raw, how)
        if tamper and "blob" in tamper:
            blob = tamper["blob"](blob)
        d = sha(blob)
        blobs[d] = blob
        descs.append({"mediaType": mt, "digest": d, "size": len(blob)})
        diff_ids.append(sha(raw))
    if tamper and "after" in tamper:
        tamper["after"](blobs, descs)
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "created": "2023-11-14T22:13:20Z",
        "config": {"Cmd": ["/bin/sh"], "Env": ["PATH=/bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    blobs[sha(config)] = config
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": sha(config), "size": len(config)},
        "layers": descs}).encode()
    blobs[sha(manifest)] = manifest
    for d, b in blobs.items():
        if tamper and d in tamper.get("drop", ()):
            continue
        with open(os.path.join(out, "blobs", "sha256", d[7:]), "wb") as f:
            f.write(b)
    if tamper and "corrupt" in tamper:
        tamper["corrupt"](out, blobs, descs)
    with open(os.path.join(out, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": sha(manifest), "size": len(manifest),
            "annotations": {"org.opencontainers.image.ref.name": tag}}]}, f)

CAP = bytes.fromhex("0100000200200000000000000000000000000000")  # cap_net_bind_service+ep (v2)

def multilayer(out, zstd=True):
    l1 = Layer()
    l1.dir("a"); l1.file("a/keep", b"keep\n"); l1.file("a/gone", b"gone\n")
    l1.dir("d", mode=0o750, uid=1000, gid=1000)
    l1.file("d/x", b"x\n"); l1.file("d/y", b"y\n"); l1.dir("d/sub"); l1.file("d/sub/z", b"z\n")
    l1.dir("hl"); l1.file("hl/orig", b"shared inode\n", mode=0o640, uid=7, gid=8)
    l1.hardlink("hl/twin", "hl/orig")
    l1.dir("w"); l1.file("w/target", b"whited out but linked\n")
    l1.dir("bin"); l1.file("bin/su", b"#!setuid\n", mode=0o4755)
    l1.file("bin/sgid", b"#!setgid\n", mode=0o2711, gid=5)
    l1.file("bin/ping", b"#!caps\n", mode=0o755, xattrs={"security.capability": CAP})
    l1.file("bin/tagged", b"x", xattrs={"user.note": b"hello", "trusted.overlay.opaque": b"y"})
    l1.symlink("bin/sh", "busybox"); l1.symlink("abs", "/etc/passwd")
    l1.dir("dev"); l1.dev("dev/null", tarfile.CHRTYPE, 1, 3, 0o666); l1.fifo("dev/fifo")
    l1.sparse("sparse.img", 1 << 20, [(4096, b"A" * 100), (600000, b"B" * 5000)])
    l1.dir("r"); l1.file("r/f", b"file to become a dir\n"); l1.dir("r/dd"); l1.file("r/dd/c", b"c\n")
    l1.dir("o"); l1.dir("o/inner"); l1.file("o/inner/old", b"old\n"); l1.file("o/old2", b"2\n")
    l1.file("mtime", b"t\n", mtime=1234567890)

    l2 = Layer()
    l2.whiteout("a/gone")
    l2.opaque("d"); l2.file("d/new", b"new\n")
    l2.hardlink("w/link", "w/target")   # then the target is whited out
    l2.whiteout("w/target")
    l2.whiteout("hl/orig")              # hl/twin keeps the inode
    l2.dir("r/f"); l2.file("r/f/child", b"child\n")
    l2.file("r/dd", b"dir became a file\n")
    l2.file("bin/busybox", b"not really\n", mode=0o755)
    l2.dir("o"); l2.file("o/inner/kept-by-opq-order", b"k\n"); l2.opaque("o")  # opq after entries

    l3 = Layer()
    l3.dir("x"); l3.hardlink("x/crosslink", "a/keep")   # hard link into a lower layer
    l3.file("a/gone", b"back again\n")
    l3.whiteout("bin/tagged")
    l3.file("d/sub/.wh..wh..opq", b"")   # opaque on a dir already hidden: no-op
    # umoci 0.4 cannot read zstd: its copy of the image has a gzip layer 3
    # instead (same diff_ids, so the same config and the same flattened tree)
    write_layout(out, [(l1.tar(), "gzip"), (l2.tar(), None), (l3.tar(), "zstd" if zstd else "gzip")])

def hostile(kind, out, esc):
    rel = "../" * 24 + esc.lstrip("/")
    L = Layer()
    tamper = None
    raw_layers = None
    if kind == "dotdot":
        L.file(rel, b"escaped\n")
    elif kind == "absolute":
        L.file(esc, b"escaped\n")
    elif kind == "symlink-write":
        L.symlink("link", os.path.dirname(esc)); L.file("link/" + os.path.basename(esc), b"x\n")
    elif kind == "symlink-dotdot-write":
        L.symlink("link", "../" * 24 + os.path.dirname(esc).lstrip("/"))
        L.file("link/" + os.path.basename(esc), b"x\n")
    elif kind == "hardlink-outside":
        L.hardlink("hl", "../" * 24 + "etc/passwd")
    elif kind == "hardlink-absolute":
        L.hardlink("hl", "/etc/passwd")
    elif kind == "hardlink-via-symlink":
        L.symlink("etc", "/etc"); L.hardlink("hl", "etc/passwd")
    elif kind == "blockdev":
        L.dir("dev"); L.dev("dev/sda", tarfile.BLKTYPE, 8, 0)
    elif kind == "chardev":
        L.dir("dev"); L.dev("dev/mem", tarfile.CHRTYPE, 1, 1)
    elif kind == "sparse-bomb":
        L.sparse("bomb", 10 << 30, [((10 << 30) - 4096, b"Z" * 4096)])
    elif kind == "digest-mismatch":
        L.file("ok", b"fine\n")
        tamper = {"corrupt": lambda o, blobs, descs: corrupt_blob(o, descs[0]["digest"])}
    elif kind == "truncated-gzip":
        L.file("big", os.urandom(200000))
        raw_layers = [(L.tar(), "gzip")]
        tamper = {"blob": lambda b: b[: len(b) // 2]}
    elif kind == "missing-blob":
        L.file("ok", b"fine\n")
        tamper = {"after": lambda blobs, descs: None, "drop": set()}
        raw = L.tar()
        blob, _ = compress(raw, "gzip")
        tamper["drop"] = {sha(blob)}
        raw_layers = [(raw, "gzip")]
    else:
        sys.exit("unknown hostile kind " + kind)
    write_layout(out, raw_layers or [(L.tar(), "gzip")], tamper=tamper)

def corrupt_blob(out, digest):
    """Same length, one byte changed (the gzip trailer)."""
    p = os.path.join(out, "blobs", "sha256", digest[7:])
    with open(p, "r+b") as f:
        f.seek(-1, 2)
        b = f.read(1)
        f.seek(-1, 2)
        f.write(bytes([b[0] ^ 0xff]))

HOSTILE = ["dotdot", "absolute", "symlink-write", "symlink-dotdot-write", "hardlink-outside",
           "hardlink-absolute", "hardlink-via-symlink", "blockdev", "chardev", "sparse-bomb",
           "digest-mismatch", "truncated-gzip", "missing-blob"]

if __name__ == "__main__":
    if sys.argv[1] == "multilayer":
        multilayer(sys.argv[2], zstd=len(sys.argv) < 4)
    elif sys.argv[1] == "hostile":
        hostile(sys.argv[2], sys.argv[3], sys.argv[4])
    elif sys.argv[1] == "list-hostile":
        print("\n".join(HOSTILE))
    else:
        sys.exit(__doc__)
