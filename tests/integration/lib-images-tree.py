#!/usr/bin/env python3
"""Prints one line per file of a tree, sorted: path, type, mode, owner,
size, link target or sha256, xattrs (and, with --mtime, the mtime of
non-directories), so two trees
can be compared with diff.  usage: lib-images-tree.py [--mtime] DIR"""
import hashlib, os, stat, sys

def describe(root, rel, with_mtime):
    p = os.path.join(root, rel) if rel else root
    st = os.lstat(p)
    m = st.st_mode
    kind = stat.filemode(m)[0]
    extra = ""
    if stat.S_ISREG(m):
        h = hashlib.sha256()
        with open(p, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        extra = "sha256=" + h.hexdigest() + " size=%d nlink=%d" % (st.st_size, st.st_nlink)
    elif stat.S_ISLNK(m):
        extra = "-> " + os.readlink(p)
    elif stat.S_ISCHR(m) or stat.S_ISBLK(m):
        extra = "dev=%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))
    xattrs = []
    try:
        for name in sorted(os.listxattr(p, follow_symlinks=False)):
            if name.startswith(("user.", "security.capability", "trusted.")):
                xattrs.append("%s=%s" % (name, os.getxattr(p, name, follow_symlinks=False).hex()))
    except OSError:
        pass
    line = "%s %s %04o %d:%d %s %s" % (rel or ".", kind, stat.S_IMODE(m), st.st_uid, st.st_gid,
                                       extra, ",".join(xattrs))
    # Directory mtimes are left out: a directory an upper layer changes
    # gets the unpack time from umoci, its last layer's value from zone.
    if with_mtime and not stat.S_ISDIR(m):
        line += " mtime=%d" % st.st_mtime
    return line

def main():
    args = sys.argv[1:]
    with_mtime = "--mtime" in args
    args = [a for a in args if a != "--mtime"]
    root = args[0]
    out = [describe(root, "", with_mtime)]
    for dirpath, dirs, files in os.walk(root):
        for n in dirs + files:
            rel = os.path.relpath(os.path.join(dirpath, n), root)
            out.append(describe(root, rel, with_mtime))
    out.sort()
    sys.stdout.write("\n".join(out) + "\n")

main()
