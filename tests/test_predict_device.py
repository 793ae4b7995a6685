"""physnn predict --device: tabular, PINN and tagger runs predict where asked (auto = the CPU here, the
same numbers); other kinds refuse the option in one line that names what they take."""

import numpy as np
import pytest
import torch

from physnn.cli.app import main


@pytest.fixture(scope="module")
def moons_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("pd")
    assert main(["toy", "moons", "--n", "300", "--out", str(d / "moons.csv")]) == 0
    (d / "exp.toml").write_text(f'name = "m"\n[data]\nsource = "{d / "moons.csv"}"\ntarget = "label"\n'
                                '[model]\nhidden = [8]\n[train]\nloss = "bce_with_logits"\nepochs = 3\n')
    assert main(["train", str(d / "exp.toml"), "--out", str(d / "run"), "-q"]) == 0
    return d


def test_predict_device_auto_equals_cpu_and_a_bad_device_is_one_line(moons_run, capsys):
    if torch.cuda.is_available():
        pytest.skip("with a GPU, auto predicts there (float results may differ in the last bits)")
    d = moons_run
    for dev in ("cpu", "auto"):
        assert main(["predict", str(d / "run"), str(d / "moons.csv"), "--out", str(d / f"p-{dev}.csv"),
                     "--device", dev]) == 0
    a, b = (np.loadtxt(d / f"p-{k}.csv", delimiter=",", skiprows=1) for k in ("cpu", "auto"))
    np.testing.assert_array_equal(a, b)
    assert len(a) == 300
    capsys.readouterr()
    assert main(["predict", str(d / "run"), str(d / "moons.csv"), "--out", str(d / "p-bad.csv"),
                 "--device", "gpu"]) == 2
    err = capsys.readouterr().err
    assert "predict: 'device' must be" in err and len(err.strip().splitlines()) == 1
    assert not (d / "p-bad.csv").exists()


def test_tagger_predict_device(tmp_path):
    from physnn.hep.classify import train_tagger
    from physnn.hep.features import toy_jets

    tagger = train_tagger(toy_jets(200, seed=0), model="mlp", epochs=2, n_boot=5, ranking=False)
    jets = toy_jets(50, seed=1)
    np.testing.assert_array_equal(tagger.predict(jets), tagger.predict(jets, device="auto" if not
                                  torch.cuda.is_available() else "cpu"))
    assert next(tagger.net.parameters()).device.type == "cpu"
