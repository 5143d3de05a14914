#!/usr/bin/env bash
# Budget (SPEC 8, the pre-push budget): verifying an import against a binding of 200 IAM
# statements. A provider exports 200 S3 paths (100 read, 100 write); the consumer's binding
# grants each in its own statement, as policy JSON and as CDK Python. Times, with hyperfine,
# `git realm check --imports` (the whole process: realm snapshot, binding blob, extraction,
# coverage) and the consumer's pre-push hook as git runs it.
#
#   bench/verify-binding.sh [STATEMENTS]     # default 200
set -euo pipefail
n=${1:-200}
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
work=$(mktemp -d)
if [ -z "${KEEP:-}" ]; then trap 'rm -rf "$work"' EXIT; else echo "fixtures kept in $work" >&2; fi
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL="$work/gitconfig"
export PATH="$root/target/release:$PATH"
mkdir -p "$HOME"
git config --global user.email bench@example.com
git config --global user.name Bench
git config --global init.defaultBranch main
git realm init --name bench --admission open "$work/realm" >/dev/null

python3 - "$work" "$n" <<'PY'
import json, os, sys
work, n = sys.argv[1], int(sys.argv[2])
half = n // 2
read = [f"jobs/{i}/*/masks/*" for i in range(half)]
write = [f"training-metrics/{i}/experiments/*" for i in range(n - half)]
os.makedirs(f"{work}/aperture", exist_ok=True)
with open(f"{work}/aperture/paths.yaml", "w") as f:
    f.write("read:\n" + "".join(f"- {p}\n" for p in read))
    f.write("write:\n" + "".join(f"- {p}\n" for p in write))
statements = [
    {"Sid": f"S{i}", "Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion"],
     "Resource": f"arn:aws:s3:::bench-bucket/{p}"}
    for i, p in enumerate(read)
] + [
    {"Sid": f"W{i}", "Effect": "Allow", "Action": "s3:PutObject",
     "Resource": {"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::bench-bucket/{p}"}}
    for i, p in enumerate(write)
]
for name in ("json", "py"):
    os.makedirs(f"{work}/fungal-{name}/infra", exist_ok=True)
with open(f"{work}/fungal-json/infra/policy.json", "w") as f:
    json.dump({"Version": "2012-10-17", "Statement": statements}, f, indent=2)
with open(f"{work}/fungal-py/infra/stack.py", "w") as f:
    f.write('from aws_cdk import Stack, aws_iam as iam\n\nBUCKET = "bench-bucket"\n\n\n')
    f.write("class S(Stack):\n    def __init__(self, scope, construct_id, **kwargs):\n")
    f.write("        super().__init__(scope, construct_id, **kwargs)\n")
    for p in read:
        f.write(f'        role.add_to_policy(iam.PolicyStatement(\n            actions=["s3:GetObject"],\n'
                f'            resources=[f"arn:aws:s3:::{{BUCKET}}/{p}"],\n        ))\n')
    for p in write:
        f.write(f'        role.add_to_policy(iam.PolicyStatement(\n            actions=["s3:PutObject"],\n'
                f'            resources=["arn:aws:s3:::" + BUCKET + "/{p}"],\n        ))\n')
PY

cd "$work/aperture"
git init -q && git add -A && git commit -qm paths
git realm join ../realm --no-hooks >/dev/null 2>&1
git realm export --name paths --file paths.yaml >/dev/null
for kind in json py; do
	binding=infra/policy.json
	[ "$kind" = py ] && binding=infra/stack.py
	cd "$work/fungal-$kind"
	git init -q && git add -A && git commit -qm binding
	git remote add origin "$work/fungal-$kind.git" && git init -q --bare "$work/fungal-$kind.git"
	git realm join ../realm --as "fungal-$kind" >/dev/null 2>&1
	git realm import --contract paths --from aperture --binding "$binding" >/dev/null
	printf 'imports:\n- contract: paths\n  from: aperture\n  verify: s3-iam\n  bucket: bench-bucket\n' >>.realm/config.yaml
	git add -A && git commit -qm "verify the binding"
	git realm check --imports >/dev/null
	echo "# touch" >>README 2>/dev/null || true
	git add -A && git commit -qm "an unrelated change"
	printf 'refs/heads/main %s refs/heads/main %s\n' "$(git rev-parse HEAD)" "$(printf '0%.0s' $(seq 40))" >"$work/$kind.refs"
done
[ -n "${KEEP:-}" ] && exit 0
for kind in json py; do
	cd "$work/fungal-$kind"
	hyperfine --warmup 3 --runs 30 \
		--command-name "check --imports, $n statements ($kind)" "git realm check --imports" \
		--command-name "pre-push, $n statements ($kind)" ".git/hooks/pre-push origin $work/fungal-$kind.git <$work/$kind.refs"
done
