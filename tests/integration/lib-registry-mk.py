#!/usr/bin/env python3
"""Builds OCI layouts for the pull tests.

usage: lib-registry-mk.py multiarch SRC_LAYOUT OUT_LAYOUT
         OUT gets SRC's image as linux/amd64 plus a linux/arm64 twin (same
         layers, its own config), both listed by one image index tagged
         "multi"; prints the two manifest digests (amd64, arm64).
       lib-registry-mk.py random OUT_LAYOUT NLAYERS MIB_PER_LAYER
         an image of NLAYERS gzip layers of incompressible data, tagged
         "latest".
       lib-registry-mk.py split ROOTFS_TAR OUT_LAYOUT
         the tree in ROOTFS_TAR as an image of 4 gzip layers (everything
         but /usr, /usr/lib, /usr/share, the rest of /usr), tagged
         "latest"; a hard link goes with its target."""
import gzip, hashlib, io, json, os, shutil, sys, tarfile

def put(layout, data):
    d = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(layout, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return "sha256:" + d

def blob(layout, digest):
    with open(os.path.join(layout, "blobs", "sha256", digest[7:]), "rb") as f:
        return f.read()

def write_index(layout, desc, tag):
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    d = dict(desc)
    d["annotations"] = {"org.opencontainers.image.ref.name": tag}
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [d]}, f)

def desc(mt, data, digest, **kw):
    d = {"mediaType": mt, "digest": digest, "size": len(data)}
    d.update(kw)
    return d

def multiarch(src, out):
    shutil.copytree(os.path.join(src, "blobs"), os.path.join(out, "blobs"))
    top = json.load(open(os.path.join(src, "index.json")))["manifests"][0]
    mbytes = blob(src, top["digest"])
    man = json.loads(mbytes)
    entries = []
    for arch in ("amd64", "arm64"):
        cfg = json.loads(blob(src, man["config"]["digest"]))
        cfg["architecture"] = arch
        cfg["os"] = "linux"
        cb = json.dumps(cfg).encode()
        m = dict(man)
        m["config"] = desc(man["config"]["mediaType"], cb, put(out, cb))
        mb = json.dumps(m).encode()
        entries.append(desc("application/vnd.oci.image.manifest.v1+json", mb, put(out, mb),
                            platform={"architecture": arch, "os": "linux"}))
    ib = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                     "manifests": entries}).encode()
    write_index(out, desc("application/vnd.oci.image.index.v1+json", ib, put(out, ib)), "multi")
    print(entries[0]["digest"], entries[1]["digest"])

def random_image(out, nlayers, mib):
    layers, diff_ids = [], []
    for i in range(nlayers):
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tf:
            t = tarfile.TarInfo("layer%d" % i)
            t.type = tarfile.DIRTYPE
            t.mode = 0o755
            tf.addfile(t)
            data = os.urandom(mib << 20)
            t = tarfile.TarInfo("layer%d/random.bin" % i)
            t.size = len(data)
            t.mode = 0o644
            tf.addfile(t, io.BytesIO(data))
        tb = raw.getvalue()
        diff_ids.append("sha256:" + hashlib.sha256(tb).hexdigest())
        gz = gzip.compress(tb, compresslevel=1, mtime=0)
        layers.append(desc("application/vnd.oci.image.layer.v1.tar+gzip", gz, put(out, gz)))
    cfg = {"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/true"]},
           "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    cb = json.dumps(cfg).encode()
    man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
           "config": desc("application/vnd.oci.image.config.v1+json", cb, put(out, cb)),
           "layers": layers}
    mb = json.dumps(man).encode()
    write_index(out, desc(man["mediaType"], mb, put(out, mb)), "latest")

def split(src, out):
    def group(name):
        n = name[2:] if name.startswith("./") else name
        for i, p in ((1, "usr/lib/"), (2, "usr/share/"), (3, "usr/")):
            if n.startswith(p) and n != p.rstrip("/"):
                return i
        return 0
    bufs = [io.BytesIO() for _ in range(4)]
    tfs = [tarfile.open(fileobj=b, mode="w", format=tarfile.PAX_FORMAT) for b in bufs]
    where = {}
    with tarfile.open(src) as tf:
        for m in tf:
            g = where.get(m.linkname, group(m.name)) if m.islnk() else group(m.name)
            where[m.name] = g
            tfs[g].addfile(m, tf.extractfile(m) if m.isreg() else None)
    layers, diff_ids = [], []
    for tf, b in zip(tfs, bufs):
        tf.close()
        tb = b.getvalue()
        diff_ids.append("sha256:" + hashlib.sha256(tb).hexdigest())
        gz = gzip.compress(tb, compresslevel=6, mtime=0)
        layers.append(desc("application/vnd.oci.image.layer.v1.tar+gzip", gz, put(out, gz)))
    cfg = {"architecture": "amd64", "os": "linux",
           "config": {"Cmd": ["/bin/bash"], "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
           "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    cb = json.dumps(cfg).encode()
    man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
           "config": desc("application/vnd.oci.image.config.v1+json", cb, put(out, cb)),
           "layers": layers}
    mb = json.dumps(man).encode()
    write_index(out, desc(man["mediaType"], mb, put(out, mb)), "latest")

if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "multiarch":
        multiarch(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "split":
        split(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 5 and sys.argv[1] == "random":
        random_image(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(__doc__)
