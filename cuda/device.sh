#!/usr/bin/env bash
# Everything the device machine does, in one call (see spec/gpu.md "Running it").
#   bash cuda/device.sh probe      build, disassemble, characterise every path, Blackwell compile
#   bash cuda/device.sh verify N   generate N tiles per path with target/release/mxref, run, check
#   On a Blackwell (sm_120) part: PATHS=bw-mxf8f6f4-e4m3-e4m3 LIBPATHS=" " bash cuda/device.sh
#   probe, and bash cuda/device.sh verify N bw-... (cuda/verify.sh BW_CASES); any bw-* path
#   named builds libmxgpu_bw.so first.
# Writes under $OUT (or ./out): a log and a tarball of everything.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/out}
W=/tmp/mxgpu; mkdir -p $W cuda/build
export PYTHONUNBUFFERED=1
log() { echo "== $*"; }
build() {
  log build
  nvcc --version | tail -2
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  nvcc -O2 -shared -Xcompiler -fPIC -gencode=arch=compute_90a,code=sm_90a \
       -o cuda/build/libmxgpu.so cuda/mma_sync.cu || exit 1
  cuobjdump -sass cuda/build/libmxgpu.so > $W/mma_sync.sass
  grep -oE '(HMMA|QMMA|HGMMA|QGMMA|F2FP)[.A-Z0-9_]*' $W/mma_sync.sass | sort | uniq -c
}
blackwell() {
  log blackwell
  for arch in sm_120a; do
    nvcc -cubin -gencode=arch=compute_${arch#sm_},code=$arch -o $W/blackwell_$arch.cubin \
         cuda/blackwell.cu 2>&1 | tail -20
    cuobjdump -sass $W/blackwell_$arch.cubin > $W/blackwell_$arch.sass 2>&1
    grep -E 'Function|MMA' $W/blackwell_$arch.sass | sed 's/^ *//' | sed 's/ *\/\*[^*]*\*\/ *$//'
  done
  # The runner's library for the bw-* paths (runs only on an sm_120 part).
  nvcc -O2 -shared -Xcompiler -fPIC -gencode=arch=compute_120a,code=sm_120a \
       -o cuda/build/libmxgpu_bw.so cuda/blackwell.cu 2>&1 | tail -20
}
blackwell_cublas() {
  # sm_100a: cuBLASLt block-scaled GEMM (cuda/bs_gemm.cu; spec/gpu.md). No kernels of its own,
  # so the sm_90a/sm_100a images only pin the build; cuBLASLt picks its kernels at run time.
  # On Hopper each run must end "exit 3" (cuBLASLt: not supported); on sm_100 it runs and
  # mxref checks it against the tcgen05 presets (published model, not confirmed).
  log blackwell_cublas
  rm -f cuda/build/bs_gemm
  nvcc -O2 -std=c++17 -gencode=arch=compute_90a,code=sm_90a -gencode=arch=compute_100a,code=sm_100a \
       -o cuda/build/bs_gemm cuda/bs_gemm.cu -lcublasLt 2>&1 | tail -20
  [ -x cuda/build/bs_gemm ] || { echo "bs_gemm: build failed"; return; }
  local mx=${MXREF:-target/release/mxref} mode a blk scale preset rc
  while read -r mode a blk scale preset; do
    $mx gpu gen --a $a --b $a --m 128 --n 128 --k 256 --block $blk --scale $scale --tiles 4 \
        --seed 7 -o $W/bs-$mode.bin 2>&1 | tail -1
    cuda/build/bs_gemm --selftest $W/bs-$mode.bin
    timeout 120 cuda/build/bs_gemm $W/bs-$mode.bin $W/bs-$mode.res; rc=$?
    echo "bs_gemm $mode: exit $rc (0 ran, 3 not supported on this device)"
    [ $rc = 0 ] && $mx gpu check --vectors $W/bs-$mode.bin --results $W/bs-$mode.res \
        --numerics model/presets/$preset.json --show 3 2>&1 | tail -8
  done <<'CASES'
mxfp8 e4m3 32 e8m0 blackwell-tcgen05-mxf8f6f4
nvfp4 e2m1 16 ue4m3 blackwell-tcgen05-mxf4nvf4
mxfp4 e2m1 32 e8m0 blackwell-tcgen05-mxf4
CASES
}
case "${1:-probe}" in
probe)
  build
  if [ -z "${PATHS:-}" ]; then blackwell; blackwell_cublas; elif [[ " $PATHS " == *" bw-"* ]]; then blackwell; fi
  cd cuda
  for p in ${PATHS:-mma-e4m3-e4m3 mma-e5m2-e5m2 mma-e4m3-e5m2 mma-e5m2-e4m3 mma-f16 mma-bf16 \
           mma-tf32 wgmma-e4m3-e4m3 wgmma-e5m2-e5m2 wgmma-e4m3-e5m2 wgmma-fp16-fp16 \
           wgmma-bf16-bf16 wgmma-tf32-tf32}; do
    log characterize $p
    timeout 120 python3 characterize.py $p --json $W/$p.json --evidence $W/$p.txt 2>&1 | tail -40
  done
  for p in ${LIBPATHS:-cublas-fast-e4m3-e4m3 cublas-e4m3-e4m3 cublas-fast-e4m3-e5m2 cublas-e4m3-e5m2}; do
    log characterize $p
    timeout 150 python3 characterize.py $p --promote-k 1024 --json $W/$p.json --evidence $W/$p.txt 2>&1 | tail -40
  done
  [ -z "${PATHS:-}" ] && python3 - <<'PY' 2>&1 | tail -30
import mxgpu, numpy as np, torch
from torch.profiler import profile, ProfilerActivity
p = mxgpu.Problem("e4m3", "e4m3", np.full((1,64,32),0x38,np.uint8), np.full((1,64,32),0x38,np.uint8), np.zeros((1,64,64),np.uint32))
mxgpu.run("wgmma-e4m3-e4m3", p)
h = mxgpu._tri["last_wgmma"]
open("/tmp/mxgpu/wgmma.ptx","w").write(h.asm["ptx"]); open("/tmp/mxgpu/wgmma.cubin","wb").write(h.asm["cubin"])
import subprocess, re
sass = subprocess.run(["cuobjdump","-sass","/tmp/mxgpu/wgmma.cubin"],capture_output=True,text=True).stdout
open("/tmp/mxgpu/wgmma.sass","w").write(sass)
print("triton wgmma SASS:", sorted(set(re.findall(r"(QGMMA[.A-Z0-9_]*|HGMMA[.A-Z0-9_]*|HMMA[.A-Z0-9_]*)", sass))))
print("ptx wgmma:", sorted(set(re.findall(r"wgmma\.mma_async[.a-z0-9_:]*", h.asm["ptx"]))))
one = torch.ones((), device="cuda")
for (M,N,K) in [(64,64,32),(64,64,1024),(512,512,2048)]:
  for fast in (True, False):
    a = torch.randn(M,K,device="cuda").to(torch.float8_e4m3fn); b = torch.randn(N,K,device="cuda").to(torch.float8_e4m3fn)
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
      torch._scaled_mm(a, b.t(), scale_a=one, scale_b=one, out_dtype=torch.float32, use_fast_accum=fast); torch.cuda.synchronize()
    print(M,N,K,"fast" if fast else "slow", [e.key for e in prof.key_averages() if "nvjet" in e.key or "gemm" in e.key.lower() or "sm90" in e.key])
PY
  ;;
verify)
  N=${2:-1000}
  build
  shift 2 || true
  [[ " $* " == *" bw-"* ]] && blackwell
  bash cuda/verify.sh "$N" "$W" "$@"
  ;;
esac
cp -r cuda/build $W/ 2>/dev/null
tar czf $OUT/mxgpu.tar.gz -C /tmp mxgpu
