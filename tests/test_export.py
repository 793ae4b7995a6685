"""ONNX export checked against onnxruntime for two batch sizes and particle counts (dynamic axes)."""

import pytest
import torch

from physnn.errors import PhysnnError

pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from physnn.export import export_onnx, run_onnx  # noqa: E402
from physnn.nn.sets import ParticleFlowNetwork, ParticleNetLite  # noqa: E402


def _inputs(n, p, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, p, 3, generator=g)
    mask = torch.rand(n, p, generator=g) < 0.7
    mask[:, 0] = True
    return x * mask.unsqueeze(-1), mask


@pytest.mark.parametrize("exporter,make", [
    ("dynamo", lambda: ParticleFlowNetwork(3, phi=[32, 16], f=[16], seed=0)),
    ("torchscript", lambda: ParticleNetLite(3, blocks=[[8, 8]], k=4, f=[8], seed=0)),
])
def test_set_network_matches_onnxruntime(tmp_path, exporter, make):
    net = make().eval()
    path = tmp_path / "net.onnx"
    rep = export_onnx(net, _inputs(4, 10, 0), path, exporter=exporter)
    assert rep["exporter"] == exporter and path.exists()
    assert rep["dynamic_axes"] == {"x": {"0": "batch", "1": "particles"}, "mask": {"0": "batch", "1": "particles"}}
    # two other batch sizes and particle counts, not seen at export
    for n, p in ((1, 6), (33, 41)):
        x, m = _inputs(n, p, n)
        got = run_onnx(path, [x, m])[0]
        with torch.no_grad():
            ref = net(x, m).numpy()
        assert got.shape == ref.shape == (n, 1)
        assert abs(got - ref).max() <= 1e-5 * max(1.0, abs(ref).max())
    assert not list(tmp_path.glob(".*tmp"))  # atomic write leaves no temporary file


def test_mlp_and_errors(tmp_path):
    net = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    rep = export_onnx(net, torch.randn(1, 5), tmp_path / "mlp.onnx", exporter="torchscript")
    assert rep["max_abs_diff"] < 1e-5
    x = torch.randn(17, 5)
    assert abs(run_onnx(tmp_path / "mlp.onnx", [x])[0] - net(x).detach().numpy()).max() < 1e-5
    with pytest.raises(PhysnnError, match="'exporter' must be one of 'dynamo', 'torchscript'"):
        export_onnx(net, torch.randn(2, 5), tmp_path / "a.onnx", exporter="jit")
    with pytest.raises(PhysnnError, match="must be a torch.nn.Module"):
        export_onnx(lambda t: t, torch.randn(2, 5), tmp_path / "a.onnx")

    class Bad(torch.nn.Module):  # data-dependent Python: exports, but wrong at other shapes
        def forward(self, x):
            return x[:, :1] * float(x.shape[0])

    with pytest.raises(PhysnnError, match="onnxruntime disagrees with torch"):
        export_onnx(Bad(), torch.randn(3, 2), tmp_path / "bad.onnx", exporter="torchscript")
    assert not (tmp_path / "bad.onnx").exists()


def test_export_command_on_a_plain_training_run(tmp_path, capsys):
    """`physnn export RUN --onnx F` on a run of `physnn train`, through the real entry point:
    standardisation included, outputs agree."""
    from physnn.cli.app import main
    from physnn.config import parse_config
    from physnn.runs import load_run, train_run

    cfg = parse_config({"name": "demo", "data": {"source": "toy:simplenet", "options": {"n": 120}},
                        "model": {"kind": "simplenet"}, "train": {"epochs": 2}})
    run = train_run(cfg, tmp_path / "run", progress=False, quiet=True, figures=False)
    rc = main(["export", str(run.directory), "--onnx", str(tmp_path / "m.onnx"), "--exporter", "torchscript"])
    assert rc == 0, capsys.readouterr()
    X = torch.randn(7, 10).numpy() * 3 + 1
    got = run_onnx(tmp_path / "m.onnx", [X])[0]
    assert abs(got - load_run(run.directory).predict(X)).max() < 1e-5
    capsys.readouterr()
    assert main(["export", str(tmp_path), "--onnx", str(tmp_path / "x.onnx")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("physnn: error:") and "state.json is missing" in err
    assert not (tmp_path / "x.onnx").exists()
