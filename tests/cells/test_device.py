"""--device for the U-Net: auto trains where it can (the CPU here, bit for bit), a bad device is one clear line."""

import pytest
import torch

from physnn.cells.segment import train_unet
from physnn.cells.synth import generate


def test_auto_device_gives_the_cpu_result_without_a_gpu():
    if torch.cuda.is_available():
        pytest.skip("with a GPU, auto trains there (float results differ from the CPU's)")
    s = generate(32, preset="easy", seed=0)
    kw = dict(depth=1, base=4, epochs=2, steps=2, batch_size=2, crop=16, seed=0)
    a, ha = train_unet([s.image], [s.labels], device="cpu", **kw)
    b, hb = train_unet([s.image], [s.labels], device="auto", **kw)
    assert ha["loss"] == hb["loss"]
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q) and q.device.type == "cpu"


def test_cells_train_cli_device(tmp_path, capsys):
    from physnn.cli.app import main

    assert main(["cells", "train", "--device", "bogus", "--n-train", "2", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "cells train: 'device' must be" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()
    if not torch.cuda.is_available():
        assert main(["cells", "train", "--device", "cuda", "--n-train", "2", "--out", str(tmp_path / "r")]) == 2
        assert "CUDA is not available" in capsys.readouterr().err
