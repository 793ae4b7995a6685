"""What a learner reaches for beside each section: references, exercises with answers, a glossary.

Kept apart from the experiments so the report writer (and a notebook) can show
them with any section's result:

    >>> from physnn.lecture.notes import REFERENCES, EXERCISES, GLOSSARY
    >>> len(EXERCISES[10]) >= 2 and "Loshchilov" in " ".join(REFERENCES[10])
    True
    >>> "τ₃₂" in GLOSSARY
    True
"""

from __future__ import annotations

import html

__all__ = ["REFERENCES", "EXERCISES", "GLOSSARY", "notes_markdown", "exercises_html", "glossary_markdown"]

#: section number -> references (author, year, title)
REFERENCES: dict[int, list[str]] = {
    1: ["W. S. McCulloch & W. Pitts (1943), 'A logical calculus of the ideas immanent in nervous activity'."],
    2: ["F. Rosenblatt (1958), 'The perceptron: a probabilistic model for information storage and organization in the brain'.",
        "M. Minsky & S. Papert (1969), *Perceptrons*.",
        "D. E. Rumelhart, G. E. Hinton & R. J. Williams (1986), 'Learning representations by back-propagating errors'."],
    3: ["X. Glorot & Y. Bengio (2010), 'Understanding the difficulty of training deep feedforward neural networks'.",
        "K. He, X. Zhang, S. Ren & J. Sun (2015), 'Delving deep into rectifiers'."],
    4: ["Y. LeCun, L. Bottou, G. Orr & K.-R. Müller (1998), 'Efficient BackProp'."],
    5: ["D. E. Rumelhart, G. E. Hinton & R. J. Williams (1986), 'Learning representations by back-propagating errors'.",
        "X. Glorot & Y. Bengio (2010); K. He et al. (2015) — the initialisations of section 3."],
    6: ["A. Paszke et al. (2019), 'PyTorch: an imperative style, high-performance deep learning library'."],
    7: ["I. Goodfellow, Y. Bengio & A. Courville (2016), *Deep Learning*, ch. 6."],
    8: ["M. Telgarsky (2016), 'Benefits of depth in neural networks', COLT.",
        "B. Hanin & D. Rolnick (2019), 'Deep ReLU networks have surprisingly few activation patterns'.",
        "N. Rahaman et al. (2019), 'On the spectral bias of neural networks'.",
        "E. Malach & S. Shalev-Shwartz (2019), 'Is deeper better only when shallow is good?'."],
    9: ["S. Geman, E. Bienenstock & R. Doursat (1992), 'Neural networks and the bias/variance dilemma'.",
        "M. Belkin, D. Hsu, S. Ma & S. Mandal (2019), 'Reconciling modern machine-learning practice and the "
        "classical bias–variance trade-off'."],
    10: ["N. Srivastava et al. (2014), 'Dropout: a simple way to prevent neural networks from overfitting'.",
         "I. Loshchilov & F. Hutter (2019), 'Decoupled weight decay regularization', ICLR.",
         "L. Prechelt (1998), 'Early stopping — but when?'."],
    11: ["M. Raissi, P. Perdikaris & G. E. Karniadakis (2019), 'Physics-informed neural networks', J. Comput. Phys.",
         "R. Bischof & M. Kraus (2021), 'Multi-objective loss balancing for physics-informed deep learning' (ReLoBRaLo)."],
    12: ["J. Thaler & K. Van Tilburg (2011), 'Identifying boosted objects with N-subjettiness'.",
         "P. T. Komiske, E. M. Metodiev & J. Thaler (2019), 'Energy flow networks'.",
         "G. Kasieczka et al. (2019), 'The machine learning landscape of top taggers'.",
         "C. J. Clopper & E. S. Pearson (1934), 'The use of confidence or fiducial limits illustrated in the case "
         "of the binomial'."],
    13: ["Z. Li et al. (2021), 'Fourier neural operator for parametric partial differential equations', ICLR."],
    14: ["A. P. Bartók, R. Kondor & G. Csányi (2013), 'On representing chemical environments' (SOAP).",
         "J. Behler & M. Parrinello (2007), 'Generalized neural-network representation of high-dimensional "
         "potential-energy surfaces'."],
    15: ["O. Ronneberger, P. Fischer & T. Brox (2015), 'U-Net'.",
         "J. C. Caicedo et al. (2019), 'Nucleus segmentation across imaging experiments: the 2018 Data Science Bowl'.",
         "M. Maška et al. (2014), 'A benchmark for comparison of cell tracking algorithms' (TRA)."],
}

#: section number -> (exercise, answer) pairs; each runs as a snippet or a `physnn lecture --sections N` variant
EXERCISES: dict[int, list[tuple[str, str]]] = {
    1: [("Move the decision line 1 unit further from the origin without changing its direction.",
         "The line is w·x + b = 0 at distance −b/‖w‖: lower b by ‖w‖ (√5 for w = (1, 2))."),
        ("What does the bias do to the neuron's output far from the line?",
         "Nothing: far away the sigmoid is saturated at 0 or 1; the bias only moves where the change happens.")],
    2: [("Get the 2-2-1 net to solve XOR on every seed.",
         "Use more seeds' worth of luck or a better start: `MLP(2, [2], 1, activation='tanh', init='xavier')` with Adam "
         "lr 0.05 and 2000 epochs, over several seeds; count how many reach 4 of 4 and compare a 2-4-1 net."),
        ("Why does a single sigmoid layer's loss stop at ln 2 on XOR?",
         "The best line predicts p = ½ for all four points; the cross-entropy of p = ½ is ln 2.")],
    3: [("Derive σ′ ≤ 1/4.",
         "σ′ = σ(1 − σ); for a + b = 1 the product ab is largest at a = b = ½, so σ′ ≤ ¼, reached at z = 0."),
        ("Predict the first/last-layer gradient ratio of a 10-layer sigmoid net from σ′ ≤ ¼.",
         "Each layer multiplies by at most ¼ times the weight scale; Xavier keeps that near 1, so ≲ 4⁻¹⁰ ≈ 1e-6 — "
         "the order section 3 measures.")],
    4: [("Predict the divergence threshold after standardising x₂.",
         "η_max = 2/λ_max of the Hessian (2/N)XᵀX; standardising makes the features' scales equal, λ_max falls to "
         "to about 2 for unit-variance, uncorrelated features, so η_max rises towards 1 — check it with section 4's sweep."),
        ("Why does each mode of gradient descent on a quadratic evolve as (1 − ηλᵢ)ᵗ?",
         "With L = ½(w − w*)ᵀH(w − w*) the step is w − w* ← (I − ηH)(w − w*); in H's eigenbasis each component is "
         "multiplied by 1 − ηλᵢ per step, which diverges when |1 − ηλᵢ| > 1, i.e. η > 2/λᵢ.")],
    5: [("Break the backward pass another way and see the check fail.",
         "In `numpy_backward`, use Wᵀ in place of W for δ (transpose forgotten): the comparison with autograd "
         "reports O(1) relative errors."),
        ("Why does finite differences agree only to ~1e-9 while autograd agrees to ~1e-15?",
         "Central differences have truncation O(ε²) and rounding ~1e-16/ε; autograd does the same arithmetic "
         "as the δ recursion.")],
    6: [("Make the loss curve stop plateauing.", "Raise the learning rate or the epochs; a plateau at the noise "
         "level cannot be beaten: that is the irreducible error."),
        ("Print the loss every 10 epochs.", "`fit(..., callbacks=[PrintLogger(every=10)])`.")],
    7: [("Count SimpleNet's parameters by hand for 20 inputs.", "(20·64 + 64) + (64·32 + 32) + (32 + 1) = 3,457."),
        ("Show that the train–validation gap is not overfitting yet.",
         "Record the validation loss per epoch (`fit(..., val=...)`): overfitting is its rise while the training "
         "loss falls, which section 9 shows.")],
    8: [("Why does g^k have 2^k linear pieces?",
         "g maps [0, ½] and [½, 1] each onto [0, 1]; so g^k runs through g^(k−1) twice: pieces double per layer."),
        ("Perturb the hand-built deep net and retrain it (`perturbed_sawtooth_net(6, 0.01, 0)` then `fit_stack`).",
         "Small perturbations are already amplified 2^k-fold; see section 8's table for whether training returns.")],
    9: [("Write out the bias–variance decomposition.",
         "E[(f̂ − y)²] = (E f̂ − f)² + E[(f̂ − E f̂)²] + σ², the cross terms vanishing because the noise has mean "
         "zero and is independent of f̂."),
        ("Shrink the U: what happens with 150 training points instead of 15?",
         "`physnn.data.polynomial(n=600, ...)`: expect the wide nets' variance to fall — measure it with `bias_variance`.")],
    10: [("Make weight decay pass with Adam.",
          "Use `optimizer='adamw'` (decoupled decay), sweep λ on validation data and score on a test set, as section 10 "
          "does with SGD; with Adam's coupled L2 the penalty is rescaled per parameter, so the λ that works differs."),
         ("Show that weight_decay=λ is the penalty (λ/2)‖w‖².",
          "∇(λ/2)‖w‖² = λw, exactly the term SGD adds; `l2_equals_weight_decay(λ)` takes one step each way.")],
    11: [("Set λ = 0 for the PDE term and add the boundary back: what changes?",
          "Without the residual the network only fits the data points; with the boundary term but no PDE it can "
          "still be anything in between."),
         ("Halve the observations.", "Set `N_OBS = 4` in `physnn.lecture.pinn` and call `data_and_physics(False, 0)`: "
          "compare the errors at λ = 0 and λ > 0 with those for 8 observations.")],
    12: [("How many QCD jets must pass before a rejection is quoted?",
          "At least 10 here; with k passing of n, the Clopper–Pearson interval of k/n gives the rejection's."),
         ("Train on 4,000 jets per class (`generate_jets(..., n=4000)`) and compare the PFN with the cut.",
          "Expect the gap to shrink as the training set grows: measure the AUCs at both sizes.")],
    13: [("Evaluate the FNO at s = 512.", "`resolution_errors(fno.model, data, [512], n_test=100)` with a 1024-point "
          "data set, and compare with the errors at s = 128 and 256."),
         ("Why is the heat equation a weak baseline at ν = 0.01?", "It drops u u_x, the term that steepens the fronts.")],
    14: [("Fit the pair model with the first shell only.", "Refit a ridge on the first column of "
          "`unlike_pair_fractions` and compare its MAE with the three-shell model's."),
         ("Why can the regular-solution model only predict the mean at fixed composition?",
          "Its features (xᵢ, xᵢxⱼ) are the same for every Cu16Au16 structure.")],
    15: [("Count the ConvNet's parameters for 256² images.", "The same as for 32²: filters are shared."),
         ("Is AP here COCO's AP?", "No: TP/(TP+FP+FN) at one IoU threshold, the Data Science Bowl convention.")],
}

GLOSSARY: dict[str, str] = {
    "τ₃₂": "N-subjettiness ratio τ₃/τ₂: small for three-prong jets (top quarks), near 1 for QCD jets.",
    "KS test": "Kolmogorov–Smirnov test: are two samples from one distribution? Used on the classifier output for "
               "training vs test jets to detect overtraining.",
    "Clopper–Pearson": "The exact binomial confidence interval of a fraction k/n, from beta-distribution quantiles.",
    "SOAP": "Smooth overlap of atomic positions: a descriptor of each atom's neighbourhood by species and shell.",
    "TRA": "The Cell Tracking Challenge's tracking accuracy: 1 − (cost of fixing the tracks) / (cost of building "
           "them from nothing).",
    "AP": "Here TP/(TP+FP+FN) at one IoU threshold (Data Science Bowl); COCO's AP averages precision over recall "
          "and IoU thresholds.",
    "FNO": "Fourier neural operator: layers that multiply the lowest Fourier modes of a field by learned weights.",
    "PINN": "Physics-informed neural network: a network whose loss includes the residual of a differential equation.",
    "He / Xavier initialisation": "Weight variance 2/fan_in (ReLU) or 2/(fan_in + fan_out) (tanh, sigmoid), chosen "
                                  "so the signal keeps its size through the layers.",
}


def notes_markdown(number: int) -> str:
    """References and exercises (answers inline) of section ``number`` as markdown; "" if it has none."""
    parts = []
    if EXERCISES.get(number):
        parts += ["**Exercises**", ""]
        parts += [f"{i}. {q} — *Answer:* {a}" for i, (q, a) in enumerate(EXERCISES[number], 1)]
        parts += [""]
    if REFERENCES.get(number):
        parts += ["**References**", ""] + [f"- {r}" for r in REFERENCES[number]] + [""]
    return "\n".join(parts)


def exercises_html(number: int) -> str:
    """The exercises of section ``number`` as HTML, each answer folded in a ``<details>``; references below."""
    out = []
    if EXERCISES.get(number):
        out.append("<p><strong>Exercises</strong></p><ol>")
        for q, a in EXERCISES[number]:
            out.append(f"<li>{html.escape(q)}<details><summary>Answer</summary>{html.escape(a)}</details></li>")
        out.append("</ol>")
    if REFERENCES.get(number):
        out.append("<p><strong>References</strong></p><ul>"
                   + "".join(f"<li>{html.escape(r)}</li>" for r in REFERENCES[number]) + "</ul>")
    return "".join(out)


def glossary_markdown() -> str:
    """The glossary as a markdown table."""
    return "| term | meaning |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in GLOSSARY.items())
