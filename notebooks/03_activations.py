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
# # 3 — Activation functions and the vanishing gradient
#
# Sigmoid and tanh saturate: their derivatives are at most 1/4 and 1, so the gradient shrinks layer by
# layer on its way back through a deep network. ReLU's derivative is 1 where it is active.
# Measured: the gradient norm of every layer's weights in a 10-hidden-layer network at initialisation.

# %%
import os

QUICK = os.environ.get("PHYSNN_QUICK") == "1"   # small sizes (the test suite sets PHYSNN_QUICK=1)

# %% [markdown]
# ## The code to try

# %%
import torch
from physnn.nn import MLP

torch.manual_seed(0)
x, y = torch.randn(1, 32), torch.randn(1, 1)          # one random input and target
norms = {}
for act in ("sigmoid", "tanh", "relu"):
    model = MLP(32, [32] * 10, 1, activation=act, seed=0)   # Xavier for sigmoid/tanh, Kaiming for ReLU
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    norms[act] = [float(m.weight.grad.norm()) for m in model.modules() if isinstance(m, torch.nn.Linear)]
    print(f"{act:8s} first layer {norms[act][0]:.1e}   output layer {norms[act][-1]:.1e}")

# %% [markdown]
# ## The measured figure

# %%
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(6, 4))
for act, values in norms.items():
    ax.semilogy(range(1, len(values) + 1), values, "o-", label=act)
ax.set(xlabel="layer (1 = next to the input)", ylabel="‖∂L/∂W‖", title="Gradient per layer at initialisation")
ax.legend()
plt.show()
