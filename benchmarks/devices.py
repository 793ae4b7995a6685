"""The same four trainings on the CPU and on a GPU: samples per second and the final metric, side by side.

Issue 17 §3.  SimpleNet (10-64-32-1 on 100,000 x 10, batch 256), the jet tagger
(`physnn.hep.classify.train_tagger`, a Particle-Flow Network on 20,000 toy jets of 30
constituents), a Fourier neural operator (FNO1d on 2,000 1-D fields of 256 points, relative L2)
and a U-Net (2 levels, 16 channels, 3-class pixels on 512 images of 64 x 64), each for a fixed
number of epochs through `physnn.train.fit` (or the application's trainer), on ``cpu`` and — when
``torch.cuda.is_available()`` — on ``cuda``, with the same seeds.  Prints, per model and device,
training samples per second (epochs x training samples / wall seconds of the fit, first-epoch
warm-up included) and the final validation metric, then the GPU/CPU speed ratio.

    .venv/bin/python benchmarks/devices.py               # every model, every device this machine has
    .venv/bin/python benchmarks/devices.py --quick       # a tenth of the data (a smoke run)
    .venv/bin/python benchmarks/devices.py --device cpu  # one device only
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch


def simplenet(device: str, scale: float) -> tuple[float, str]:
    from physnn.nn import SimpleNet
    from physnn.train import fit

    n = int(100_000 * scale)
    g = torch.Generator().manual_seed(0)
    X = torch.randn(n, 10, generator=g)
    y = (X[:, :3] ** 2).sum(1, keepdim=True)
    torch.manual_seed(0)
    t = time.perf_counter()
    h = fit(SimpleNet(), (X[n // 10:], y[n // 10:]), val=(X[: n // 10], y[: n // 10]), epochs=5, batch_size=256,
            device=device, progress=False)
    return 5 * (n - n // 10) / (time.perf_counter() - t), f"val MSE {h['val_loss'][-1]:.4f}"


def tagger(device: str, scale: float) -> tuple[float, str]:
    from physnn.hep.classify import train_tagger
    from physnn.hep.features import toy_jets

    jets = toy_jets(int(20_000 * scale), n_max=30, seed=0)
    t = time.perf_counter()
    tg = train_tagger(jets, model="pfn", phi=(64, 64), f=(64,), epochs=5, early_stopping=False, ranking=False,
                      n_boot=10, device=device)
    return 5 * tg.metrics["n_train"] / (time.perf_counter() - t), f"test AUC {tg.metrics['auc']:.4f}"


def fno(device: str, scale: float) -> tuple[float, str]:
    from physnn.fluids.train import RelativeL2
    from physnn.nn.spectral import FNO1d
    from physnn.train import fit

    n = int(2_000 * scale)
    g = torch.Generator().manual_seed(0)
    k = torch.arange(129)
    c = torch.complex(torch.randn(n, 129, generator=g), torch.randn(n, 129, generator=g)) / (1 + k) ** 2
    u0 = torch.fft.irfft(c, 256) * 256
    uT = torch.fft.irfft(c * torch.exp(-1e-3 * (2 * np.pi * k) ** 2), 256) * 256 + 0.1 * u0**2
    m = n // 10
    torch.manual_seed(0)
    obj = RelativeL2((u0[m:], uT[m:]), (u0[:m], uT[:m]), batch_size=20)
    t = time.perf_counter()
    h = fit(FNO1d(modes=16, width=64, layers=4), objective=obj, epochs=5, lr=1e-3, device=device, progress=False)
    return 5 * (n - m) / (time.perf_counter() - t), f"val rel. L2 {h['val_loss'][-1]:.4f}"


def unet(device: str, scale: float) -> tuple[float, str]:
    from physnn.nn.conv import UNet
    from physnn.train import fit

    n = max(int(512 * scale), 20)
    g = torch.Generator().manual_seed(0)
    yy, xx = torch.meshgrid(torch.arange(64.0), torch.arange(64.0), indexing="ij")
    labels = torch.zeros(n, 64, 64, dtype=torch.long)
    for i in range(n):
        for cy, cx in torch.rand(6, 2, generator=g) * 56 + 4:
            r2 = (yy - cy) ** 2 + (xx - cx) ** 2
            labels[i][r2 < 30] = 1
            labels[i][(r2 >= 30) & (r2 < 42)] = 2
    images = (labels > 0).float()[:, None] + 0.5 * torch.randn(n, 1, 64, 64, generator=g)
    m = n // 10
    torch.manual_seed(0)
    t = time.perf_counter()
    h = fit(UNet(1, 3, depth=2, base=16), (images[m:], labels[m:]), val=(images[:m], labels[:m]),
            loss="cross_entropy", metrics=["accuracy"], epochs=5, batch_size=16, device=device, progress=False)
    return 5 * (n - m) / (time.perf_counter() - t), f"val pixel accuracy {h['val_accuracy'][-1]:.4f}"


MODELS = {"SimpleNet": simplenet, "PFN tagger": tagger, "FNO1d": fno, "U-Net": unet}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="A tenth of the data.")
    ap.add_argument("--device", choices=["cpu", "cuda"], action="append", help="Default: cpu, and cuda if present.")
    args = ap.parse_args()
    devices = args.device or (["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"])
    if "cuda" not in devices:
        print("no CUDA device here: CPU column only")
    else:
        print(f"GPU: {torch.cuda.get_device_name(0)}")
    scale = 0.1 if args.quick else 1.0
    rows = {}
    for name, f in MODELS.items():
        for dev in devices:
            rate, metric = f(dev, scale)
            rows[name, dev] = rate
            print(f"{name:12s} {dev:5s} {rate:12,.0f} samples/s   {metric}", flush=True)
        if len(devices) == 2:
            print(f"{name:12s} GPU/CPU speed ratio {rows[name, 'cuda'] / rows[name, 'cpu']:.1f}x")


if __name__ == "__main__":
    main()
