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
# # 12 — Particle physics: jet tagging
#
# Pythia 8 makes top-pair and QCD events, FastJet clusters anti-kt R = 0.8 jets, and a network learns to
# tell top jets (three prongs, mass ≈ 175 GeV) from QCD jets. A tagger is judged by its ROC as background
# rejection $1/\varepsilon_B$ against signal efficiency $\varepsilon_S$.

# %%
import os

QUICK = os.environ.get("PHYSNN_QUICK") == "1"   # small sizes (the test suite sets PHYSNN_QUICK=1)

# %% [markdown]
# ## The code to try
# (Your own jets: `physnn hep train --data events.root --tree jets ...`, see the application guide.)

# %%
from physnn.hep import generate_jets
from physnn.hep.classify import train_tagger
from physnn.hep.features import jets_from_columns

n = 30 if QUICK else 1000
jets = jets_from_columns([generate_jets("top", n=n, seed=1, progress=False),
                          generate_jets("qcd", n=n, seed=2, progress=False)])
tagger = train_tagger(jets, model="mlp", epochs=30 if QUICK else 100, n_boot=20 if QUICK else 200, ranking=False)
print("AUC", tagger.metrics["auc"], "  1/eps_B at eps_S = 0.5:", tagger.metrics["rejection_at_0.5"]["rejection"])

# %% [markdown]
# ## The measured figure
# The ROC curve on the test jets, computed from the tagger's scores.

# %%
import matplotlib.pyplot as plt
import numpy as np

s, y = tagger.scores["test"], tagger.labels["test"]
cuts = np.unique(s)[::-1]
eff_s = np.array([(s[y == 1] >= c).mean() for c in cuts])
eff_b = np.array([(s[y == 0] >= c).mean() for c in cuts])
keep = eff_b > 0
fig, ax = plt.subplots(figsize=(5, 4))
ax.semilogy(eff_s[keep], 1 / eff_b[keep], label=f"MLP on jet features, AUC {tagger.metrics['auc']:.3f}")
ax.set(xlabel="signal efficiency ε_S", ylabel="background rejection 1/ε_B")
ax.legend()
plt.show()
