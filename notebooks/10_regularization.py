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
# # 10 — Regularization: dropout, weight decay, early stopping
#
# Three remedies for overfitting: dropout (`nn.Dropout(p=0.3)`), L2 weight decay (`weight_decay=1e-4`)
# and early stopping, which keeps the weights of the best validation epoch. The same small noisy set as
# section 9, trained with and without them.

# %%
import os

QUICK = os.environ.get("PHYSNN_QUICK") == "1"   # small sizes (the test suite sets PHYSNN_QUICK=1)

# %% [markdown]
# ## The code to try

# %%
from physnn.data import polynomial
from physnn.nn import MLP
from physnn.train import EarlyStopping, fit

epochs = 600 if QUICK else 3000
data = polynomial(n=60, degree=3, noise=0.3, seed=0).split(val=0.75, seed=0)
plain = fit(MLP(1, [128, 128], 1, activation="tanh", seed=0), data.train, val=data.val,
            optimizer="adam", lr=1e-3, epochs=epochs, batch_size=None, progress=False)
model = MLP(1, [128, 128], 1, activation="tanh", dropout=0.3, seed=0)   # nn.Dropout(p=0.3) after each layer
h = fit(model, data.train, val=data.val, optimizer="adam", lr=1e-3,
        weight_decay=1e-4,                                                # L2, as in the lecture
        epochs=epochs, batch_size=None,
        callbacks=[EarlyStopping(monitor="val_loss", patience=epochs // 6, restore_best=True)])
print(h.message)                    # why training stopped, and which epoch's weights were restored
print(f"validation MSE: plain {plain['val_loss'][-1]:.3f}, regularized {h.final['val_loss']:.3f}")

# %% [markdown]
# ## The measured figure

# %%
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(6, 4))
ax.semilogy(plain["epoch"], plain["val_loss"], label="validation, plain")
ax.semilogy(h["epoch"], h["val_loss"], label="validation, dropout + weight decay")
ax.semilogy(plain["epoch"], plain["loss"], ":", label="training, plain")
ax.axvline(h.best_epoch, color="grey", ls="--", lw=1, label=f"weights kept (epoch {h.best_epoch})")
ax.set(xlabel="epoch", ylabel="MSE")
ax.legend(fontsize=8)
plt.show()
