"""cocotb testbench of rtl/mx_dot.sv: replays vector files (one clock cycle a line: the
inputs and the outputs the mxref cycle model expects during that cycle, written by
`mxref sim --vectors`) and checks valid_o and d_o, every bit, in every cycle.

Run through cocotb/run.py (cocotb_tools.runner, Verilator); the files to replay come in the
MXREF_VECTORS environment variable (os.pathsep-separated).
"""

import json
import os

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly

LATENCY = 5
FMTS = ["e4m3", "e5m2", "e2m3", "e3m2", "e2m1", "int8"]
MAX_REPORTS = 5


def fmt_name(code):
    """A port code's format name; 6 and 7 are reserved (every lane reads as +0)."""
    return FMTS[code] if code < len(FMTS) else f"reserved{code}"


class VectorLine:
    __slots__ = ("rst", "valid", "first", "last", "a_fmt", "b_fmt", "nvfp4", "a", "b",
                 "sa", "sb", "c", "valid_o", "d_o", "regs")

    def __init__(self, text: str):
        f = text.split()
        if len(f) < 14:
            raise ValueError(f"expected at least 14 fields, got {len(f)}")
        # Optional `scope.name=hex`: the model's pipeline registers (mxref sim --regs).
        self.regs = []
        for extra in f[14:]:
            path, _, value = extra.partition("=")
            self.regs.append((path.split("."), int(value, 16)))
        (self.rst, self.valid, self.first, self.last, self.a_fmt, self.b_fmt,
         self.nvfp4) = (int(x) for x in f[:7])
        self.a, self.b = int(f[7], 16), int(f[8], 16)
        self.sa, self.sb, self.c = int(f[9], 16), int(f[10], 16), int(f[11], 16)
        self.valid_o, self.d_o = int(f[12]), int(f[13], 16)


def lanes(x: int) -> list[int]:
    return [(x >> (8 * k)) & 0xFF for k in range(32)]


class DotTracker:
    """Collects the beats of the dot product in flight, to explain a mismatch."""

    def __init__(self):
        self.beats = []
        self.finished = {}  # cycle of its D -> beats

    def beat(self, cycle: int, v: VectorLine):
        if v.rst:
            self.beats = []
            return
        if not v.valid:
            return
        if v.first:
            self.beats = []
        self.beats.append(v)
        if v.last:
            self.finished[cycle + LATENCY] = self.beats
            self.beats = []

    def explain(self, cycle: int) -> str:
        beats = self.finished.get(cycle)
        if not beats:
            return "  (no dot product ends here: valid_o should be low)"
        out = []
        for k, v in enumerate(beats):
            sa = [v.sa & 0xFF, v.sa >> 8] if v.nvfp4 else [v.sa & 0xFF]
            sb = [v.sb & 0xFF, v.sb >> 8] if v.nvfp4 else [v.sb & 0xFF]
            out.append(f"  beat {k}: a_fmt={fmt_name(v.a_fmt)} b_fmt={fmt_name(v.b_fmt)} "
                       f"nvfp4={v.nvfp4} sa={sa} sb={sb} c=0x{v.c:08x} first={v.first} "
                       f"last={v.last}\n    a={lanes(v.a)}\n    b={lanes(v.b)}")
        one = beats[0]
        # A replay line for `mxref explain` needs one valid format pair for the whole dot.
        if (one.a_fmt < len(FMTS) and one.b_fmt < len(FMTS)
                and all((v.a_fmt, v.b_fmt, v.nvfp4) == (one.a_fmt, one.b_fmt, one.nvfp4)
                        for v in beats)):
            a = sum((lanes(v.a) for v in beats), [])
            b = sum((lanes(v.b) for v in beats), [])
            n = 2 if one.nvfp4 else 1
            sa = sum(([v.sa & 0xFF, v.sa >> 8][:n] for v in beats), [])
            sb = sum(([v.sb & 0xFF, v.sb >> 8][:n] for v in beats), [])
            case = {"a_fmt": FMTS[one.a_fmt], "b_fmt": FMTS[one.b_fmt],
                    "scale_fmt": "ue4m3" if one.nvfp4 else "e8m0",
                    "block": 16 if one.nvfp4 else 32, "a": a, "b": b, "sa": sa, "sb": sb,
                    "c": f"0x{one.c:08x}", "numerics": "rtl"}
            out.append(f"  replay: echo '{json.dumps(case)}' | mxref explain")
        return "\n".join(out)


async def reset(dut):
    await FallingEdge(dut.clk_i)
    dut.rst_ni.value = 0
    for name in ("valid_i", "first_i", "last_i", "a_fmt_i", "b_fmt_i", "nvfp4_i", "a_i",
                 "b_i", "sa_i", "sb_i", "c_i"):
        getattr(dut, name).value = 0
    await FallingEdge(dut.clk_i)
    await FallingEdge(dut.clk_i)
    dut.rst_ni.value = 1


async def replay(dut, path: str) -> tuple[int, int, int, int]:
    path_name = path
    """Drive every line of a vector file; returns (cycles, beats, results, mismatches)."""
    tracker = DotTracker()
    cycles = beats = results = bad = 0
    with open(path) as f:
        for n, text in enumerate(f):
            try:
                v = VectorLine(text)
            except ValueError as e:
                raise AssertionError(f"{path}: line {n + 1}: {e}") from None
            await FallingEdge(dut.clk_i)
            dut.rst_ni.value = 0 if v.rst else 1
            dut.valid_i.value = v.valid
            dut.first_i.value = v.first
            dut.last_i.value = v.last
            dut.a_fmt_i.value = v.a_fmt
            dut.b_fmt_i.value = v.b_fmt
            dut.nvfp4_i.value = v.nvfp4
            dut.a_i.value = v.a
            dut.b_i.value = v.b
            dut.sa_i.value = v.sa
            dut.sb_i.value = v.sb
            dut.c_i.value = v.c
            tracker.beat(n, v)
            await ReadOnly()
            got_v, got_d = int(dut.valid_o.value), int(dut.d_o.value)
            for path, want in v.regs:
                h = dut
                for part in path:
                    h = getattr(h, part)
                got = int(h.value)
                if got != want:
                    if bad < MAX_REPORTS:
                        dut._log.error("%s: line %d (cycle %d): register %s got 0x%x want 0x%x",
                                       path_name, n + 1, n, ".".join(path), got, want)
                    bad += 1
            if (got_v, got_d) != (v.valid_o, v.d_o):
                if bad < MAX_REPORTS:
                    dut._log.error(
                        "%s: line %d (cycle %d): valid_o/d_o got %d/0x%08x want %d/0x%08x\n%s",
                        path, n + 1, n, got_v, got_d, v.valid_o, v.d_o,
                        tracker.explain(n))
                bad += 1
            results += v.valid_o
            beats += v.valid and not v.rst
            cycles += 1
    return cycles, beats, results, bad


@cocotb.test()
async def replay_vectors(dut):
    """Every vector file named in MXREF_VECTORS, cycle by cycle."""
    paths = [p for p in os.environ.get("MXREF_VECTORS", "").split(os.pathsep) if p]
    assert paths, "MXREF_VECTORS names no vector file"
    cocotb.start_soon(Clock(dut.clk_i, 10, unit="ns").start())
    total_bad = 0
    for path in paths:
        await reset(dut)
        cycles, beats, results, bad = await replay(dut, path)
        assert cycles > 0, f"{path}: no vectors"
        dut._log.info("%s: %d cycles, %d beats, %d dot products, %d mismatches", path, cycles,
                      beats, results, bad)
        total_bad += bad
    assert total_bad == 0, f"{total_bad} mismatching cycles (first {MAX_REPORTS} logged above)"


SCALING = {("e8m0", 32): False, ("ue4m3", 16): True}  # (scale_fmt, block) -> nvfp4_i


def suite_cases(path: str):
    """The dot vectors of a committed suite file that the unit computes: `rtl` numerics, MX
    element formats, E8M0/32 or UE4M3/16 scaling, K a positive multiple of 32. Yields
    (line number, case); returns the number skipped through StopIteration's value."""
    with open(path) as f:
        for n, text in enumerate(f, 1):
            case = json.loads(text)
            nv = SCALING.get((case.get("scale_fmt", "e8m0"), case.get("block", 32)))
            k = len(case["a"])
            if (case.get("numerics") != "rtl" or nv is None or k == 0 or k % 32
                    or case["a_fmt"] not in FMTS or case["b_fmt"] not in FMTS):
                yield n, None
                continue
            case["nvfp4"] = nv
            yield n, case


def code(x) -> int:
    return int(x, 16) if isinstance(x, str) else int(x)


def beats_of(case):
    """Port values of each beat of a suite case."""
    nv = case["nvfp4"]
    a, b = [code(x) for x in case["a"]], [code(x) for x in case["b"]]
    sa, sb = [code(x) for x in case["sa"]], [code(x) for x in case["sb"]]
    n = len(a) // 32
    for j in range(n):
        lane = slice(32 * j, 32 * j + 32)
        av = sum(x << (8 * k) for k, x in enumerate(a[lane]))
        bv = sum(x << (8 * k) for k, x in enumerate(b[lane]))
        if nv:
            sav, sbv = sa[2 * j] | sa[2 * j + 1] << 8, sb[2 * j] | sb[2 * j + 1] << 8
        else:
            sav, sbv = sa[j], sb[j]
        yield dict(valid_i=1, first_i=int(j == 0), last_i=int(j == n - 1),
                   a_fmt_i=FMTS.index(case["a_fmt"]), b_fmt_i=FMTS.index(case["b_fmt"]),
                   nvfp4_i=int(nv), a_i=av, b_i=bv, sa_i=sav, sb_i=sbv,
                   c_i=code(case.get("c", "0x00000000")))


IDLE = dict(valid_i=0, first_i=0, last_i=0, a_fmt_i=0, b_fmt_i=0, nvfp4_i=0, a_i=0, b_i=0,
            sa_i=0, sb_i=0, c_i=0)


@cocotb.test()
async def replay_suites(dut):
    """Committed dot suites (MXREF_SUITES) streamed back to back: each D in its cycle."""
    paths = [p for p in os.environ.get("MXREF_SUITES", "").split(os.pathsep) if p]
    assert paths, "MXREF_SUITES names no suite file"
    cocotb.start_soon(Clock(dut.clk_i, 10, unit="ns").start())
    total_bad = total = 0
    for path in paths:
        await reset(dut)
        # Expected outputs by cycle: cycle -> (line, case); d_o holds the latest result.
        due = {}
        cycle = bad = used = skipped = 0
        hold = 0
        cases = suite_cases(path)
        pending = []
        done = False
        while not done or pending or any(t >= cycle for t in due):
            if not pending and not done:
                for n, case in cases:
                    if case is None:
                        skipped += 1
                        continue
                    used += 1
                    pending = [(n, case, p) for p in beats_of(case)]
                    break
                else:
                    done = True
            if pending:
                n, case, ports = pending.pop(0)
                if ports["last_i"]:
                    due[cycle + LATENCY] = (n, case)
            else:
                ports = IDLE
            await FallingEdge(dut.clk_i)
            for name, v in ports.items():
                getattr(dut, name).value = v
            await ReadOnly()
            want_v = cycle in due
            if want_v:
                hold = code(due[cycle][1]["d"])
            got_v, got_d = int(dut.valid_o.value), int(dut.d_o.value)
            if (got_v, got_d) != (int(want_v), hold):
                if bad < MAX_REPORTS:
                    where = ""
                    if want_v:
                        n, case = due[cycle]
                        where = (f"\n  case {case.get('id')} ({path}:{n}): "
                                 f"a_fmt={case['a_fmt']} b_fmt={case['b_fmt']} "
                                 f"scale={case['scale_fmt']}/{case['block']} K={len(case['a'])} "
                                 f"c={case.get('c')}\n  explain: mxref explain {path}:{n}")
                    dut._log.error("%s: cycle %d: valid_o/d_o got %d/0x%08x want %d/0x%08x%s",
                                   path, cycle, got_v, got_d, int(want_v), hold, where)
                bad += 1
            due.pop(cycle, None)
            cycle += 1
        dut._log.info("%s: %d dot products in %d cycles, %d not for this unit, %d mismatches",
                      path, used, cycle, skipped, bad)
        total_bad += bad
        total += used
    assert total > 0, "no suite case applies to the unit"
    assert total_bad == 0, f"{total_bad} mismatching cycles (first {MAX_REPORTS} logged above)"
