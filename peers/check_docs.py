"""CI check of the peer results in docs/peers (no peer, no network): every file names a
built-in preset, its counts add up, and every recorded disagreement still replays through
`mxref dot` to the recorded mxref value (so the data is not stale against the model).

  python3 peers/check_docs.py MXREF_BINARY
"""
import glob
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    mxref = sys.argv[1]
    names = {p["name"] for p in json.loads(subprocess.run(
        [mxref, "presets", "--json"], capture_output=True, text=True, check=True).stdout)}
    lines, want, bad, files = [], [], [], 0
    for path in sorted(glob.glob(os.path.join(ROOT, "docs", "peers", "mmasim-*.json"))):
        files += 1
        r = json.load(open(path))
        name = os.path.basename(path)
        if r["preset"] not in names:
            bad.append(f"{name}: {r['preset']} is not a built-in preset")
        if sum(r["by_class"].values()) != r["mismatches"]:
            bad.append(f"{name}: by_class does not add up to mismatches")
        if sum(j["dots"] for j in r["jobs"]) != r["dots"] or r["dots"] < 100_000:
            bad.append(f"{name}: job dots do not add up, or fewer than 10^5")
        for e in r["examples"]:
            lines.append(json.dumps(e["case"]))
            want.append((name, e["mxref"]))
    out = subprocess.run([mxref, "dot"], input="\n".join(lines) + "\n", capture_output=True,
                         text=True)
    if out.returncode != 0:
        sys.exit(f"mxref dot failed on the recorded cases: {out.stderr[:500]}")
    got = [json.loads(l)["d"] for l in out.stdout.splitlines() if l.strip()]
    for (name, w), g in zip(want, got):
        if w != g:
            bad.append(f"{name}: a recorded case now gives {g}, recorded {w} (rerun peers/compare.py)")
    for b in bad[:20]:
        print(b)
    print(f"60-presets: {files} peer result files, {len(lines)} recorded disagreements replayed, "
          f"{len(bad)} problems")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
