"""The batched 1-D two-component GMM against scikit-learn's GaussianMixture."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from noisyprobe.methods.gmm import fit_gmm2

sklearn_mixture = pytest.importorskip("sklearn.mixture")


def _sample(rng, n0, n1, m0, m1, s0, s1):
    return np.concatenate([rng.normal(m0, s0, n0), rng.normal(m1, s1, n1)])


def _sklearn(x, **kw):
    gmm = sklearn_mixture.GaussianMixture(n_components=2, random_state=0, **kw)
    gmm.fit(x.reshape(-1, 1))
    order = np.argsort(gmm.means_.ravel())
    return gmm, order


@pytest.mark.parametrize(
    "kw",
    [
        {},  # scikit-learn defaults, run to convergence
        {"max_iter": 10, "tol": 1e-2, "reg_covar": 5e-4},  # DivideMix's settings
    ],
)
def test_fit_matches_sklearn_batched(kw):
    rng = np.random.default_rng(0)
    rows = [
        _sample(rng, 300, 100, 0.2, 0.8, 0.08, 0.1),
        _sample(rng, 150, 250, -1.0, 2.0, 0.5, 0.7),
        _sample(rng, 200, 200, 0.0, 0.5, 0.1, 0.1),
    ]
    x = torch.tensor(np.stack(rows))
    ours = fit_gmm2(x, **kw)
    proba = ours.predict_proba(x).numpy()
    for b, row in enumerate(rows):
        gmm, order = _sklearn(row, **kw)
        mine = np.argsort(ours.means[b].numpy())
        np.testing.assert_allclose(
            ours.means[b].numpy()[mine], gmm.means_.ravel()[order], rtol=1e-6
        )
        np.testing.assert_allclose(
            ours.variances[b].numpy()[mine], gmm.covariances_.ravel()[order], rtol=1e-6
        )
        np.testing.assert_allclose(ours.weights[b].numpy()[mine], gmm.weights_[order], rtol=1e-6)
        ref = gmm.predict_proba(row.reshape(-1, 1))[:, order]
        np.testing.assert_allclose(proba[b][:, mine], ref, atol=1e-6)


def test_prob_low_is_posterior_of_smaller_mean():
    rng = np.random.default_rng(1)
    x = torch.tensor(_sample(rng, 100, 100, 5.0, 0.0, 0.3, 0.3)).view(1, -1)
    g = fit_gmm2(x)
    low = g.prob_low(x)[0]
    assert bool((low[100:] > 0.99).all()) and bool((low[:100] < 0.01).all())


def test_rows_converge_independently():
    rng = np.random.default_rng(2)
    a = _sample(rng, 200, 200, 0.0, 10.0, 1.0, 1.0)  # converges at once
    b = _sample(rng, 200, 200, 0.0, 1.0, 1.0, 1.0)  # needs many iterations
    both = fit_gmm2(torch.tensor(np.stack([a, b])), max_iter=200, tol=1e-8)
    alone = fit_gmm2(torch.tensor(a).view(1, -1), max_iter=200, tol=1e-8)
    assert torch.allclose(both.means[0], alone.means[0])
    assert int(both.n_iter[0]) < int(both.n_iter[1])


def test_rejects_bad_shape():
    with pytest.raises(ValueError):
        fit_gmm2(torch.zeros(5))
