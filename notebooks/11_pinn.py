# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 11 — Physics-informed neural networks
#
# A PINN is trained on $L = L_{data} + \lambda \lVert N(u_\theta)\rVert^2$: the residual of the PDE at
# collocation points, computed by autograd. Here Burgers' equation $u_t + u u_x = \nu u_{xx}$, with the
# initial and boundary conditions built into the network, against its exact (Cole–Hopf) solution.

# %%
import os

QUICK = os.environ.get("PHYSNN_QUICK") == "1"   # small sizes (the test suite sets PHYSNN_QUICK=1)

# %% [markdown]
# ## The code to try
# (The lecture's settings reach a relative L2 error of about 1e-4; quick mode trains a few hundred steps.)

# %%
import math

import torch
from physnn.pinn import Interval, Problem, SpaceTime, TimeDomain, solve


def burgers(x, u, d, p):                      # N(u) = u_t + u u_x - nu u_xx
    return d.t(u) + u * d.x(u) - p.nu * d.xx(u)


problem = Problem(
    SpaceTime(Interval(-1, 1), TimeDomain(0, 0.99)), burgers,
    parameters={"nu": 0.01 / math.pi},
    # u(x,0) = -sin(pi x) and u(+-1,t) = 0 hold exactly by construction:
    transform=lambda x, y: -torch.sin(math.pi * x[:, :1]) + x[:, 1:] * (1 - x[:, :1] ** 2) * y,
)
sol = solve(problem, hidden=[20, 20, 20] if QUICK else [20, 20, 20, 20], n_domain=300 if QUICK else 1500,
            adam_steps=150 if QUICK else 1000, adam_lr=3e-3, lbfgs_steps=30 if QUICK else 2000,
            quasi_newton="lbfgs" if QUICK else "ssbfgs")

# %% [markdown]
# ## The measured figure
# The network's $u(x, t)$ beside the exact solution at three times, and the relative L2 error on the
# standard 256 × 100 grid.

# %%
import matplotlib.pyplot as plt
import numpy as np
from physnn.pinn.problems import burgers_reference_points
from physnn.pinn.references import burgers_exact

X = burgers_reference_points()
u = sol.objective.predict(sol.model, torch.as_tensor(X, dtype=torch.float32))[:, 0].double().numpy()
ref = burgers_exact(X[:, 0], X[:, 1])
err = np.linalg.norm(u - ref) / np.linalg.norm(ref)
fig, ax = plt.subplots(figsize=(6, 4))
for t in (0.25, 0.5, 0.75):
    xs = np.linspace(-1, 1, 201)
    pts = np.c_[xs, np.full_like(xs, t)]
    with torch.no_grad():
        ax.plot(xs, sol.objective.predict(sol.model, torch.as_tensor(pts, dtype=torch.float32))[:, 0], label=f"PINN t = {t}")
    ax.plot(xs, burgers_exact(xs, np.full_like(xs, t)), "k:", lw=1)
ax.set(xlabel="x", ylabel="u", title=f"Burgers: relative L2 error {err:.2e} (dotted: exact)")
ax.legend(fontsize=8)
plt.show()
