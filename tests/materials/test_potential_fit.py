"""The potential's linear term (a ridge on the per-structure mean descriptors, fitted before the network)
and its ensembles: exact on data they can represent, forces still the derivatives, runs reload."""

import numpy as np
import pytest

pytest.importorskip("ase")
pytest.importorskip("dscribe")
torch = pytest.importorskip("torch")

from physnn.materials.structures import StructureSet, read_structures  # noqa: E402

from .conftest import emt_structures  # noqa: E402

DESC = {"r_cut": 4.5, "n_radial": 6, "n_angular": 2, "r_min": 2.0, "r_cut_angular": 3.6}


def test_ridge_on_validation_recovers_a_linear_law():
    from physnn.materials.potential import ridge_on_validation

    rng = np.random.default_rng(0)
    w = rng.normal(size=6)
    x = rng.normal(size=(120, 6))
    y = x @ w
    got, info = ridge_on_validation(x[:100], y[:100], x[100:], y[100:])
    np.testing.assert_allclose(got, w, atol=1e-6)
    assert info["alpha"] <= 1e-6 and info["val_mae"] < 1e-6 and abs(info["intercept"]) < 1e-6
    # an offset goes to the intercept, unpenalised
    got, info = ridge_on_validation(x[:100], y[:100] + 7.0, x[100:], y[100:] + 7.0)
    np.testing.assert_allclose(got, w, atol=1e-6)
    assert info["intercept"] == pytest.approx(7.0, abs=1e-6)
    # noise: the chosen alpha is one of the grid's, and shrinks w towards 0
    noisy = y + rng.normal(0.0, 3.0, size=len(y))
    w2, info2 = ridge_on_validation(x[:100], noisy[:100], x[100:], noisy[100:], alphas=[1e-6, 1.0, 1e3])
    assert info2["alpha"] in (1e-6, 1.0, 1e3)
    assert np.linalg.norm(w2) < np.linalg.norm(ridge_on_validation(x[:100], noisy[:100], x[100:], noisy[100:],
                                                                   alphas=[1e-6])[0]) + 1e-12


def _model(linear=True, ensemble=2, seed=0, descriptor=DESC):
    from physnn.materials.potential import AtomicPotential

    model = AtomicPotential(["Ni", "Cu", "Au"], [8, 8], descriptor=descriptor, seed=seed, linear=linear,
                            ensemble=ensemble).double()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.net.parameters():
            p.mul_(3.0)
        model.e_scale.fill_(0.2)
        model.x_mean.copy_(torch.rand(model.x_mean.shape, generator=g, dtype=torch.float64))
        model.x_std.copy_(0.5 + torch.rand(model.x_std.shape, generator=g, dtype=torch.float64))
        model.e_ref.copy_(torch.tensor([-1.0, -2.0, -3.0], dtype=torch.float64))
        if linear:
            model.w_lin.copy_(0.05 * torch.randn(model.w_lin.shape, generator=g, dtype=torch.float64))
    return model.eval()


def test_linear_term_and_ensemble_energy_and_forces():
    from physnn.materials.potential import build_potential

    atoms = emt_structures(2, seed=5)[1]
    model = _model()
    graph = model.graph(atoms)
    out = model(graph, forces=True)
    # E = sum_i e_ref[Z_i] + x̃_i·w + e_scale * (f_1(x̃_i) + f_2(x̃_i)) / 2
    x = model.descriptors(graph)
    xs = (x - model.x_mean) / model.x_std
    with torch.no_grad():
        members = [m(xs)[:, 0] for m in model.net.members]
    sp = torch.as_tensor(graph.species)
    want = float((model.e_ref[sp] + xs @ model.w_lin + 0.2 * (members[0] + members[1]) / 2).sum())
    assert float(out["energy"][0].detach()) == pytest.approx(want, rel=1e-12)
    assert abs(float((xs @ model.w_lin).sum())) > 1e-3  # the linear term counts
    # forces: minus the derivative of that energy, the linear term's part included
    f = out["forces"].detach().numpy()
    h = 1e-5
    for i, c in ((0, 0), (3, 1), (len(atoms) - 1, 2)):
        e = []
        for sign in (1, -1):
            b = atoms.copy()
            b.positions[i, c] += sign * h
            with torch.no_grad():
                e.append(float(model(model.graph(b))["energy"][0]))
        np.testing.assert_allclose(f[i, c], -(e[0] - e[1]) / (2 * h), rtol=1e-5, atol=1e-7)
    # rebuilt from its config with the same weights and buffers: the same model
    cfg = model.config()
    assert cfg["linear"] is True and cfg["ensemble"] == 2
    again = build_potential(cfg).double()
    again.load_state_dict(model.state_dict())
    assert float(again.eval()(graph)["energy"][0].detach()) == pytest.approx(want, rel=1e-12)
    # a config of before the linear term and ensembles (no keys): one network, no linear term
    old = build_potential({k: v for k, v in cfg.items() if k not in ("linear", "ensemble")})
    assert old.ensemble == 1 and not old.linear and "w_lin" not in dict(old.named_buffers())


def test_linear_term_fits_energies_of_a_linear_atomic_model_exactly(tmp_path):
    """Energies made by a per-atom model that is linear in the descriptors: the ridge reproduces them."""
    from physnn.materials.potential import train_potential

    atoms = emt_structures(60, seed=6)
    truth = _model(ensemble=1, seed=3, descriptor={**DESC, "n_radial": 4, "n_angular": 1})
    with torch.no_grad():
        for p in truth.net.parameters():
            p.zero_()  # the network part is 0: E = sum_i e_ref[Z_i] + x̃_i·w
    energy = np.array([float(truth(truth.graph(a))["energy"][0].detach()) for a in atoms])
    n_atoms = np.array([len(a) for a in atoms])
    data = StructureSet(atoms=atoms, energy=energy, forces=None, stress=None, path=tmp_path / "linear.extxyz")
    desc = {**DESC, "n_radial": 4, "n_angular": 1}  # 3·4 + 2·6·1 + 3 = 27 features, 42 training structures
    res = train_potential(data, epochs=1, hidden=[4], descriptor=desc, baselines=False, progress=False,
                          linear=True, n_sparse=0, seed=0)
    fit = res.metrics["linear_term"]
    spread = float(np.std(energy / n_atoms))
    assert fit["train_mae"] < 1e-4 * spread and fit["val_mae"] < 1e-3 * spread
    res0 = train_potential(data, epochs=1, hidden=[4], descriptor=desc, baselines=False, progress=False,
                           linear=False, seed=0)
    assert res0.metrics["linear_term"] == {}


def test_energies_only_ensemble_trains_and_reloads(emt_extxyz, tmp_path):
    from physnn.materials.potential import train_potential
    from physnn.materials.runs import load_potential, write_potential_run

    data = read_structures(emt_extxyz)
    res = train_potential(data, epochs=3, patience=3, hidden=[6], force_weight=0.0, descriptor=DESC,
                          ensemble=2, baselines=False, progress=False)
    m = res.metrics
    assert m["ensemble"] == 2 and len(m["members"]) == 2 and m["trained_on"] == ["energy"]
    assert res.settings["ensemble"] == 2 and res.settings["linear"] is True
    # energies only: the sparse-kernel term by default, its points training atoms (here fewer than 2000)
    n_train_atoms = int(data.n_atoms[res.split["train"]].sum())
    assert res.model.n_sparse == min(2000, n_train_atoms) and m["linear_term"]["n_sparse"] == res.model.n_sparse
    a, b = res.model.net.members
    assert not torch.equal(a[0].weight, b[0].weight)  # members from different initial weights
    run = write_potential_run(tmp_path / "run", res, data_path=emt_extxyz, settings=res.settings, seed=0)
    back = load_potential(run)
    assert back.ensemble == 2 and back.linear
    te = res.split["test"]
    got = back.predict([data.atoms[i] for i in te], forces=False)["energy"]
    np.testing.assert_allclose(got / data.n_atoms[te], res.predictions["per-atom network"], rtol=1e-9)


def test_cli_energies_only_defaults_and_ensemble_option(emt_extxyz, tmp_path):
    import json

    from physnn.cli.app import main

    run = tmp_path / "eonly"
    code = main(["materials", "train", str(emt_extxyz), "--out", str(run), "--force-weight", "0", "--epochs", "2",
                 "--n-radial", "4", "--n-angular", "1", "--r-cut", "4.5", "--ensemble", "2", "-q"])
    assert code == 0
    state = json.loads((run / "state.json").read_text())
    # energies only: the smaller network, the linear and kernel terms; --ensemble reaches the model
    assert state["model"]["hidden"] == [32, 32] and state["model"]["ensemble"] == 2
    assert state["model"]["linear"] is True and state["model"]["n_sparse"] > 0
    m = json.loads((run / "metrics.json").read_text())
    assert m["trained_on"] == ["energy"] and len(m["members"]) == 2


def test_ridge_penalty_is_the_generalised_ridge_and_bad_penalties_are_named():
    """penalty=P solves (X_c^T X_c + alpha n P) w = X_c^T y_c; P not square/positive definite: a clear error."""
    from physnn.errors import PhysnnError
    from physnn.materials.potential import ridge_on_validation

    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 5))
    y = x @ rng.normal(size=5) + rng.normal(0.0, 0.5, size=40) + 3.0
    b = rng.normal(size=(5, 5))
    pen = b @ b.T + 0.1 * np.eye(5)
    alpha = 0.3
    w, info = ridge_on_validation(x[:30], y[:30], x[30:], y[30:], alphas=[alpha], penalty=pen)
    xc, yc = x[:30] - x[:30].mean(0), y[:30] - y[:30].mean()
    want = np.linalg.solve(xc.T @ xc + alpha * 30 * pen, xc.T @ yc)
    np.testing.assert_allclose(w, want, rtol=1e-9, atol=1e-12)
    assert info["intercept"] == pytest.approx(y[:30].mean() - x[:30].mean(0) @ want, abs=1e-9)
    # P = I is the plain ridge
    np.testing.assert_allclose(ridge_on_validation(x[:30], y[:30], x[30:], y[30:], alphas=[alpha],
                                                   penalty=np.eye(5))[0],
                               ridge_on_validation(x[:30], y[:30], x[30:], y[30:], alphas=[alpha])[0], rtol=1e-9)
    with pytest.raises(PhysnnError, match="shape"):
        ridge_on_validation(x[:30], y[:30], x[30:], y[30:], penalty=np.eye(4))
    with pytest.raises(PhysnnError, match="positive definite"):
        ridge_on_validation(x[:30], y[:30], x[30:], y[30:], penalty=-np.eye(5))


def test_sparse_kernel_term_keeps_a_linear_law_exact(tmp_path):
    """Energies of a per-atom model linear in the descriptors, fitted with the kernel term beside the linear
    one (its RKHS-norm penalty): the fixed terms still reproduce them, and the kernel's coefficients stay small."""
    from physnn.materials.potential import train_potential

    atoms = emt_structures(60, seed=6)
    desc = {**DESC, "n_radial": 4, "n_angular": 1}
    truth = _model(ensemble=1, seed=3, descriptor=desc)
    with torch.no_grad():
        for p in truth.net.parameters():
            p.zero_()
    energy = np.array([float(truth(truth.graph(a))["energy"][0].detach()) for a in atoms])
    n_atoms = np.array([len(a) for a in atoms])
    data = StructureSet(atoms=atoms, energy=energy, forces=None, stress=None, path=tmp_path / "linear.extxyz")
    res = train_potential(data, epochs=1, hidden=[4], descriptor=desc, baselines=False, progress=False,
                          linear=True, n_sparse=40, seed=0)
    fit = res.metrics["linear_term"]
    spread = float(np.std(energy / n_atoms))
    assert res.model.n_sparse == 40 and fit["n_sparse"] == 40
    assert fit["train_mae"] < 1e-3 * spread and fit["val_mae"] < 1e-2 * spread
    pred = res.predictions["per-atom network"]
    assert float(np.mean(np.abs(pred - res.y_test))) < 1e-2 * spread
