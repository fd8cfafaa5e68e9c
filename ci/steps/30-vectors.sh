#!/usr/bin/env bash
# Golden vectors (issue 5, spec/vectors.md): regenerate the committed suites with `mxref gen`
# and fail on any byte difference; check every manifest's SHA-256; run `mxref check` on the
# committed files against themselves (all pass) and against a corrupted copy (must fail with
# exit status 1). The re-derivation of every expected result by the independent references
# runs in step 00 (model/tests/vectors.rs, vectors_quantize.rs).
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -q -p mxref
bin="${CARGO_TARGET_DIR:-$PWD/target}/release/mxref"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

t0=$(date +%s.%N)
"$bin" gen --out "$tmp/tv"
t1=$(date +%s.%N)
echo "30-vectors: mxref gen took $(awk "BEGIN{printf \"%.2f\", $t1 - $t0}") s"
if ! diff -r testvectors "$tmp/tv" >"$tmp/diff.txt"; then
    head -20 "$tmp/diff.txt"
    echo "30-vectors: testvectors/ differs from what \`mxref gen\` writes now;" \
         "if the change is intended, run \`mxref gen\` and commit testvectors/" >&2
    exit 1
fi

# Manifests: every listed file exists with the recorded size and SHA-256.
python3 - <<'PY'
import hashlib, json, pathlib, sys
root = pathlib.Path("testvectors")
bad = 0
for m in sorted(root.glob("*/manifest.json")):
    man = json.loads(m.read_text())
    for f in man["files"]:
        p = m.parent / f["name"]
        data = p.read_bytes()
        if hashlib.sha256(data).hexdigest() != f["sha256"] or len(data) != f["bytes"]:
            print(f"30-vectors: {p}: size or sha256 differs from {m}", file=sys.stderr)
            bad += 1
print(f"30-vectors: {len(list(root.glob('*/manifest.json')))} manifests checked")
sys.exit(1 if bad else 0)
PY

# mxref check: the vectors pass against themselves, in both result forms.
for f in testvectors/dot-directed/*.jsonl testvectors/dot-random/*.jsonl \
         testvectors/quantize/quantize.jsonl testvectors/formats/*.jsonl; do
    "$bin" check --vectors "$f" --results "$f" | tail -1
done
grep -o '"d":"0x[0-9a-f]*"' testvectors/dot-random/rtl.jsonl | cut -d'"' -f4 >"$tmp/d.hex"
"$bin" check --vectors testvectors/dot-random/rtl.jsonl --results "$tmp/d.hex" | tail -1

# A corrupted result must fail with status 1 and name the vector.
sed '7s/^\(........\)./\1f/' "$tmp/d.hex" >"$tmp/bad.hex"
set +e
"$bin" check --vectors testvectors/dot-random/rtl.jsonl --results "$tmp/bad.hex" >"$tmp/out.txt"
rc=$?
set -e
if [ "$rc" -ne 1 ] || ! grep -q '^FAIL dot-random:rtl:6:' "$tmp/out.txt"; then
    cat "$tmp/out.txt"
    echo "30-vectors: a corrupted result was not reported (exit status $rc)" >&2
    exit 1
fi
echo "30-vectors: ok ($(du -sh testvectors | cut -f1) committed)"
