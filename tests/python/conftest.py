"""Shared helpers: locate and run the mxref binary."""
import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def mxref_bin() -> str:
    env = os.environ.get("MXREF_BIN")
    if env:
        return env
    for p in (ROOT / "target/release/mxref", ROOT / "target/debug/mxref"):
        if p.exists():
            return str(p)
    pytest.fail("mxref binary not found: build it (cargo build --release) or set MXREF_BIN")


def run_mxref(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([mxref_bin(), *args], input=stdin, capture_output=True, text=True, check=False)


def run_jsonl(cmd: str, lines: list[dict]) -> list[dict]:
    text = "".join(json.dumps(l) + "\n" for l in lines)
    r = run_mxref(cmd, stdin=text)
    assert r.returncode == 0, r.stderr
    return [json.loads(l) for l in r.stdout.splitlines()]
