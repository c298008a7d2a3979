"""A singular value decomposition that does not give up on the matrices disclosure control
builds.

numpy's `svd` calls LAPACK's divide-and-conquer driver (gesdd), which with OpenBLAS sometimes
reports "SVD did not converge" on ordinary 0/1 matrices, depending on the matrix's layout
and the number of threads (OpenMathLib/OpenBLAS#3044; numpy/numpy#11887). It happened here
once, protecting a year of the test's referrals. The same factors come from the transposed
matrix (M = U S Vt exactly when Mt = V S Ut), and a scaled copy takes LAPACK down another
path again, so those are tried before giving up.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # small matrices: threads only contend

import numpy as np  # noqa: E402
import numpy.typing as npt  # noqa: E402

Matrix = npt.NDArray[np.float64]
# Not a power of two, so the scaled copy rounds differently.
_SCALE = 0.7310585786300049


def svd(matrix: Matrix, *, full_matrices: bool) -> tuple[Matrix, Matrix, Matrix]:
    """(U, S, Vt) with `matrix` = U diag(S) Vt, as `numpy.linalg.svd` gives them."""
    try:
        return _svd(matrix, full_matrices)
    except np.linalg.LinAlgError:
        pass
    try:
        u, singular, vt = _svd(matrix.T, full_matrices)
        return vt.T, singular, u.T
    except np.linalg.LinAlgError:
        pass
    u, singular, vt = _svd(matrix * _SCALE, full_matrices)
    return u, singular / _SCALE, vt


def _svd(matrix: Matrix, full_matrices: bool) -> tuple[Matrix, Matrix, Matrix]:
    u, singular, vt = np.linalg.svd(matrix, full_matrices=full_matrices)
    return u, singular, vt
