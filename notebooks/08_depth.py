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
# # 8 — Depth: exponential expressiveness
#
# The tent map composed $k$ times, $g^k$, has $2^k$ linear pieces. A ReLU network of $k$ layers of 2
# units computes it exactly with $O(k)$ weights; one hidden layer needs at least $2^k - 1$ units.

# %%
import os

QUICK = os.environ.get("PHYSNN_QUICK") == "1"   # small sizes (the test suite sets PHYSNN_QUICK=1)

# %% [markdown]
# ## The code to try

# %%
import torch
from physnn.lecture.depth import count_pieces, n_params, sawtooth, sawtooth_net

net = sawtooth_net(4)                      # MLP(1, [2, 2, 2, 2], 1) with hand-set weights
print(net.spec, "parameters:", n_params(net))
x = torch.linspace(0, 1, 4097).reshape(-1, 1)
err = (net(x).detach().squeeze().double() - torch.tensor(sawtooth(x.squeeze().numpy(), 4))).abs().max()
print(f"max error: {float(err):.3g}   linear pieces: {count_pieces(net)}")
print("a one-hidden-layer ReLU net needs at least", 2 ** 4 - 1, "units for 16 pieces")

# %% [markdown]
# ## The measured figure
# The hand-built deep networks for $k = 1 \dots 4$: pieces counted on the model's output.

# %%
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(7, 3.5))
for k in range(1, 5):
    net = sawtooth_net(k)
    with torch.no_grad():
        ax.plot(x.squeeze(), net(x).squeeze() + 1.2 * (k - 1),
                label=f"k = {k}: {count_pieces(net)} pieces, {n_params(net)} parameters")
ax.set(xlabel="x", yticks=[], title="g^k computed by a ReLU net of k layers of 2 units")
ax.legend(fontsize=8, loc="upper right")
plt.show()
