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
# # 1 — The artificial neuron
#
# A neuron computes $y = f(\sum_i w_i x_i + b)$. With a sigmoid, its output is 0.5 on the line
# $w\cdot x + b = 0$: perpendicular to $w$, at signed distance $-b/\lVert w\rVert$ from the origin.
# Changing the bias $b$ shifts the line parallel to itself — measured below on the model's output.

# %%
import os

QUICK = os.environ.get("PHYSNN_QUICK") == "1"   # small sizes (the test suite sets PHYSNN_QUICK=1)

# %% [markdown]
# ## The code to try

# %%
import torch
from physnn.nn import Neuron

neuron = Neuron(2, "sigmoid")                 # y = sigmoid(w·x + b)
with torch.no_grad():
    neuron.linear.weight.copy_(torch.tensor([[1.0, 2.0]]))
    neuron.linear.bias.fill_(-1.0)
w = neuron.linear.weight[0]
n = w / w.norm()                              # unit normal of the decision line
t = torch.linspace(-3, 3, 7).unsqueeze(1)     # distance along the normal
print(neuron(t * n).detach().squeeze(1))      # crosses 0.5 at t = -b/|w| = 0.447

# %% [markdown]
# ## The measured figure
# The neuron's output over the plane for three biases; the 0.5 contour is where the model itself crosses
# one half, the dashed line the geometry's prediction $w\cdot x + b = 0$.

# %%
import matplotlib.pyplot as plt
import numpy as np

res = 60 if QUICK else 200
g = np.linspace(-3, 3, res)
xx, yy = np.meshgrid(g, g)
grid = torch.tensor(np.c_[xx.ravel(), yy.ravel()], dtype=torch.float32)
fig, axes = plt.subplots(1, 3, figsize=(11, 3.4), sharey=True)
for ax, b in zip(axes, (-2.0, 0.0, 2.0)):
    with torch.no_grad():
        neuron.linear.bias.fill_(b)
        out = neuron(grid).reshape(res, res).numpy()
    ax.contourf(xx, yy, out, levels=20, cmap="RdBu_r")
    ax.contour(xx, yy, out, levels=[0.5], colors="k")
    ax.plot(g, (-b - 1.0 * g) / 2.0, "w--", lw=1)       # x2 = (-b - w1 x1) / w2
    ax.set(xlim=(-3, 3), ylim=(-3, 3), title=f"b = {b:+g}: distance {-b / float(w.norm()):+.3f}")
plt.show()
