"""The benchmarks answer --help without running, and bench/all's summary reads their figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))
from all import BENCHES, PYTHON_FILE, table  # noqa: E402
from summary import SUMMARY, Figure, figure, read  # noqa: E402

SCRIPTS = sorted(
    p.name for p in BENCH.iterdir() if p.is_file() and p.suffix == "" and p.stat().st_mode & 0o111
)


def test_bench_all_knows_every_benchmark() -> None:
    assert set(SCRIPTS) - {"all"} == set(BENCHES)


@pytest.mark.parametrize("name", SCRIPTS)
def test_each_bench_answers_help_without_running(name: str) -> None:
    # A bench that ignored --help would start its stack: far beyond the timeout.
    answer = subprocess.run(  # noqa: S603 - our own scripts
        [str(BENCH / name), "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert answer.returncode == 0, answer.stderr[-2000:]
    assert answer.stdout.startswith("usage:")


def test_figures_reach_the_summary_only_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "summary.jsonl"
    monkeypatch.delenv(SUMMARY, raising=False)
    figure("not asked", 1.0, unit="s")
    monkeypatch.setenv(SUMMARY, str(path))
    figure("relay", 50.0, unit="msg/s", baseline=200.0)
    figure("p99", 12.5, unit="ms", better="lower")
    found = read(path)
    assert [(f.name, f.ours, f.baseline, f.ratio) for f in found] == [
        ("relay", 50.0, 200.0, 0.25),
        ("p99", 12.5, None, None),
    ]


def test_the_table_gives_each_figure_beside_its_baseline() -> None:
    figures = [Figure("intake", "ref/s, 8 callers", "ref/s", 90.0, 100.0, "higher")]
    text = table(figures, {"intake": (0, 61.0), "events": (1, 5.0)})
    assert "intake: ref/s, 8 callers" in text
    assert "90.0" in text and "100.0" in text and "0.90" in text
    assert "events       FAILED (exit 1)" in text


@pytest.mark.parametrize("name", sorted(set(SCRIPTS) - {"all"}))
def test_each_bench_hands_its_headline_figures_to_the_summary(name: str) -> None:
    # A bench that printed its figures but never noted one would leave bench/all's table blank.
    source = (BENCH / PYTHON_FILE.get(name, f"{name}.py")).read_text()
    assert "from summary import figure" in source and "figure(" in source
