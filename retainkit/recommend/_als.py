"""Matrix factorisation for implicit feedback: alternating least squares in NumPy."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from retainkit._validation import check_choice, check_int
from retainkit.recommend._base import Recommender


def _positive(name: str, value, *, allow_zero: bool = False) -> float:
    ok = isinstance(value, int | float | np.number) and not isinstance(value, bool)
    if not ok or not (value >= 0 if allow_zero else value > 0):
        raise ValueError(f"{name} must be a number {'>=' if allow_zero else '>'} 0, "
                         f"got {value!r}")
    return float(value)


class ALSRecommender(Recommender):
    """Implicit-feedback matrix factorisation by alternating least squares (Hu, Koren & Volinsky).

    Introduced in notebook 09. Each user u and item i get ``factors``-long vectors x_u, y_i;
    the score is x_uᵀy_i. With r_ui the training value (1 per interaction by default), the
    **preference** p_ui = 1 if r_ui > 0 else 0 and the **confidence** c_ui = 1 + α r_ui
    (α = ``alpha``); ALS minimises, over every cell of the matrix, seen or not,

        Σ_ui c_ui (p_ui − x_uᵀy_i)² + λ (Σ_u ‖x_u‖² + Σ_i ‖y_i‖²)      (λ = ``regularization``)

    by solving for all x_u with Y fixed, x_u = (YᵀY + Yᵀ(Cᵘ − I)Y + λI)⁻¹ YᵀCᵘp(u), then for
    all y_i with X fixed, ``iterations`` times. ``solver="cg"`` (default, as the ``implicit``
    library) takes ``cg_steps`` conjugate-gradient steps from the previous solution, for all
    users at once, O(nnz·f) per step; ``solver="exact"`` solves each system (O(nnz·f² +
    n·f³), a Python loop: slow, for checking). Either way a half-step never increases the
    objective, so ``loss_`` (after each iteration) never increases. Factors start as
    N(0, 0.1²/factors) draws of ``numpy.random.default_rng(seed)``: same seed, same model.
    """

    name = "ALS"

    def __init__(self, factors: int = 64, regularization: float = 0.1, alpha: float = 10.0,
                 iterations: int = 15, solver: str = "cg", cg_steps: int = 3, seed: int = 0):
        check_choice("solver", solver, ("cg", "exact"))
        self.solver, self.cg_steps = solver, check_int("cg_steps", cg_steps, 1)
        self.factors = check_int("factors", factors, 1)
        self.regularization = _positive("regularization", regularization, allow_zero=True)
        self.alpha = _positive("alpha", alpha)
        self.iterations = check_int("iterations", iterations, 1)
        self.seed = check_int("seed", seed, 0)

    def _fit(self, X):
        X = sparse.csr_matrix(X, dtype=float)
        if X.nnz and X.data.min() < 0:
            raise ValueError("ALS needs values >= 0 (the confidence is 1 + alpha * value); "
                             f"value_col has {int((X.data < 0).sum())} negative cell(s)")
        rng = np.random.default_rng(self.seed)
        scale = 0.1 / np.sqrt(self.factors)
        self.user_factors_ = rng.normal(0, scale, (X.shape[0], self.factors))
        self.item_factors_ = rng.normal(0, scale, (X.shape[1], self.factors))
        Xt = X.T.tocsr()
        self.loss_ = []
        for _ in range(self.iterations):
            solve = self._solve if self.solver == "exact" else self._conjugate_gradient
            self.user_factors_ = solve(X, self.item_factors_, self.user_factors_)
            self.item_factors_ = solve(Xt, self.user_factors_, self.item_factors_)
            self.loss_.append(self._loss(X))

    def _conjugate_gradient(self, R: sparse.csr_matrix, Y: np.ndarray, X0: np.ndarray):
        """``cg_steps`` CG steps on every row's system at once, from the rows of ``X0``."""
        lam, alpha = self.regularization, self.alpha
        base = Y.T @ Y + lam * np.eye(Y.shape[1])
        rows = np.repeat(np.arange(R.shape[0]), np.diff(R.indptr))
        cols, r = R.indices, R.data
        W, Y_cols, weight = R.copy(), Y[cols], alpha * r

        def matvec(P):
            W.data = weight * np.einsum("nf,nf->n", P[rows], Y_cols)
            return P @ base + W @ Y

        B = R.copy()
        B.data = (1.0 + alpha * r) * (r > 0)
        x = X0.copy()
        resid = B @ Y - matvec(x)
        p = resid.copy()
        rs_old = np.einsum("nf,nf->n", resid, resid)
        for _ in range(self.cg_steps):
            Ap = matvec(p)
            pAp = np.einsum("nf,nf->n", p, Ap)
            step = np.divide(rs_old, pAp, out=np.zeros_like(rs_old), where=pAp > 0)
            x += step[:, None] * p
            resid -= step[:, None] * Ap
            rs_new = np.einsum("nf,nf->n", resid, resid)
            beta = np.divide(rs_new, rs_old, out=np.zeros_like(rs_old), where=rs_old > 0)
            p = resid + beta[:, None] * p
            rs_old = rs_new
        return x

    def _solve(self, R: sparse.csr_matrix, Y: np.ndarray, X0=None) -> np.ndarray:
        """Rows of R (users or items) against the fixed factors Y of the other side."""
        f, lam, alpha = Y.shape[1], self.regularization, self.alpha
        base = Y.T @ Y + lam * np.eye(f)
        out = np.zeros((R.shape[0], f))
        for u in range(R.shape[0]):
            lo, hi = R.indptr[u], R.indptr[u + 1]
            if lo == hi:
                continue  # no interactions: the minimum is x_u = 0
            idx, r = R.indices[lo:hi], R.data[lo:hi]
            Yu = Y[idx]
            A = base + (Yu.T * (alpha * r)) @ Yu
            b = Yu.T @ ((1.0 + alpha * r) * (r > 0))
            out[u] = np.linalg.solve(A, b)
        return out

    def _loss(self, X: sparse.csr_matrix) -> float:
        """The objective: Σ_all s² over unseen cells via traces, corrected on the seen ones."""
        U, V = self.user_factors_, self.item_factors_
        all_sq = float(np.sum((U.T @ U) * (V.T @ V)))  # Σ over every cell of (x_uᵀy_i)²
        rows, cols = X.nonzero()
        r = np.asarray(X[rows, cols]).ravel()
        s = np.einsum("ij,ij->i", U[rows], V[cols])
        c = 1 + self.alpha * r
        p = (r > 0).astype(float)
        seen = float(np.sum(c * (p - s) ** 2 - s**2))
        reg = self.regularization * float(np.sum(U**2) + np.sum(V**2))
        return all_sq + seen + reg

    def _scores(self, rows):
        return self.user_factors_[rows] @ self.item_factors_.T
