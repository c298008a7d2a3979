"""The suite keeps its files out of the developer's own `.data`, the one `make run` uses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from safeguard.settings import Settings
from safeguard.span_file import span_file_for

# A process on default settings, as `create_app()` in a test makes one: it traces to files.
PROBE = """
from opentelemetry import trace
from safeguard.telemetry import configure_tracing
provider = configure_tracing("safeguard-probe")
trace.get_tracer("probe").start_span("probe").end()
provider.shutdown()
"""


def test_spans_of_default_settings_go_to_the_sessions_data_dir(tmp_path: Path) -> None:
    # Run from a directory of its own: before, the spans went to `.data/traces` under it.
    subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-c", PROBE], cwd=tmp_path, env=os.environ, check=True, timeout=120
    )
    assert not (tmp_path / ".data").exists()
    written = span_file_for(Settings().data_dir, "safeguard-probe")
    assert '"name": "probe"' in written.read_text()
    assert not written.resolve().is_relative_to(Path.cwd().resolve())
