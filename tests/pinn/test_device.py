"""--device for PINNs: auto trains where it can (the CPU here, bit for bit), a bad device is one clear line."""

import pytest
import torch

from physnn.errors import PhysnnError
from physnn.pinn.problems import get_problem
from physnn.pinn.solve import solve


def test_auto_device_gives_the_cpu_result_without_a_gpu():
    if torch.cuda.is_available():
        pytest.skip("with a GPU, auto trains there (float results differ from the CPU's)")
    kw = dict(hidden=(8, 8), n_domain=32, n_boundary=8, adam_steps=60, lbfgs_steps=20, seed=0)
    a = solve(get_problem("poisson"), device="cpu", **kw)
    b = solve(get_problem("poisson"), device="auto", **kw)
    assert a.errors == b.errors and a.errors
    assert next(b.model.parameters()).device.type == "cpu"


def test_bad_device_is_refused_before_training():
    with pytest.raises(PhysnnError, match="solve: 'device' must be"):
        solve(get_problem("poisson"), device="gpu", adam_steps=10, lbfgs_steps=0)
    if not torch.cuda.is_available():
        with pytest.raises(PhysnnError, match="CUDA is not available"):
            solve(get_problem("poisson"), device="cuda", adam_steps=10, lbfgs_steps=0)


def test_pinn_cli_device(tmp_path, capsys):
    from physnn.cli.app import main

    assert main(["pinn", "poisson", "--quick", "--device", "bogus", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "pinn: 'device' must be" in err and len(err.strip().splitlines()) == 1 and not (tmp_path / "r").exists()
    assert main(["pinn", "poisson", "--quick", "--device", "auto", "--out", str(tmp_path / "r")]) == 0
    assert (tmp_path / "r" / "model.safetensors").is_file()
