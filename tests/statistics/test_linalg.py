"""The decomposition disclosure control uses gets its factors even when LAPACK's first driver
call reports "SVD did not converge" (as OpenBLAS's gesdd once did here on a 0/1 matrix)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from safeguard.statistics import linalg
from safeguard.statistics.disclosure import null_space
from safeguard.statistics.tables import Release
from tests.statistics.test_disclosure import _grid


def _failing(times: int, real: Callable[..., Any]) -> Callable[..., Any]:
    """numpy's svd, failing its first `times` calls as LAPACK does when it gives up."""
    calls = {"n": 0}

    def svd(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] <= times:
            raise np.linalg.LinAlgError("SVD did not converge")
        return real(*args, **kwargs)

    return svd


@pytest.mark.parametrize("failures", [0, 1, 2])
@pytest.mark.parametrize("full", [True, False])
@pytest.mark.parametrize("shape", [(7, 12), (12, 7)])
def test_the_factors_rebuild_the_matrix_whichever_attempt_gives_them(
    monkeypatch: pytest.MonkeyPatch, failures: int, full: bool, shape: tuple[int, int]
) -> None:
    matrix = np.random.default_rng(failures).integers(-1, 2, shape).astype(float)
    monkeypatch.setattr(np.linalg, "svd", _failing(failures, np.linalg.svd))
    u, singular, vt = linalg.svd(matrix, full_matrices=full)
    k = len(singular)
    assert np.allclose(u[:, :k] @ np.diag(singular) @ vt[:k], matrix)
    assert np.allclose(u.T @ u, np.eye(u.shape[1])) and np.allclose(vt @ vt.T, np.eye(len(vt)))
    assert np.all(np.diff(singular) <= 1e-12)  # largest first, as numpy gives them


def test_a_null_space_survives_a_failed_first_attempt(monkeypatch: pytest.MonkeyPatch) -> None:
    release = Release("t", "p", "s", (_grid([[1, 2, 3], [4, 5, 6], [7, 8, 9]]),), {})
    width = 1 + max(a for c in release.tables[0].cells() for a in c.atoms)
    expected = null_space(release, set(), width)
    monkeypatch.setattr(np.linalg, "svd", _failing(1, np.linalg.svd))
    found = null_space(release, set(), width)
    # The same subspace (bases may differ): the same projector.
    assert np.allclose(found @ found.T, expected @ expected.T)


def test_it_gives_up_when_every_attempt_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(np.linalg, "svd", _failing(3, np.linalg.svd))
    with pytest.raises(np.linalg.LinAlgError):
        linalg.svd(np.eye(3), full_matrices=True)
