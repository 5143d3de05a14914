#!/usr/bin/env python3
"""Generate a bare realm whose main branch has COMMITS signed commits, for bench/verify.sh.

    bench/gen-realm-history.py REALM_DIR KEYS_DIR [COMMITS] [DOMAINS]

The realm requires signatures. Its first commit is the approver's; then each of DOMAINS
domains joins (its domain.yaml lists its maintainer's ssh key); every later commit is one
domain publishing a new minor version of its export, as `git realm sync` would write it,
with a `Realm-Domain:` trailer, signed with that domain's key by `ssh-keygen -Y sign`
exactly as git signs (namespace `git`). Objects are written loose, straight from here.
"""

import hashlib
import os
import subprocess
import sys
import zlib

realm, keys = sys.argv[1], sys.argv[2]
commits = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
domains = int(sys.argv[4]) if len(sys.argv) > 4 else 20

subprocess.run(["git", "init", "--quiet", "--bare", "-b", "main", realm], check=True)
objects = os.path.join(realm, "objects")


def write(kind, body):
    data = b"%s %d\0" % (kind, len(body)) + body
    oid = hashlib.sha1(data).hexdigest()
    path = os.path.join(objects, oid[:2], oid[2:])
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(zlib.compress(data, 1))
    return oid


def tree(entries):
    """entries: name -> ("blob", oid) or ("tree", oid)"""
    body = b""
    for name in sorted(entries, key=lambda n: n + ("/" if entries[n][0] == "tree" else "")):
        kind, oid = entries[name]
        mode = b"40000" if kind == "tree" else b"100644"
        body += mode + b" " + name.encode() + b"\0" + bytes.fromhex(oid)
    return write(b"tree", body)


def key(name):
    path = os.path.join(keys, name)
    if not os.path.exists(path):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path],
            check=True,
        )
    with open(path + ".pub") as f:
        return path, " ".join(f.read().split()[:2])


def sign(keypath, payload):
    out = subprocess.run(
        ["ssh-keygen", "-q", "-Y", "sign", "-n", "git", "-f", keypath],
        input=payload,
        capture_output=True,
        check=True,
    )
    return out.stdout


clock = [1769248800]


def commit(tree_id, parent, email, keypath, message):
    clock[0] += 60
    who = b"%s <%s> %d +0000" % (email.split("@")[0].encode(), email.encode(), clock[0])
    head = b"tree " + tree_id.encode() + b"\n"
    if parent:
        head += b"parent " + parent.encode() + b"\n"
    head += b"author " + who + b"\ncommitter " + who + b"\n"
    payload = head + b"\n" + message.encode()
    sig = sign(keypath, payload).rstrip(b"\n")
    signed = head + b"gpgsig " + sig.replace(b"\n", b"\n ") + b"\n\n" + message.encode()
    return write(b"commit", signed)


boss_key, boss_pub = key("boss")
realm_yaml = (
    "name: bench\nversion: 1.0.0\ngovernance:\n  admission: open\n  approvers:\n"
    "  - boss@example.com\n  breaking_changes:\n    require_approval: true\n"
    "    grace_period_days: 14\n  require_signatures: true\n  signing_keys:\n"
    f"  - boss@example.com {boss_pub}\n"
)
root = {"realm.yaml": ("blob", write(b"blob", realm_yaml.encode()))}
domain_trees = {}
owners = ["# Kept in step by git-realm: each domain's directory is owned by its maintainers.",
          "/realm.yaml boss@example.com", "/contracts/ boss@example.com"]


def snapshot():
    top = dict(root)
    if domain_trees:
        top["domains"] = ("tree", tree({d: ("tree", tree(files)) for d, files in domain_trees.items()}))
    github = tree({"CODEOWNERS": ("blob", write(b"blob", ("\n".join(owners) + "\n").encode()))})
    top[".github"] = ("tree", github)
    return tree(top)


tip = commit(snapshot(), None, "boss@example.com", boss_key, "bench: create realm\n")
made = 1
names = [f"domain-{i:03d}" for i in range(domains)]
domain_keys = {}
for name in names:
    if made >= commits:
        break
    path, pub = key(name)
    email = f"{name}@example.com"
    domain_keys[name] = (path, email)
    domain_yaml = f"name: {name}\nmaintainers:\n- {email}\nsigning_keys:\n- {email} {pub}\n"
    domain_trees[name] = {"domain.yaml": ("blob", write(b"blob", domain_yaml.encode()))}
    owners.append(f"/domains/{name}/ {email}")
    tip = commit(snapshot(), tip, email, path, f"{name}: join realm bench\n\nRealm-Domain: {name}\n")
    made += 1
minor = {name: 0 for name in names}
i = 0
while made < commits:
    name = names[i % len(domain_keys)]
    i += 1
    minor[name] += 1
    path, email = domain_keys[name]
    exports = (
        f"exports:\n- name: paths\n  version: 1.{minor[name]}.0\n  value:\n    read:\n"
        + "".join(f"    - jobs/{name}/{k}/*\n" for k in range(minor[name] % 7 + 1))
    )
    domain_trees[name]["exports.yaml"] = ("blob", write(b"blob", exports.encode()))
    tip = commit(
        snapshot(), tip, email, path,
        f"{name}: export paths 1.{minor[name]}.0\n\nRealm-Domain: {name}\n",
    )
    made += 1
    if made % 1000 == 0:
        print(f"{made} commits", file=sys.stderr)

subprocess.run(["git", "-C", realm, "update-ref", "refs/heads/main", tip], check=True)
print(tip)
