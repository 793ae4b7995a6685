"""'physnn pinn' writes a run that 'physnn predict' can evaluate; bad names exit 2."""

import json
import math

import numpy as np

from physnn.cli.app import main


def test_pinn_run_and_predict(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["pinn", "poisson", "--quick", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "l2_error" in text and "run written to" in text
    m = json.loads((out / "metrics.json").read_text())
    assert m["problem"] == "poisson" and m["l2_error"] < 1e-2
    assert set(m["stages"]) == {"adam", "lbfgs"} and all(s["message"] for s in m["stages"].values())
    assert (out / "figures" / "loss_terms.png").stat().st_size > 1000
    assert (out / "figures" / "solution.png").stat().st_size > 1000
    xs = np.linspace(-0.9, 0.9, 7)
    (tmp_path / "pts.csv").write_text("x\n" + "\n".join(f"{x}" for x in xs) + "\n")
    assert main(["predict", str(out), str(tmp_path / "pts.csv"), "--out", str(tmp_path / "u.csv")]) == 0
    rows = (tmp_path / "u.csv").read_text().splitlines()
    assert rows[0] == "u"
    u = np.array([float(r) for r in rows[1:]])
    assert np.abs(u - np.sin(math.pi * xs)).max() < 2e-2


def test_pinn_inverse_reports_coefficient(tmp_path, capsys):
    assert main(["pinn", "inverse", "--quick", "--out", str(tmp_path / "inv")]) == 0
    assert "identified C =" in capsys.readouterr().out
    m = json.loads((tmp_path / "inv" / "metrics.json").read_text())
    assert abs(m["coef_C"] - 1.0) < 0.1


def test_pinn_bad_name(capsys):
    assert main(["pinn", "burger"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Did you mean 'burgers'" in err


def test_pinn_causal_and_lbfgs_history_reach_the_run(tmp_path, capsys):
    out = tmp_path / "heat"
    assert main(["pinn", "heat", "--quick", "--causal", "1.0", "--lbfgs-history", "20", "--out", str(out)]) == 0
    cfg = (out / "config.toml").read_text()
    assert "causal = 1.0" in cfg and "lbfgs_history = 20" in cfg
    header = (out / "history.csv").read_text().splitlines()[0]
    assert "causal_min_weight" in header
    capsys.readouterr()
    # a problem without time cannot be weighted causally: one line, exit 2
    assert main(["pinn", "poisson", "--quick", "--causal", "1.0", "--out", str(tmp_path / "p")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "time coordinate named 't'" in err
    assert not (tmp_path / "p").exists()  # nothing half-written
    assert main(["pinn", "poisson", "--quick", "--lbfgs-history", "0", "--out", str(tmp_path / "q")]) == 2
    assert "--lbfgs-history" in capsys.readouterr().err


def test_pinn_quasi_newton_option(tmp_path, capsys):
    out = tmp_path / "heat"
    assert main(["pinn", "heat", "--quick", "--quasi-newton", "ssbfgs", "--out", str(out)]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert "ssbfgs" in m["stages"] and "lbfgs" not in m["stages"]
    assert 'quasi_newton = "ssbfgs"' in (out / "config.toml").read_text()
    assert "ssbfgs" in (out / "history.csv").read_text()  # the stage column names the method
    capsys.readouterr()
    assert main(["pinn", "heat", "--quick", "--quasi-newton", "newton", "--out", str(tmp_path / "n")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "quasi_newton" in err and "ssbfgs" in err
    assert not (tmp_path / "n").exists()


def test_burgers_preset_uses_self_scaled_bfgs():
    from physnn.pinn.runs import PRESETS

    full = PRESETS["burgers"]["full"]
    assert full["quasi_newton"] == "ssbfgs" and full["lbfgs_steps"] == 2000
