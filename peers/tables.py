"""Markdown tables for spec/presets.md from the data: the preset files and docs/peers/*.json.

  python3 peers/tables.py presets     every tensor-core preset and its parameters
  python3 peers/tables.py peers       agreement with MMA-Sim per preset
"""
import glob
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def fmt_float(f):
    m = "exact" if f["man_bits"] is None else f"E{f['exp_bits']}M{f['man_bits']}"
    return f"{m} {f['round']}" + ("" if f.get("subnormals", True) else " FTZ")


def presets():
    rows = []
    for path in sorted(glob.glob(os.path.join(ROOT, "model", "presets", "*.json"))):
        p = json.load(open(path))
        if p["name"] in ("exact", "rtl"):
            continue
        lay = p.get("group_layout", "contiguous")
        if isinstance(lay, dict):
            i = lay["interleaved"]
            lay = f"interleaved {i['ways']}x{i['span']}/{i.get('chunk', 1)}"
        scale = p.get("scale", "product")
        if p.get("block_sum_chunk"):
            scale += f" /{p['block_sum_chunk']}"
        promote = p.get("promote")
        window = p.get("shifted_out", "truncate")
        j = p.get("join")
        if j:
            lanes = f"{j['lanes']} lanes to {j['lane_window']}, " if j.get("lanes", 1) > 1 else ""
            window += (f"; join: {lanes}sum {j['sum_window']}, acc {j['acc_window']} {j['shifted_out']}"
                       + (f", acc dropped below -{j['acc_drop_below']}" if j.get("acc_drop_below") else "")
                       + (f", products >= 2^{j['product_inf_exp']} Inf" if j.get("product_inf_exp") else ""))
        rows.append("| `{}` | {} | {} | {} {} | {} {} | {} | {} | {} | {} | {} | {} | {} |".format(
            p["name"], p.get("instruction", "") or "(see description)", ", ".join(p.get("inputs", [])),
            p["group"], "" if lay == "contiguous" else lay,
            "unbounded" if p["window_bits"] is None else p["window_bits"],
            "" if p["window_bits"] is None else window,
            scale, p.get("align", "nominal"), f"{p['accumulate']}, C {p['c_entry']}", fmt_float(p["acc"]),
            f"every {promote['every']} {promote['round']}" if promote else "-", fmt_float(p["output"]),
            p.get("nan_bits", "0x7fc00000") + ("" if p.get("zero_sign", "ieee") == "ieee" else ", +0")))
        rows[-1] += " " + (p.get("status") or "(none recorded)") + " |"
    head = ("| name | instruction | inputs | group | window | scale | align | accumulate | acc | promote | "
            "output | NaN, exact zero | status |\n|" + "---|" * 13)
    print(head)
    print("\n".join(rows))


def peers():
    print("| preset | dots | mismatches | zero_exponent | sign_of_zero | nan_inf | nan_payload | other | peer crashes |")
    print("|---|---|---|---|---|---|---|---|---|")
    tot = [0, 0]
    for path in sorted(glob.glob(os.path.join(ROOT, "docs", "peers", "mmasim-*.json"))):
        r = json.load(open(path))
        c = r["by_class"]
        tot[0] += r["dots"]
        tot[1] += r["mismatches"]
        print(f"| `{r['preset']}` | {r['dots']} | {r['mismatches']} | {c.get('zero_exponent', 0)} | "
              f"{c.get('sign_of_zero', 0)} | {c.get('nan_inf', 0)} | {c.get('nan_payload', 0)} | "
              f"{c.get('other', 0)} | "
              f"{r['peer_crashes']} |")
    print(f"| all | {tot[0]} | {tot[1]} | | | | | | |")


if __name__ == "__main__":
    {"presets": presets, "peers": peers}[sys.argv[1]]()
