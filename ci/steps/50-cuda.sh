#!/usr/bin/env bash
# The CPU side of the GPU cross-check (cuda/, mxref gpu). CI has no GPU and no nvcc: this step
# checks that the Python runner and the Rust tool agree on the vector and result file layouts
# (byte for byte, every element width), that the probe analysis maps known partitions to the
# right group_layout, and that the scripts parse. The GPU runs themselves are in docs/gpu/.
set -euo pipefail
cd "$(dirname "$0")/../.."
for f in cuda/*.sh; do bash -n "$f"; done
python3 -m py_compile cuda/mxgpu.py cuda/characterize.py cuda/bw_pack_test.py
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check numpy ml_dtypes
cargo build -q --release -p mxref
MX=$PWD/target/release/mxref
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
for spec in "e4m3 e4m3 0" "e4m3 e5m2 0" "fp16 fp16 0" "bf16 bf16 0" "tf32 tf32 0" "e5m2 e5m2 32" \
            "e3m2 e2m3 32" "e4m3 e2m1 32" "e2m1 e2m1 16 ue4m3"; do
    set -- $spec
    $MX gpu gen --a $1 --b $2 --m 16 --n 8 --k 64 --block $3 ${4:+--scale $4} --tiles 30 --seed 5 \
        -o "$T/v.bin" 2>/dev/null
    $MX gpu eval --vectors "$T/v.bin" --numerics exact -o "$T/r.bin"
    # Python reads both files and writes them again; the bytes must come back unchanged and
    # mxref must accept the Python-written results.
    (cd cuda && ../.venv/bin/python - "$T" <<'PY'
import sys, numpy as np, mxgpu
t = sys.argv[1]
p = mxgpu.read_vectors(f"{t}/v.bin")
mxgpu.write_vectors(f"{t}/w.bin", p)
assert open(f"{t}/v.bin", "rb").read() == open(f"{t}/w.bin", "rb").read(), "vector rewrite differs"
raw = open(f"{t}/r.bin", "rb").read()
T, M, N, K = p.shape
D = np.frombuffer(raw, dtype=np.uint32, offset=64).reshape(T, M, N)
mxgpu.write_results(f"{t}/r2.bin", "python", D)
PY
    )
    $MX gpu check --vectors "$T/v.bin" --results "$T/r2.bin" --numerics exact --show 0
done
# Blackwell operand packing for every kind of cuda/blackwell.cu (not run on hardware here):
# mxref's vectors packed into register images and read back with the PTX ISA's own formulas,
# every code and scale exactly once in its place; FP4 nibble order, FP6/FP4 byte containers,
# and the scale_vec 1X/2X/4X scale lanes and bytes.
(cd cuda && ../.venv/bin/python bw_pack_test.py "$MX" "$T")
# Each Blackwell case line of cuda/verify.sh is ready to run: its generator flags make vectors
# that its preset evaluates and that mxgpu.py packs for that path.
sed -n '/^BW_CASES="/,/^"/p' cuda/verify.sh | grep '^bw-' | while read -r path a b m n k blk preset extra; do
    $MX gpu gen --a $a --b $b --m $m --n $n --k $k --block $blk --tiles 4 --seed 3 $extra \
        -o "$T/c.bin" 2>/dev/null
    $MX gpu eval --vectors "$T/c.bin" --numerics model/presets/$preset.json -o "$T/c.res"
    (cd cuda && ../.venv/bin/python -c 'import sys, mxgpu
path, v = sys.argv[1:3]
p = mxgpu.read_vectors(v)
assert path.split("-")[-2:] == [p.a_fmt, p.b_fmt], path
mxgpu.bw_pack(p, mxgpu.BW_KINDS[path])' "$path" "$T/c.bin")
    echo "50-cuda: verify.sh case $path ready ($preset)"
done
# Probe analysis: partitions seen on Hopper map to the presets' layouts.
(cd cuda && ../.venv/bin/python - <<'PY'
import characterize as c
pairs = [[k for k in range(32) if (k // 2) % 2 == h] for h in (0, 1)]
assert c.layout_of(pairs, 32)[:2] == (16, {"interleaved": {"ways": 2, "span": 32, "chunk": 2}})
assert c.layout_of([list(range(16)), list(range(16, 32))], 32)[:2] == (16, "contiguous")
assert c.layout_of([list(range(32))], 32)[:2] == (32, "contiguous")
assert c.layout_of([[0, 1, 2], [3, 4, 5, 6]], 7)[1] is None
print("50-cuda: probe layout analysis ok")
PY
)
# --c-fp16 (paths with an FP16 C): every C is exactly an FP16 value (numpy's float16 as the
# independent reference), and all FP16 classes occur.
$MX gpu gen --a fp16 --b fp16 --m 64 --n 64 --k 16 --tiles 40 --seed 11 --c-fp16 -o "$T/h.bin" 2>/dev/null
.venv/bin/python - "$T/h.bin" <<'PY'
import sys, numpy as np
raw = open(sys.argv[1], "rb").read()
M = N = 64; K = 16; tile = M * K * 2 + N * K * 2 + M * N * 4
c = np.concatenate([np.frombuffer(raw, np.uint32, M * N, 64 + t * tile + (M + N) * K * 2)
                    for t in range(40)]).view(np.float32)
h = c.astype(np.float16).astype(np.float32)
assert ((c == h) | (np.isnan(c) & np.isnan(h))).all(), "a C is not an FP16 value"
a = np.abs(c[np.isfinite(c)])
assert np.isinf(c).any() and np.isnan(c).any() and (a == 0).any()
assert ((a > 0) & (a < 2.0 ** -14)).any() and (a >= 2.0 ** 15).any()
print("50-cuda: --c-fp16 C values are FP16 values")
PY
# sm_100a cuBLASLt block-scaled runner (cuda/bs_gemm.cu), built host-only: for each mode, every
# code, scale and C word of mxref's vectors is undone from its packed place (FP8 bytes, E2M1
# nibble pairs, the 128x4 tiled scale layout checked against the documented offsets, zero pad);
# the D = C result file it writes equals the Python writer's bytes; bad input exits 2.
command -v g++ >/dev/null || { apt-get update -qq && apt-get install -y -qq g++ >/dev/null; }
g++ -O2 -std=c++17 -Wall -Wextra -Werror -DBS_GEMM_HOST_ONLY -x c++ -o "$T/bs_gemm" cuda/bs_gemm.cu
for spec in "e4m3 e5m2 130 8 96 32 e8m0" "e2m1 e2m1 16 136 96 16 ue4m3" "e2m1 e2m1 24 8 64 32 e8m0"; do
    set -- $spec
    $MX gpu gen --a $1 --b $2 --m $3 --n $4 --k $5 --block $6 --scale $7 --scale-extremes \
        --tiles 5 --seed 13 -o "$T/bs.bin" 2>/dev/null
    "$T/bs_gemm" --selftest "$T/bs.bin" "$T/bs.res"
    (cd cuda && ../.venv/bin/python - "$T" <<'PY'
import sys, mxgpu
t = sys.argv[1]
mxgpu.write_results(f"{t}/py.res", "selftest:C", mxgpu.read_vectors(f"{t}/bs.bin").C)
assert open(f"{t}/py.res", "rb").read() == open(f"{t}/bs.res", "rb").read(), "bs_gemm result layout"
PY
    )
done
rc=0; "$T/bs_gemm" --selftest "$T/bs.bin" --mode nvfp4 2>/dev/null || rc=$?
[ "$rc" = 2 ] || { echo "bs_gemm: an e8m0 file under --mode nvfp4 gave exit $rc, not 2"; exit 1; }
head -c 200 "$T/bs.bin" > "$T/short.bin"
rc=0; "$T/bs_gemm" --selftest "$T/short.bin" 2>/dev/null || rc=$?
[ "$rc" = 2 ] || { echo "bs_gemm: a truncated file gave exit $rc, not 2"; exit 1; }
echo "50-cuda: bs_gemm packing ok"
echo "50-cuda: ok"
