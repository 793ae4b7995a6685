"""Anomaly detection: distance correlation against Székely's closed form; AE score; DisCo decorrelation."""

import math

import numpy as np
import pytest
import torch

from physnn.errors import PhysnnError
from physnn.hep.anomaly import distance_correlation, train_anomaly, write_anomaly_run
from physnn.hep.features import JetData, toy_jets


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.9])
def test_distance_correlation_bivariate_normal(rho):
    # Székely, Rizzo, Bakirov (2007), Thm 7: dCor^2 of a bivariate normal with correlation rho
    r = rho
    truth = (r * math.asin(r) + math.sqrt(1 - r * r) - r * math.asin(r / 2) - math.sqrt(4 - r * r) + 1) / (
        1 + math.pi / 3 - math.sqrt(3))
    g = torch.Generator().manual_seed(0)
    z = torch.randn(2, 2500, generator=g, dtype=torch.float64)
    got = float(distance_correlation(z[0], rho * z[0] + math.sqrt(1 - rho * rho) * z[1]))
    assert got == pytest.approx(truth, abs=0.03)


def test_distance_correlation_sees_nonlinear_dependence():
    x = torch.linspace(-1, 1, 400, dtype=torch.float64)
    assert abs(float(torch.corrcoef(torch.stack([x, x * x]))[0, 1])) < 1e-6  # Pearson blind
    assert float(distance_correlation(x, x * x)) > 0.2


def _mass_correlated(n=1000, seed=0):
    """Background whose features all follow the mass; signal off that curve."""
    rng = np.random.default_rng(seed)
    y = (np.arange(n) % 4 == 0).astype(int)
    m = np.where(y == 1, rng.normal(150, 10, n), rng.exponential(50, n) + 10)
    u = np.log(m)
    X = np.c_[u, u ** 2 / 5 + rng.normal(0, 0.05, n), np.sin(u) + rng.normal(0, 0.05, n),
              rng.normal(0, 1, n) * (1 + 2 * y)]
    return JetData(X=X.astype(np.float32), feature_names=["a", "b", "c", "d"], y=y, mass=m.astype(np.float32))


def test_autoencoder_flags_signal_and_disco_decorrelates(tmp_path):
    jets = _mass_correlated()
    plain = train_anomaly(jets, hidden=[16], latent=1, epochs=50, batch_size=128, seed=0)
    disco = train_anomaly(jets, hidden=[16], latent=1, epochs=50, batch_size=128, seed=0,
                          decorrelate="disco", lam=20.0)
    assert plain.metrics["auc"] > 0.8
    from physnn.hep.classify import split_indices

    train = split_indices(jets.y, val=0.2, test=0.3, seed=0)["train"]
    assert plain.metrics["n_train_background"] == int((jets.y[train] == 0).sum())  # no signal trained on
    assert disco.metrics["dcor2_mass_score_background"] < 0.6 * plain.metrics["dcor2_mass_score_background"]
    d = write_anomaly_run(disco, tmp_path / "an")
    assert (d / "metrics.json").exists() and (d / "figures" / "roc.png").exists()
    np.testing.assert_allclose(disco.score(jets.X[:5]), disco.model.reconstruction_error(
        torch.as_tensor(((jets.X[:5] - np.array(disco.scaler["mean"])) / np.array(disco.scaler["scale"])).astype(np.float32))).numpy(), rtol=1e-5)


def test_bad_input():
    jets = toy_jets(40, seed=0)
    with pytest.raises(PhysnnError, match="'decorrelate' must be one of 'none', 'disco'"):
        train_anomaly(jets, decorrelate="planing")
    with pytest.raises(PhysnnError, match="needs a 'mass' column"):
        train_anomaly(JetData(**{**jets.__dict__, "mass": None}), decorrelate="disco")
