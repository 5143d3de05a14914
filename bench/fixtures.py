#!/usr/bin/env python3
"""git fast-import streams for the benchmark fixtures, written to stdout.

  fixtures.py realm DOMAINS CODEOWNERS_FILE   a commit on refs/heads/main adding DOMAINS
                                              domains x 5 exports (and their CODEOWNERS)
  fixtures.py code FILES                      a commit on refs/heads/main of FILES source
                                              files, a few of them using S3

A realm of 10,000 domains is 30,000 files: written as one stream, git stores it in seconds.
"""
import random
import sys

out = sys.stdout.buffer
WHEN = "1769248800 +0000"


def blob(path, text):
    data = text.encode()
    out.write(b"M 100644 inline %s\ndata %d\n" % (path.encode(), len(data)))
    out.write(data)
    out.write(b"\n")


def commit(message, parent):
    msg = message.encode()
    out.write(b"commit refs/heads/main\n")
    out.write(b"author Bench <bench@example.com> %s\n" % WHEN.encode())
    out.write(b"committer Bench <bench@example.com> %s\n" % WHEN.encode())
    out.write(b"data %d\n%s\n" % (len(msg), msg))
    if parent:
        out.write(b"from refs/heads/main^0\n")


def export_value(d, e):
    return f"read:\n- jobs/{d}/*\n- metrics/{e}/*\nwrite:\n- jobs/{d}/out/*\n"


def realm(n, codeowners):
    commit(f"bench: {n} domains", parent=True)
    owners = open(codeowners).read()
    for i in range(n):
        d = f"domain-{i:05d}"
        blob(
            f"domains/{d}/domain.yaml",
            f"name: {d}\nrepo_url: https://github.com/example/{d}.git\nmaintainers:\n"
            f"- team-{i}@example.com\njoined_at: 2026-01-24T10:00:00Z\n",
        )
        exports = ["exports:\n"]
        for e in range(5):
            value = "".join("    " + line + "\n" for line in export_value(d, e).splitlines())
            exports.append(
                f"- name: export-{e}\n  version: 1.{e}.0\n  description: export {e} of {d}\n"
                f"  value:\n{value}  changelog:\n  - version: 1.{e}.0\n    date: 2026-01-24\n"
                f"    changes:\n    - First published\n"
            )
        blob(f"domains/{d}/exports.yaml", "".join(exports))
        p = f"domain-{(i + 1) % n:05d}"
        blob(
            f"domains/{d}/imports.yaml",
            f"imports:\n- contract: export-{i % 5}\n  from: {p}\n  version: ^1\n  status: current\n"
            f"  resolved_version: 1.{i % 5}.0\n  resolved_at: 2026-01-24T10:00:00Z\n",
        )
        owners += f"/domains/{d}/ team-{i}@example.com\n"
    blob(".github/CODEOWNERS", owners)


def code(n):
    rng = random.Random(7)
    words = "alpha beta gamma delta jobs masks config manifest training metrics runs model data".split()
    commit(f"{n} files", parent=False)
    for i in range(n):
        lines = [" ".join(rng.choice(words) for _ in range(8)) for _ in range(40)]
        if i % 500 == 0:
            lines.append(f'client.get_object(Bucket=B, Key=f"jobs/{{job}}/part{i % 7}/masks/{{name}}")')
            lines.append(f'URI = f"s3://{{BUCKET}}/training-runs/{i % 11}/{{run}}"')
        if i % 1000 == 0:
            lines.append(f'client.put_object(Bucket=B, Key=f"training-metrics/{i % 13}/{{run}}", Body=b)')
        blob(f"src/pkg{i % 100:02d}/mod{(i // 100) % 100:02d}/file{i}.py", "\n".join(lines) + "\n")


if __name__ == "__main__":
    kind = sys.argv[1]
    if kind == "realm":
        realm(int(sys.argv[2]), sys.argv[3])
    elif kind == "code":
        code(int(sys.argv[2]))
    else:
        sys.exit(f"unknown fixture {kind}")
