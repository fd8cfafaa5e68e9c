#!/usr/bin/env bash
# Verification at scale on the device machine: for each path, generate seeded random tiles
# with mxref, run them through the tensor cores (cuda/mxgpu.py), and compare every dot with
# the model under the path's preset (mxref gpu check). Called by cuda/device.sh verify.
#   bash cuda/verify.sh DOTS WORKDIR [PATH...]
set -uo pipefail
DOTS=${1:-10000000}; W=${2:-/tmp/mxgpu}; shift 2 || true
MX=${MXREF:-target/release/mxref}
mkdir -p "$W"
python3 cuda/mxgpu.py info > "$W/device.txt"; cat "$W/device.txt"
# path  a  b  M  N  K  block  preset  extra-gen-flags
CASES="
mma-e4m3-e4m3 e4m3 e4m3 16 8 32 0 hopper-mma-fp8
mma-e5m2-e5m2 e5m2 e5m2 16 8 32 0 hopper-mma-fp8
mma-e4m3-e5m2 e4m3 e5m2 16 8 32 0 hopper-mma-fp8
mma-e5m2-e4m3 e5m2 e4m3 16 8 32 0 hopper-mma-fp8
mma-f16 fp16 fp16 16 8 16 0 hopper-mma-f16
mma-bf16 bf16 bf16 16 8 16 0 hopper-mma-bf16
mma-tf32 tf32 tf32 16 8 8 0 hopper-mma-tf32
wgmma-e4m3-e4m3 e4m3 e4m3 64 64 32 0 hopper-wgmma-fp8
wgmma-e5m2-e5m2 e5m2 e5m2 64 64 32 0 hopper-wgmma-fp8
wgmma-e4m3-e5m2 e4m3 e5m2 64 64 32 0 hopper-wgmma-fp8
wgmma-fp16-fp16 fp16 fp16 64 64 16 0 hopper-wgmma-f16
wgmma-bf16-bf16 bf16 bf16 64 64 16 0 hopper-wgmma-bf16
wgmma-f16out-fp16-fp16 fp16 fp16 64 64 16 0 hopper-wgmma-f16-f16out --c-fp16
wgmma-tf32-tf32 tf32 tf32 64 64 16 0 hopper-wgmma-tf32
cublas-fast-e4m3-e4m3 e4m3 e4m3 256 256 1024 0 hopper-cublas-fp8-fast --c-zero
cublas-e4m3-e4m3 e4m3 e4m3 256 256 1024 0 hopper-cublas-fp8 --c-zero
cublas-fast-e4m3-e5m2 e4m3 e5m2 256 256 1024 0 hopper-cublas-fp8-fast --c-zero
cublas-e4m3-e5m2 e4m3 e5m2 256 256 1024 0 hopper-cublas-fp8 --c-zero
mxfp8-sw-e4m3-e4m3 e4m3 e4m3 64 64 256 32 hopper-mxfp8-sw
mxfp8-sw-e5m2-e5m2 e5m2 e5m2 64 64 256 32 hopper-mxfp8-sw
"
# Blackwell only: sm_120a mma.sync block_scale (cuda/blackwell.cu, bw-* paths of mxgpu.py; its
# libmxgpu_bw.so is built by cuda/device.sh probe). Never run: no sm_120 part has been lent. They
# join CASES only when named, so a Hopper run skips them; on an sm_120 part:
#   bash cuda/verify.sh 10000000 /tmp/mxgpu bw-mxf8f6f4-e4m3-e4m3 bw-mxf8f6f4-e5m2-e5m2 \
#     bw-mxf8f6f4-e3m2-e2m3 bw-mxf8f6f4-e4m3-e2m1 bw-mxf4nvf4-2x-e2m1-e2m1 \
#     bw-mxf4nvf4-4x-e2m1-e2m1 bw-mxf4-e2m1-e2m1
# The presets are MMA-Sim's published RTX Blackwell model, not confirmed on hardware.
BW_CASES="
bw-mxf8f6f4-e4m3-e4m3 e4m3 e4m3 16 8 32 32 rtxblackwell-mma-mxf8f6f4 --scale-extremes
bw-mxf8f6f4-e5m2-e5m2 e5m2 e5m2 16 8 32 32 rtxblackwell-mma-mxf8f6f4 --scale-extremes
bw-mxf8f6f4-e3m2-e2m3 e3m2 e2m3 16 8 32 32 rtxblackwell-mma-mxf8f6f4 --scale-extremes
bw-mxf8f6f4-e4m3-e2m1 e4m3 e2m1 16 8 32 32 rtxblackwell-mma-mxf8f6f4 --scale-extremes
bw-mxf4nvf4-2x-e2m1-e2m1 e2m1 e2m1 16 8 64 32 rtxblackwell-mma-mxf4nvf4 --scale-extremes
bw-mxf4nvf4-4x-e2m1-e2m1 e2m1 e2m1 16 8 64 16 rtxblackwell-mma-mxf4nvf4 --scale ue4m3 --scale-extremes
bw-mxf4-e2m1-e2m1 e2m1 e2m1 16 8 64 32 rtxblackwell-mma-mxf4 --scale-extremes
"
[ $# -gt 0 ] && CASES="$CASES$BW_CASES"
seed=${SEED:-1}
echo "$CASES" | while read -r path a b m n k blk preset extra; do
  [ -z "$path" ] && continue
  if [ $# -gt 0 ] && ! [[ " $* " == *" $path "* ]]; then continue; fi
  seed=$((seed + 1))
  tiles=$(( (DOTS + m * n - 1) / (m * n) ))
  v=$W/v.bin; r=$W/r.bin
  t0=$SECONDS
  $MX gpu gen --a $a --b $b --m $m --n $n --k $k --block $blk --tiles $tiles --seed $seed $extra -o $v 2>&1 | tail -1
  t1=$SECONDS
  python3 cuda/mxgpu.py run $path $v $r || { echo "RUN FAILED $path"; continue; }
  t2=$SECONDS
  $MX gpu check --vectors $v --results $r --numerics model/presets/$preset.json --show ${SHOW:-3} \
      --json $W/verify-$path.json > $W/check-$path.txt 2>&1
  grep -v '^  {' $W/check-$path.txt | tail -8
  # What docs/gpu/ records per run: the seeded generator command reproduces the vectors.
  printf '{"path": "%s", "preset": "%s", "generator": "mxref gpu gen --a %s --b %s --m %s --n %s --k %s --block %s --tiles %s --seed %s %s", "model": "%s"}\n' \
      "$path" "$preset" $a $b $m $n $k $blk $tiles $seed "$extra" "${MODEL_REV:-unknown}" > $W/run-$path.json
  t3=$SECONDS
  echo "   times: gen $((t1 - t0))s gpu $((t2 - t1))s check $((t3 - t2))s"
  rm -f $v $r
done
# sm_100a cuBLASLt block-scaled GEMM (cuda/bs_gemm.cu, built by cuda/device.sh probe), Blackwell
# only: on Hopper bs_gemm exits 3 (cuBLASLt: not supported), and no Blackwell part has run it.
# mxgpu.py has no bs-* path, so these cases run their own loop; uncomment on an sm_100 part
# (the presets are MMA-Sim's tcgen05 model, not confirmed on hardware):
# BS_CASES="
# bs-mxfp8-e4m3-e4m3 e4m3 e4m3 128 128 256 32 e8m0 blackwell-tcgen05-mxf8f6f4
# bs-mxfp8-e5m2-e5m2 e5m2 e5m2 128 128 256 32 e8m0 blackwell-tcgen05-mxf8f6f4
# bs-mxfp8-e4m3-e5m2 e4m3 e5m2 128 128 256 32 e8m0 blackwell-tcgen05-mxf8f6f4
# bs-nvfp4 e2m1 e2m1 128 128 256 16 ue4m3 blackwell-tcgen05-mxf4nvf4
# bs-mxfp4 e2m1 e2m1 128 128 256 32 e8m0 blackwell-tcgen05-mxf4
# "
# echo "$BS_CASES" | while read -r path a b m n k blk scale preset; do
#   [ -z "$path" ] && continue
#   seed=$((seed + 1)); tiles=$(( (DOTS + m * n - 1) / (m * n) ))
#   $MX gpu gen --a $a --b $b --m $m --n $n --k $k --block $blk --scale $scale --tiles $tiles \
#       --seed $seed --scale-extremes -o $W/v.bin 2>&1 | tail -1
#   cuda/build/bs_gemm $W/v.bin $W/r.bin || { echo "RUN FAILED $path"; continue; }
#   $MX gpu check --vectors $W/v.bin --results $W/r.bin --numerics model/presets/$preset.json \
#       --show ${SHOW:-3} --json $W/verify-$path.json > $W/check-$path.txt 2>&1
#   grep -v '^  {' $W/check-$path.txt | tail -8
#   rm -f $W/v.bin $W/r.bin
# done
