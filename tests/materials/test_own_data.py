"""The user's own structures: read any ASE file with its labels, train a potential on energies and forces
through the CLI, predict and show the run; forces are the derivatives of the energy; bad files are named."""

import csv
import json

import numpy as np
import pytest

pytest.importorskip("ase")
pytest.importorskip("dscribe")
torch = pytest.importorskip("torch")

from physnn.cli.app import main  # noqa: E402
from physnn.errors import PhysnnError  # noqa: E402
from physnn.materials.structures import read_structures, write_structures  # noqa: E402

from .conftest import emt_structures  # noqa: E402

TINY = ["--epochs", "4", "--hidden", "8", "--n-radial", "6", "--n-angular", "2", "--r-cut", "4.5", "-q"]


def cli(capsys, *args):
    code = main([str(a) for a in args])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


# ---------------------------------------------------------------- reading

def test_read_structures_labels_from_calculator_and_info(emt_extxyz, tmp_path):
    s = read_structures(emt_extxyz)
    assert len(s) == 30 and s.species == ["Ni", "Cu", "Au"]  # by atomic number, from the data
    assert s.has_forces and s.has_stress and s.energy.shape == (30,)
    assert {int(n) for n in s.n_atoms} == {4, 32}
    ref = emt_structures(30, seed=3)
    np.testing.assert_allclose(s.energy, [a.get_potential_energy() for a in ref], rtol=1e-10)
    np.testing.assert_allclose(s.forces[5], ref[5].get_forces(), atol=1e-8)
    # energies given as atoms.info["energy"] (no calculator) and no forces: energies only
    from ase.io import write

    plain = []
    for a, e in zip(ref[:3], (1.5, -2.0, 0.25)):
        b = a.copy()
        b.calc = None
        b.info["energy"] = e
        plain.append(b)
    p = tmp_path / "info.xyz"
    write(p, plain, format="extxyz")
    t = read_structures(p)
    assert t.energy.tolist() == [1.5, -2.0, 0.25] and not t.has_forces
    # ASE's own trajectory format reads the same way
    traj = tmp_path / "s.traj"
    write(traj, ref[:4])
    u = read_structures(traj)
    np.testing.assert_allclose(u.energy, s.energy[:4], rtol=1e-10)
    assert u.has_forces


def test_read_structures_errors_name_the_file_and_what_was_expected(emt_extxyz, tmp_path):
    from ase.io import write

    no_e = tmp_path / "noenergy.extxyz"
    bare = [a.copy() for a in emt_structures(3, seed=1)]
    write(no_e, bare, format="extxyz")
    with pytest.raises(PhysnnError, match="3 of 3 structures .* have no energy") as e:
        read_structures(no_e)
    assert "noenergy.extxyz" in str(e.value) and "energy=" in str(e.value)
    assert len(read_structures(no_e, need_energy=False)) == 3  # prediction needs none
    rnd = tmp_path / "random.extxyz"
    rnd.write_bytes(np.random.default_rng(0).bytes(3000))
    with pytest.raises(PhysnnError, match="cannot read") as e:
        read_structures(rnd)
    assert "random.extxyz" in str(e.value) and "extended XYZ" in str(e.value)
    assert "pickle" not in str(e.value)
    text = tmp_path / "table.extxyz"
    text.write_text("a,b\n1,2\n")
    with pytest.raises(PhysnnError, match="cannot read .*table.extxyz.*it holds a UTF-8 text"):
        read_structures(text)
    npz = tmp_path / "x.npz"
    np.savez(npz, a=np.zeros(3))
    with pytest.raises(PhysnnError, match="not structures ASE reads: it holds a NumPy .npz archive"):
        read_structures(npz)
    empty = tmp_path / "empty.xyz"
    empty.write_bytes(b"")
    with pytest.raises(PhysnnError, match="empty"):
        read_structures(empty)
    with pytest.raises(PhysnnError, match="does not exist"):
        read_structures(tmp_path / "missing.extxyz")


# ---------------------------------------------------------------- the model

def _random_potential(species, seed=0):
    from physnn.materials.potential import AtomicPotential

    torch.manual_seed(seed)
    model = AtomicPotential(species, [16, 16], descriptor={"r_cut": 4.5, "n_radial": 6, "n_angular": 3,
                                                           "r_min": 2.0, "r_cut_angular": 3.6},
                            seed=seed).double()
    with torch.no_grad():
        for p in model.net.parameters():
            p.mul_(3.0)  # a strongly nonlinear network: a wrong derivative would show
        model.e_scale.fill_(0.3)
    return model.eval()


def energy_of(model, atoms):
    with torch.no_grad():
        return float(model(model.graph(atoms))["energy"][0])


def test_forces_and_stress_are_derivatives_of_the_energy():
    atoms = emt_structures(1, seed=7)[0]
    if len(atoms) < 32:
        atoms = atoms.repeat((2, 2, 2))
    model = _random_potential(["Ni", "Cu", "Au"])
    out = model(model.graph(atoms), forces=True, stress=True)
    f = out["forces"].detach().numpy()
    assert np.abs(f).max() > 1e-3  # the check below could not fail on zero forces
    h = 1e-5
    rng = np.random.default_rng(0)
    for i in rng.choice(len(atoms), 4, replace=False):
        for c in range(3):
            e = []
            for sign in (1, -1):
                b = atoms.copy()
                b.positions[i, c] += sign * h
                e.append(energy_of(model, b))
            np.testing.assert_allclose(f[i, c], -(e[0] - e[1]) / (2 * h), rtol=1e-5, atol=1e-7)
    # stress: (1/V) dE/d(strain), by finite differences of a strained cell
    s = out["stress"].detach().numpy()[0]
    voigt = [(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)]
    for k, (a, b) in enumerate(voigt):
        e = []
        for sign in (1, -1):
            eps = np.zeros((3, 3))
            eps[a, b] += sign * h / (1 if a == b else 2)
            eps[b, a] += 0 if a == b else sign * h / 2
            c2 = atoms.copy()
            c2.set_cell(np.asarray(atoms.cell) @ (np.eye(3) + eps), scale_atoms=True)
            e.append(energy_of(model, c2))
        np.testing.assert_allclose(s[k], (e[0] - e[1]) / (2 * h) / atoms.get_volume(), rtol=1e-4, atol=1e-8)


def test_descriptor_chain_rule_equals_autograd_and_energy_is_invariant():
    from physnn.materials.descriptors import LocalDescriptor, neighbour_graph

    atoms = emt_structures(2, seed=2)[1]
    # angular terms on the closer pairs only (r_cut_angular < r_cut): both pair sets are differentiated
    d = LocalDescriptor(["Ni", "Cu", "Au"], r_cut=4.5, n_radial=5, n_angular=3, r_cut_angular=3.6).double()
    g = neighbour_graph(atoms, 4.5, d.species)
    v, c, ns, sp = g.descriptor_inputs(torch.float64)
    v = v.clone().requires_grad_(True)
    x, m1, m2 = d.parts(v, c, ns, sp)
    w = torch.randn_like(x)
    energy = (w * x).sum() + 0.1 * (x ** 2).sum()
    gx, = torch.autograd.grad(energy, x, retain_graph=True)
    ref, = torch.autograd.grad(energy, v)
    got = d.pair_gradient(gx, v.detach(), c, ns, m1.detach(), m2.detach())
    assert ref.abs().max() > 1e-3
    torch.testing.assert_close(got, ref, rtol=1e-9, atol=1e-10)
    # rotating the structure, or listing its atoms in another order, leaves the energy unchanged
    model = _random_potential(["Ni", "Cu", "Au"], seed=1)
    e0 = energy_of(model, atoms)
    rot = atoms.copy()
    rot.rotate(37, "x", rotate_cell=True)
    rot.rotate(-71, "z", rotate_cell=True)
    perm = atoms[np.random.default_rng(0).permutation(len(atoms))]
    for other in (rot, perm):
        assert energy_of(model, other) == pytest.approx(e0, rel=1e-9, abs=1e-9)


# ---------------------------------------------------------------- training, predict, show

@pytest.fixture(scope="module")
def trained(emt_extxyz, tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "pot"
    code = main(["materials", "train", str(emt_extxyz), "--out", str(run), "--seed", "1", *TINY])
    assert code == 0
    return run


def test_cli_train_from_extxyz_writes_a_run_with_the_baselines(trained, capsys):
    from physnn.rundir import FORMAT

    state = json.loads((trained / "state.json").read_text())
    assert state["format"] == FORMAT and state["kind"] == "materials"
    assert state["model"]["kind"] == "atomic_potential" and state["species"] == ["Ni", "Cu", "Au"]
    assert state["trained_on"] == ["energy", "forces"] and state["provenance"]["seed"] == 1
    for f in ("model.safetensors", "config.toml", "history.csv", "metrics.json", "figures/loss.png",
              "figures/parity.png"):
        assert (trained / f).exists(), f
    m = json.loads((trained / "metrics.json").read_text())
    e = m["test"]["energy_mae_meV_per_atom"]
    assert list(e) == ["predict the mean", "composition+volume ridge", "SOAP kernel ridge", "per-atom network"]
    assert all(np.isfinite(v) and v >= 0 for v in e.values())
    assert set(m["test"]["force_mae_meV_per_A"]) == {"zero forces", "per-atom network"}
    assert m["n_train"] + m["n_val"] + m["n_test"] == 30
    # show: kind, data file, the metrics of every model
    code, out, _ = cli(capsys, "show", trained)
    assert code == 0
    assert "materials" in out and "structures.extxyz" in out and "SOAP kernel ridge" in out


def test_training_on_forces_learns(emt_extxyz):
    from physnn.materials.potential import train_potential

    data = read_structures(emt_extxyz)
    res = train_potential(data, epochs=30, patience=30, hidden=[16], lr=5e-3, batch_size=8, seed=0,
                          descriptor={"r_cut": 4.5, "n_radial": 6, "n_angular": 0}, baselines=False,
                          progress=False)
    h = res.history
    # the validation loss (energy and force terms) fell well below its first-epoch value
    assert min(h["val_loss"]) < 0.5 * h["val_loss"][0]
    assert res.metrics["trained_on"] == ["energy", "forces"]


def test_predict_any_ase_file_totals_in_ev(trained, emt_extxyz, tmp_path, capsys):
    from physnn.materials.runs import load_potential

    new = emt_structures(5, seed=99)
    src = tmp_path / "new.extxyz"
    write_structures(src, new)  # no labels: prediction needs none
    out = tmp_path / "pred.csv"
    code, text, err = cli(capsys, "predict", trained, src, "--out", out)
    assert code == 0, err
    rows = read_rows(out)
    assert len(rows) == 5 and set(rows[0]) == {"structure", "n_atoms", "pred_energy", "pred_energy_per_atom"}
    model = load_potential(trained)
    new = read_structures(src, need_energy=False).atoms  # the positions as the file holds them
    want = model.predict(new, forces=False)["energy"]
    got = np.array([float(r["pred_energy"]) for r in rows])
    np.testing.assert_allclose(got, want, rtol=1e-9)
    n = np.array([int(r["n_atoms"]) for r in rows])
    assert n.tolist() == [len(a) for a in new]
    np.testing.assert_allclose([float(r["pred_energy_per_atom"]) for r in rows], got / n, rtol=1e-9)
    npz = tmp_path / "pred.npz"
    assert cli(capsys, "predict", trained, src, "--out", npz)[0] == 0
    with np.load(npz) as z:
        assert z["pred_energy"].dtype == np.float64
        np.testing.assert_allclose(z["pred_energy"], want, rtol=1e-12)
    # an extxyz out: the structures with the predicted energies and forces, readable as training data
    xyz = tmp_path / "pred.extxyz"
    assert cli(capsys, "predict", trained, src, "--out", xyz)[0] == 0
    back = read_structures(xyz)
    np.testing.assert_allclose(back.energy, want, rtol=1e-9)
    f = model.predict(new)["forces"]
    np.testing.assert_allclose(back.forces[2], f[2], atol=1e-6)  # extxyz keeps 8 decimals
    assert np.abs(f[2]).max() > 1e-3


def test_cli_errors_follow_the_contract(trained, emt_extxyz, tmp_path, capsys):
    from ase.io import write

    no_e = tmp_path / "noenergy.extxyz"
    write(no_e, [a.copy() for a in emt_structures(12, seed=1)], format="extxyz")
    rnd = tmp_path / "random.extxyz"
    rnd.write_bytes(np.random.default_rng(1).bytes(2000))
    table = tmp_path / "t.csv"
    table.write_text("x,y\n1,2\n")
    cases = [
        (["materials", "train", no_e, "--out", tmp_path / "r1", *TINY], "have no energy"),
        (["materials", "train", rnd, "--out", tmp_path / "r2", *TINY], "cannot read"),
        (["materials", "train", emt_extxyz, "--out", tmp_path / "r3", "--targets", "e_mix_relaxed", "-q"],
         "--targets does not apply"),
        (["materials", "train", emt_extxyz, "--out", tmp_path / "r4", "--force-weight", "-1", "-q"],
         "force_weight"),
        (["predict", trained, table, "--out", tmp_path / "p.csv"], "cannot read"),
        (["predict", trained, emt_extxyz, "--out", tmp_path / "p.csv", "--tree", "t"], "--tree does not apply"),
        (["export", trained, "--onnx", tmp_path / "m.onnx"], "not exported to ONNX"),
    ]
    for args, needle in cases:
        code, _, err = cli(capsys, *args)
        assert code == 2, (args, err)
        assert err.startswith("physnn: error:") and len(err.strip().splitlines()) == 1, err
        assert needle in err, (needle, err)
        assert "pickle" not in err
    for name in ("r1", "r2", "r3", "r4", "p.csv", "m.onnx"):
        assert not (tmp_path / name).exists(), name
    # an element the run never saw
    other = emt_structures(2, seed=5, elements=("Pd", "Cu"))
    src = tmp_path / "pd.extxyz"
    write_structures(src, other)
    code, _, err = cli(capsys, "predict", trained, src, "--out", tmp_path / "q.csv")
    assert code == 2 and "['Pd']" in err and "knows only" in err


def test_cli_potential_options_reach_the_run(emt_extxyz, tmp_path, capsys):
    run = tmp_path / "opts"
    code, text, err = cli(capsys, "materials", "train", emt_extxyz, "--out", run, "--epochs", "2", "--hidden", "6,5",
                          "--n-radial", "5", "--n-angular", "0", "--r-cut", "4.0", "--force-weight", "0",
                          "--energy-weight", "2", "--stress-weight", "0.5", "--batch-size", "7", "--lr", "0.02",
                          "--patience", "9", "--test", "0.3", "--val", "0.2", "-q")
    assert code == 0, err
    state = json.loads((run / "state.json").read_text())
    assert state["model"]["hidden"] == [6, 5]
    assert {k: state["model"]["descriptor"][k] for k in ("n_radial", "n_angular", "r_cut")} == \
        {"n_radial": 5, "n_angular": 0, "r_cut": 4.0}
    assert state["trained_on"] == ["energy", "stress"]  # --force-weight 0: no force term; stress from the file
    m = json.loads((run / "metrics.json").read_text())
    assert m["loss_weights"] == {"energy": 2.0, "forces": 0.0, "stress": 0.5}
    assert (m["n_train"], m["n_val"], m["n_test"]) == (15, 6, 9)
    import tomllib

    cfg = tomllib.loads((run / "config.toml").read_text())["materials_train"]
    assert (cfg["batch_size"], cfg["patience"], cfg["lr"]) == (7, 9, 0.02)
    rows = read_rows(run / "history.csv")
    assert len(rows) <= 2 and float(rows[0]["lr"]) == pytest.approx(0.02)


def test_neighbour_pairs_equal_ase_neighbor_list():
    from ase.build import fcc111, molecule
    from ase.neighborlist import neighbor_list

    from physnn.materials.descriptors import neighbour_pairs

    rng = np.random.default_rng(4)
    bulk = emt_structures(3, seed=4)
    outside = bulk[2].copy()
    outside.positions += rng.normal(0.0, 4.0, size=outside.positions.shape)  # atoms far outside the cell
    slab = fcc111("Cu", size=(2, 2, 3), vacuum=5.0)  # periodic in x, y only
    for atoms in (*bulk, outside, slab, molecule("CH3CH2OH")):
        i, j, s = neighbour_pairs(atoms, 4.5)
        i2, j2, s2 = neighbor_list("ijS", atoms, 4.5)
        assert len(i) == len(i2) > 0
        assert set(zip(i, j, map(tuple, s.astype(int)))) == set(zip(i2, j2, map(tuple, s2)))


def test_energies_only_file_and_wrong_kind_of_run(tmp_path, emt_extxyz):
    from physnn.materials.potential import train_potential
    from physnn.materials.runs import load_potential, write_potential_run
    from physnn.rundir import create_run_dir, write_state

    atoms = emt_structures(12, seed=8)
    p = tmp_path / "e.extxyz"
    write_structures(p, atoms, energies=[a.get_potential_energy() for a in atoms])  # no forces in the file
    data = read_structures(p)
    assert not data.has_forces
    res = train_potential(data, epochs=2, hidden=[4], descriptor={"r_cut": 4.0, "n_radial": 4, "n_angular": 0},
                          baselines=False, progress=False)
    assert res.metrics["trained_on"] == ["energy"] and "force_mae_meV_per_A" not in res.metrics["test"]
    run = write_potential_run(tmp_path / "run", res, data_path=p, settings=res.settings, seed=0)
    # a file with forces, trained on energies only (w_F = 0): the forces are still measured
    res = train_potential(read_structures(emt_extxyz), epochs=2, hidden=[4], force_weight=0.0,
                          descriptor={"r_cut": 4.0, "n_radial": 4, "n_angular": 2}, baselines=False, progress=False)
    assert res.metrics["trained_on"] == ["energy"] and res.history.epochs_run == 2
    assert np.isfinite(res.metrics["test"]["force_mae_meV_per_A"]["per-atom network"])
    assert load_potential(run).species == ["Ni", "Cu", "Au"]
    # a run of another kind is refused with the command that makes the right one
    other = create_run_dir(tmp_path / "tab")
    write_state(other, "tabular", {"model": {"kind": "mlp"}})
    with pytest.raises(PhysnnError, match="is a tabular run .* made by .physnn materials train"):
        load_potential(other)


def test_predict_with_an_alloy_surrogate_run(cuau_data, tmp_path, capsys):
    from physnn.materials.generate import to_atoms
    from physnn.materials.train import load_materials_model, train_materials

    res = train_materials(cuau_data, epochs=3, patience=3, hidden=[4], out=tmp_path / "alloy", progress=False)
    state = json.loads((res.directory / "state.json").read_text())
    assert state["kind"] == "materials" and state["model"]["kind"] == "peratom"
    structures = to_atoms(cuau_data, [0, 1, 2])
    src = tmp_path / "cuau.extxyz"
    write_structures(src, structures)
    out = tmp_path / "p.csv"
    code, _, err = cli(capsys, "predict", res.directory, src, "--out", out)
    assert code == 0, err
    rows = read_rows(out)
    want = load_materials_model(res.directory).predict(read_structures(src, need_energy=False).atoms)[:, 0]
    np.testing.assert_allclose([float(r["pred_e_mix_relaxed"]) for r in rows], want, rtol=1e-6)
    code, out_text, _ = cli(capsys, "show", res.directory)
    assert code == 0 and "PerAtomNet" in out_text
