"""Run microsoft/MMA-Sim on the cases of peers/jobs.py; write the peer's D bits per job.

Usage: python3 run_mmasim.py MMASIM_DIR OUT_DIR [seconds] [job-name-prefix ...]
MMASIM_DIR holds the peer's `mmasim` package (peers/fetch-mmasim.sh puts it in
peers/.mmasim); it needs PyTorch (>= 2.7 for float8_e8m0fnu). Output: OUT_DIR/<job>.bin, the
D bits of tile 0, 1, ... (row-major m x n little-endian u32 each) for the tiles finished in time,
and OUT_DIR/summary.json (tiles done, seconds, peer exceptions by tile).
"""

import json
import multiprocessing as mp
import os
import struct
import sys
import time

import cases
import jobs as joblist

DEADLINE = None


def _tensor(torch, codes, fmt):
    if fmt in ("e4m3", "e5m2", "e8m0", "ue4m3", "e2m1", "e4m3fnuz", "e5m2fnuz"):
        t = torch.tensor(codes, dtype=torch.uint8)
        view = {"e4m3": torch.float8_e4m3fn, "e5m2": torch.float8_e5m2,
                "e8m0": torch.float8_e8m0fnu, "ue4m3": torch.float8_e4m3fn,
                "e4m3fnuz": torch.float8_e4m3fnuz, "e5m2fnuz": torch.float8_e5m2fnuz}.get(fmt)
        return t.view(view) if view else t
    if fmt in ("fp16", "bf16"):
        t = torch.tensor([c - 65536 if c >= 32768 else c for c in codes], dtype=torch.int16)
        return t.view(torch.float16 if fmt == "fp16" else torch.bfloat16)
    if fmt in ("tf32", "f32", "fp32"):
        sh = 13 if fmt == "tf32" else 0
        vals = [(c << sh) & 0xFFFFFFFF for c in codes]
        t = torch.tensor([v - (1 << 32) if v >= 1 << 31 else v for v in vals], dtype=torch.int32)
        return t.view(torch.float32)
    raise ValueError(fmt)


def _pack_fp4_rows(rows):
    """Rows of FP4 codes -> rows of bytes, element 2i in the low nibble."""
    return [[r[2 * i] | (r[2 * i + 1] << 4) for i in range(len(r) // 2)] for r in rows]


def run_tile(sim, torch, job, t):
    A, B, C, sa, sb = cases.tile(job, t)
    m, n, k = job["m"], job["n"], job["k"]
    if job["a_fmt"] == "e2m1" and job["k"] == 64:
        Ap = _pack_fp4_rows(A)
        Bt = [[B[l][j] for l in range(k)] for j in range(n)]
        Bp = _pack_fp4_rows(Bt)
        At = _tensor(torch, [c for r in Ap for c in r], "e2m1").reshape(m, k // 2)
        Btt = _tensor(torch, [c for r in Bp for c in r], "e2m1").reshape(n, k // 2).T.contiguous()
    else:
        At = _tensor(torch, [c for r in A for c in r], job["a_fmt"]).reshape(m, k)
        Btt = _tensor(torch, [c for r in B for c in r], job["b_fmt"]).reshape(k, n)
    Ct = _tensor(torch, [c for r in C for c in r], "fp16" if job["d16"] else "f32").reshape(m, n)
    if job["scale_fmt"]:
        nb = k // job["block"]
        SA = _tensor(torch, [c for r in sa for c in r], job["scale_fmt"]).reshape(m, nb)
        SB = _tensor(torch, [c for r in sb for c in r], job["scale_fmt"]).reshape(nb, n)
        D = sim(At, Btt, Ct, SA, SB)
    else:
        D = sim(At, Btt, Ct)
    # An FP16 D is widened exactly to FP32 (NaN 0x7FFF becomes 0x7FFFE000).
    D = D.float() if job["d16"] else D
    return [v & 0xFFFFFFFF for v in D.contiguous().view(torch.int32).flatten().tolist()]


_SIMS = {}


def work(arg):
    ji, t = arg
    if time.time() > DEADLINE:
        return ji, t, None, "deadline"
    import torch
    from mmasim.simulator import amd, nv_ptx  # noqa: F401

    torch.set_num_threads(1)
    job = joblist.jobs()[ji]
    key = job["name"]
    if key not in _SIMS:
        cls = getattr({"amd": amd, "nv_ptx": nv_ptx}[job["module"]], job["cls"])
        _SIMS[key] = cls(job["arch"], job["qualifier"])
    try:
        return ji, t, run_tile(_SIMS[key], torch, job, t), None
    except Exception as e:  # a peer crash is a finding: keep the tile and the message
        return ji, t, None, f"{type(e).__name__}: {e}"


def main():
    global DEADLINE
    mmasim_dir, out = sys.argv[1], sys.argv[2]
    secs = float(sys.argv[3]) if len(sys.argv) > 3 else 500
    prefixes = sys.argv[4:]
    sys.path.insert(0, mmasim_dir)
    os.makedirs(out, exist_ok=True)
    DEADLINE = time.time() + secs
    J = joblist.jobs()
    sel = [i for i, j in enumerate(J) if not prefixes or any(j["name"].startswith(p) for p in prefixes)]
    ntiles = {i: cases.tiles_for(J[i]) for i in sel}
    # Round-robin over jobs so that a deadline leaves every job with some tiles.
    units = []
    for t in range(max(ntiles.values())):
        units += [(i, t) for i in sel if t < ntiles[i]]
    results = {i: {} for i in sel}
    errors = {i: {} for i in sel}
    start = time.time()
    with mp.Pool(os.cpu_count(), initializer=_init, initargs=(mmasim_dir, DEADLINE)) as pool:
        for ji, t, d, err in pool.imap_unordered(work, units, chunksize=4):
            if d is not None:
                results[ji][t] = d
            elif err != "deadline":
                errors[ji][t] = err
    summary = {}
    for i in sel:
        job = J[i]
        # Tiles finished: the leading run with no gap (a crash tile counts as done).
        t = 0
        while t in results[i] or t in errors[i]:
            t += 1
        with open(os.path.join(out, job["name"] + ".bin"), "wb") as f:
            for u in range(t):
                d = results[i].get(u) or [0] * (job["m"] * job["n"])
                f.write(struct.pack(f"<{len(d)}I", *d))
        summary[job["name"]] = {
            "tiles": t,
            "dots": t * job["m"] * job["n"],
            "peer_errors": {str(u): e for u, e in sorted(errors[i].items()) if u < t},
        }
    summary["_seconds"] = round(time.time() - start, 1)
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(json.dumps({k: (v if k == "_seconds" else (v["dots"], len(v["peer_errors"]))) for k, v in summary.items()}))


def _init(mmasim_dir, deadline):
    global DEADLINE
    sys.path.insert(0, mmasim_dir)
    DEADLINE = deadline


if __name__ == "__main__":
    main()
