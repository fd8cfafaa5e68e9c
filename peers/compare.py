"""Compare a peer's D bits (from run_mmasim.py) with `mxref dot` on the same cases.

Usage: python3 compare.py PEER_OUT_DIR DOCS_DIR [mxref binary]
For every job with PEER_OUT_DIR/<job>.bin, rebuilds the cases (peers/cases.py), runs them
through `mxref dot` with the job's preset (built-in name, else model/presets/<name>.json),
and writes DOCS_DIR/<preset>.json: dots compared, mismatches, the peer's crashes, and the
first disagreeing cases in full (operands, both results) so each can be replayed.
"""

import collections
import json
import os
import struct
import subprocess
import sys

import cases
import jobs as joblist

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEEP = 12


FP4 = [0, 0.5, 1, 1.5, 2, 3, 4, 6]


def enom(fmt, code):
    """Nominal exponent from the exponent field (subnormals at emin): bits only."""
    if fmt == "e8m0":
        return code - 127
    lay = cases.LAYOUT["e4m3" if fmt == "ue4m3" else fmt]
    _, eb, mb = lay
    e = (code >> mb) & ((1 << eb) - 1)
    bias = (1 << (eb - 1)) - (0 if fmt.endswith("fnuz") else 1)
    return max(e, 1) - bias


def is_zero(fmt, code):
    bits = cases.LAYOUT[fmt][0]
    return code & ((1 << (bits - 1)) - 1) == 0


def zero_rule_applies(job, line, preset):
    """True when a zero term, given the exponent -126 as MMA-Sim gives it (a zero element: -126
    plus the other factor's exponent and the scales'; a zero C: -126; a zero FP4 chunk: its
    scales' exponents), lies above every non-zero term of its group, so that the peer's window
    starts higher than the hardware's (peers/hopper_probe.py measured zeros taking no part).
    A classifier of disagreements from exponent fields only; it computes no result."""
    a, b, fa, fb = line["a"], line["b"], job["a_fmt"], job["b_fmt"]
    k = len(a)
    g = preset.get("group") or k
    chunk = preset.get("block_sum_chunk")
    for g0 in range(0, k, g):
        nz, z = None, None
        if g0 == 0:
            c = int(line["c"], 16)
            if c & 0x7FFFFFFF == 0:
                z = -126
            else:
                nz = max((c >> 23) & 0xFF, 1) - 127
        if chunk:
            bs = job["block"]
            for c0 in range(g0, g0 + g, chunk):
                blk = c0 // bs
                se = enom(job["scale_fmt"], line["sa"][blk]) + enom(job["scale_fmt"], line["sb"][blk])
                total = sum((-1 if x & 8 else 1) * FP4[x & 7] * (-1 if y & 8 else 1) * FP4[y & 7]
                            for x, y in zip(a[c0:c0 + chunk], b[c0:c0 + chunk]))
                if total == 0:
                    z = se if z is None else max(z, se)
                else:
                    nz = se if nz is None else max(nz, se)
        else:
            for i in range(g0, min(g0 + g, k)):
                se = 0
                if job["scale_fmt"]:
                    blk = i // job["block"]
                    se = enom(job["scale_fmt"], line["sa"][blk]) + enom(job["scale_fmt"], line["sb"][blk])
                za, zb = is_zero(fa, a[i]), is_zero(fb, b[i])
                ea = -126 if za else enom(fa, a[i])
                eb = -126 if zb else enom(fb, b[i])
                if za or zb:
                    z = ea + eb + se if z is None else max(z, ea + eb + se)
                else:
                    nz = ea + eb + se if nz is None else max(nz, ea + eb + se)
        if z is not None and (nz is None or z > nz):
            return True
    return False


def classify(job, line, preset, got, want):
    special = lambda x: x & 0x7F800000 == 0x7F800000  # noqa: E731
    nan = lambda x: special(x) and x & 0x7FFFFF != 0  # noqa: E731
    if nan(got) and nan(want):
        return "nan_payload"
    if special(got) or special(want):
        return "nan_inf"
    # The zero rule first: it can also leave both results zero with different signs.
    if zero_rule_applies(job, line, preset):
        return "zero_exponent"
    if got & 0x7FFFFFFF == 0 and want & 0x7FFFFFFF == 0:
        return "sign_of_zero"
    return "other"


def numerics_arg(preset):
    path = os.path.join(ROOT, "model", "presets", preset + ".json")
    return path if os.path.exists(path) else preset


def dot_lines(job, t, numerics):
    A, B, C, sa, sb = cases.tile(job, t)
    m, n, k = job["m"], job["n"], job["k"]
    for i in range(m):
        for j in range(n):
            c = C[i][j]
            if job.get("d16"):
                # FP16 C: the FP32 pattern of its value (exact; a NaN stays a NaN).
                c = struct.unpack("<I", struct.pack("<f", struct.unpack("<e", struct.pack("<H", c))[0]))[0]
            line = {"a_fmt": job["a_fmt"], "b_fmt": job["b_fmt"], "a": A[i],
                    "b": [B[l][j] for l in range(k)], "c": f"0x{c:08x}",
                    "numerics": numerics}
            if job["scale_fmt"]:
                line.update(scale_fmt=job["scale_fmt"], block=job["block"], sa=sa[i],
                            sb=[sb[q][j] for q in range(k // job["block"])])
            else:
                line.update(scale_fmt="e8m0", block=k, sa=[127], sb=[127])
            yield line


def main():
    peer_dir, docs = sys.argv[1], sys.argv[2]
    mxref = sys.argv[3] if len(sys.argv) > 3 else os.path.join(ROOT, "target", "release", "mxref")
    summary = json.load(open(os.path.join(peer_dir, "summary.json")))
    commit_file = os.path.join(peer_dir, "COMMIT")
    if os.path.exists(commit_file):
        summary["_commit"] = open(commit_file).read().strip()
    by_preset = collections.OrderedDict()
    for job in joblist.jobs():
        path = os.path.join(peer_dir, job["name"] + ".bin")
        if not os.path.exists(path):
            continue
        raw = open(path, "rb").read()
        peer = struct.unpack(f"<{len(raw) // 4}I", raw)
        per = job["m"] * job["n"]
        tiles = len(peer) // per
        crashed = {int(t) for t in summary[job["name"]]["peer_errors"]}
        numerics = numerics_arg(job["preset"])
        lines, meta = [], []
        for t in range(tiles):
            if t in crashed:
                continue
            for q, line in enumerate(dot_lines(job, t, numerics)):
                lines.append(json.dumps(line))
                meta.append((line, peer[t * per + q]))
        res = subprocess.run([mxref, "dot"], input="\n".join(lines) + "\n", capture_output=True,
                             text=True)
        if res.returncode != 0:
            sys.exit(f"{job['name']}: mxref dot failed: {res.stderr[:2000]}")
        outs = [json.loads(l)["d"] for l in res.stdout.splitlines() if l.strip()]
        assert len(outs) == len(meta), (len(outs), len(meta))
        rec = by_preset.setdefault(job["preset"], {
            "preset": job["preset"], "peer": "microsoft/MMA-Sim", "peer_commit": summary.get(
                "_commit", ""), "jobs": [], "dots": 0, "mismatches": 0, "by_class": {},
            "peer_crashes": 0, "examples": []})
        pjson = json.load(open(numerics)) if os.path.exists(numerics) else {}
        mism, classes = 0, collections.Counter()
        for (line, want), got in zip(meta, outs):
            got = int(got, 16)
            if got != want:
                mism += 1
                cls = classify(job, line, pjson, got, want)
                classes[cls] += 1
                rec["by_class"][cls] = rec["by_class"].get(cls, 0) + 1
                if sum(1 for e in rec["examples"] if e["class"] == cls) < KEEP:
                    case = dict(line)
                    case["numerics"] = job["preset"]
                    rec["examples"].append({"class": cls, "mxref": f"0x{got:08x}",
                                            "peer": f"0x{want:08x}", "case": case})
        crashes = summary[job["name"]]["peer_errors"]
        rec["jobs"].append({"job": job["name"], "peer_call": f"{job['cls']}('{job['arch']}', "
                            f"'{job['qualifier']}')", "dots": len(meta), "mismatches": mism,
                            "by_class": dict(sorted(classes.items())),
                            "peer_crash_tiles": len(crashes),
                            "peer_crash_messages": sorted(set(crashes.values()))[:3]})
        rec["dots"] += len(meta)
        rec["mismatches"] += mism
        rec["peer_crashes"] += len(crashes) * per
        print(f"{job['name']:48s} dots {len(meta):7d} mismatches {mism:6d} {dict(classes)}", flush=True)
    os.makedirs(docs, exist_ok=True)
    for p, rec in by_preset.items():
        with open(os.path.join(docs, f"mmasim-{p}.json"), "w") as f:
            ex = rec.pop("examples")
            body = json.dumps(rec, indent=1)
            # One disagreement per line; its "case" is an `mxref dot` input line as it stands.
            lines = ",\n".join("  " + json.dumps(e) for e in ex)
            f.write(body[:-2] + ',\n "examples": [\n' + lines + "\n ]\n}\n")


if __name__ == "__main__":
    main()
