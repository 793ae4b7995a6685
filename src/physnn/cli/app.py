"""The ``physnn`` command line: thin commands over the library.

The error contract of every command: bad input never shows a traceback.  A
:class:`~physnn.errors.PhysnnError`, a usage error or an operating-system error
(missing file, no permission, disk full) prints one line
``physnn: error: ...`` to stderr and exits with 2; a failed command leaves
nothing where ``--out`` pointed.  Anything else is a bug of physnn: one line
``physnn: internal error: ...`` and exit code 1 (``PHYSNN_DEBUG=1`` shows the
traceback).  Heavy modules (torch, matplotlib) are imported inside the commands
so that ``physnn --help`` answers at once.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any, Optional

import typer

from physnn.cli._typer import is_secondary_rank, writes
from physnn.errors import PhysnnError

app = typer.Typer(
    name="physnn",
    help=(
        "Deep learning for physicists, on PyTorch — the lecture 'Introduction to Neural "
        "Networks and Deep Learning', runnable.\n\n"
        "Start with:  physnn train simplenet   (the lecture's SimpleNet on its built-in task)\n\n"
        "Then:  physnn examples  ·  physnn summary 10-64-32-1  ·  physnn predict RUN DATA --out FILE"
    ),
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.command(
    epilog=(
        "Examples:\n\n"
        "  physnn train simplenet                 # a built-in example (see 'physnn examples')\n\n"
        "  physnn train my.toml --out runs/try1   # your own experiment file\n\n"
        "  physnn train my.toml --out runs/try1 --resume   # continue an interrupted run"
    )
)
@writes(out="dir")
def train(
    config: str = typer.Argument(..., help="Experiment TOML file, or the name of a built-in example."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Run directory (default runs/<name>; never overwritten)."),
    resume: bool = typer.Option(False, "--resume", help="Continue from OUT/checkpoint.pt with the same result as an uninterrupted run."),
    epochs: Optional[int] = typer.Option(None, "--epochs", help="Override [train] epochs."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Override the seed."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No per-epoch lines and no progress bar."),
    log: Optional[str] = typer.Option(
        None, "--log", help="Also log the run to 'tensorboard' (OUT/tensorboard) or 'mlflow' (OUT/mlflow.db, "
        "or --log-uri): scalars per epoch, hyper-parameters with the final metrics, figures."),
    log_uri: Optional[str] = typer.Option(
        None, "--log-uri", help="MLflow tracking URI for --log mlflow (e.g. http://host:5000 or sqlite:///mlflow.db)."),
) -> None:
    """Train a model from an experiment file and write a run directory.

    The run directory holds config.toml (fully resolved), model.safetensors,
    state.json, history.csv, metrics.json, checkpoint.pt and figures/.
    """
    from physnn.config import load_config, parse_config

    cfg = load_config(config)
    if epochs is not None or seed is not None:
        data = cfg.model_dump()
        if epochs is not None:
            data["train"]["epochs"] = epochs
        if seed is not None:
            data["seed"] = seed
        cfg = parse_config(data, origin="command line")
    if resume and out is None:
        out = Path("runs") / cfg.name
    from physnn.runs import train_run

    logger = None
    if log is not None or log_uri is not None:  # experiment logging (physnn.train.loggers)
        from physnn.train.loggers import logger_for_run

        out, logger = logger_for_run(cfg, out, log, uri=log_uri, resume=resume)
    try:
        run = train_run(cfg, out, resume=resume, progress=False if quiet else None, quiet=quiet,
                        callbacks=[logger] if logger is not None else ())
        if logger is not None:
            logger.finish(dict(run.history.final), run.directory / "figures")
    except Exception:
        if logger is not None:
            logger.fail()
        raise
    h = run.history
    finals = ", ".join(f"{k} = {v:.4g}" for k, v in h.final.items() if k.startswith(("val_", "test_")))
    if quiet or h.stop_reason.value != "completed":
        typer.echo(h.message)
    if finals:
        typer.echo(finals)
    typer.echo(f"Run written to {run.directory}")


@app.command(
    epilog=(
        "Examples:\n\n"
        "  physnn lecture                         # every section -> runs/lecture/report.html\n\n"
        "  physnn lecture --sections 2,5,9        # the perceptron, backprop and overfitting\n\n"
        "  physnn lecture --quick --out /tmp/lec  # small sizes, about a minute"
    )
)
@writes(out="dir")
def lecture(
    out: Path = typer.Option(Path("runs/lecture"), "--out", "-o", help="Report directory (report.html, report.md, results.json, figures/)."),
    sections: str = typer.Option("all", "--sections", "-s", help="Section numbers and ranges, e.g. 2,5,9 or 1-4 (default all)."),
    quick: bool = typer.Option(False, "--quick", help="Small sizes: the whole report in about a minute."),
    seed: int = typer.Option(0, "--seed", help="Seed for every experiment (same seed, same numbers)."),
    workers: Optional[int] = typer.Option(
        None, "--workers", help="Processes for sections and simulations (default 2 on a multi-core machine; "
        "1: one after another in this process). The numbers do not depend on it."),
) -> None:
    """Run the lecture's sections and write a report with every claim measured.

    Each section states a claim of the lecture, runs the experiment with
    physnn, and records the measured figure of merit next to the claim as PASS
    or FAIL. The report is one self-contained HTML file plus Markdown.
    """
    from physnn.errors import check_int
    from physnn.lecture.report import count_checks, parse_sections, run_lecture

    check_int("seed", seed, low=0, owner="lecture")
    nums = parse_sections(sections)

    def progress(i: int, n: int, res) -> None:
        counts = count_checks([res])
        parts = [f"{p}/{t} lecture claims confirmed" if k == "lecture" else f"{p}/{t} self-checks passed"
                 for k, (p, t) in counts.items() if t]
        verdict = ", ".join(parts) if parts else "no claims (not yet implemented)"
        typer.echo(f"[{i}/{n}] {res.number}. {res.title}: {verdict} ({res.seconds:.1f} s)")

    typer.echo(f"Running {len(nums)} section(s){' in quick mode' if quick else ''}, seed {seed} ...")
    def note(line: str) -> None:
        typer.echo(f"      {line}")

    results, paths = run_lecture(out, sections=nums, quick=quick, seed=seed, on_section=progress,
                                 on_progress=note, workers=workers)
    counts = count_checks(results)
    (lp, lt), (sp, st) = counts["lecture"], counts["self-check"]
    typer.echo(f"The lecture's claims: {lp} of {lt} confirmed by measurement; physnn's self-checks: {sp} of {st} pass.")
    for r in results:
        for c in r.checks:
            if not c.passed:
                what = ("this experiment does not confirm" if c.kind == "lecture" else "physnn's self-check failed:")
                typer.echo(f"  FAIL §{r.number}: {what} {c.claim!r} (expected {c.expected}, measured {c.measured})")
    typer.echo(f"Report: {paths['html']}  (Markdown: {paths['markdown']})")


@app.command(
    epilog=(
        "Examples:\n\n"
        "  physnn pinn burgers                       # Burgers' equation vs its exact solution\n\n"
        "  physnn pinn inverse --seed 1              # identify a diffusion coefficient from noisy data\n\n"
        "  physnn pinn kovasznay --float64 --out runs/kov\n\n"
        "  physnn predict runs/pinn-burgers points.csv --out u.csv   # columns x, t -> u"
    )
)
@writes(out="run")
def pinn(
    problem: str = typer.Argument(..., help="poisson, heat, burgers, kovasznay or inverse."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Run directory (default runs/pinn-<problem>; never overwritten)."),
    seed: int = typer.Option(0, "--seed", help="Seed for weights and collocation points."),
    quick: bool = typer.Option(False, "--quick", help="Small sizes (seconds): a smoke run, not the accuracy goal."),
    float64: bool = typer.Option(False, "--float64", help="Train in double precision."),
    adam_steps: Optional[int] = typer.Option(None, "--adam-steps", help="Override the preset's Adam steps."),
    lbfgs_steps: Optional[int] = typer.Option(None, "--lbfgs-steps", help="Override the preset's quasi-Newton iterations (L-BFGS or BFGS)."),
    lbfgs_history: Optional[int] = typer.Option(
        None, "--lbfgs-history", help="L-BFGS memory: curvature pairs kept (default: the preset's; 50 where it sets none)."),
    quasi_newton: Optional[str] = typer.Option(
        None, "--quasi-newton", help="Second-stage method: lbfgs, bfgs (dense inverse Hessian) or ssbfgs "
        "(self-scaled BFGS, float64 inverse Hessian; best for networks up to a few thousand weights). "
        "Default: the preset's (ssbfgs for burgers and kovasznay)."),
    causal: Optional[float] = typer.Option(
        None, "--causal", help="Causal weighting over time slices with this epsilon (time-dependent problems; "
        "Wang et al. 2022): later times count once earlier ones are solved."),
    log_every: Optional[int] = typer.Option(None, "--log-every", help="Print the loss every N logged epochs."),
    device: str = typer.Option("cpu", "--device", help="Where both stages train: cpu, cuda, cuda:N or auto (a GPU when there is one)."),
) -> None:
    """Solve a built-in PDE with a physics-informed network and write a run.

    The loss is the lecture's L = L_data + λ‖N(u_θ)‖²: the PDE residual at
    collocation points plus boundary, initial and data terms. Training is Adam,
    then a quasi-Newton method (L-BFGS, or dense self-scaled BFGS where the
    preset says so; strong-Wolfe line search), both through physnn's one
    training loop. metrics.json holds the relative L2 error against the exact solution.
    """
    import torch

    from physnn.errors import check_int
    from physnn.pinn.runs import run_problem

    check_int("seed", seed, low=0, owner="pinn")
    from physnn.train.loop import resolve_device

    resolve_device(device, owner="pinn")
    if lbfgs_history is not None:
        check_int("--lbfgs-history", lbfgs_history, low=1, owner="pinn")
    target = out if out is not None else Path("runs") / f"pinn-{problem.strip().lower()}"
    sol, directory = run_problem(problem, target, seed=seed, quick=quick,
                                 dtype=torch.float64 if float64 else torch.float32, log_every=log_every,
                                 adam_steps=adam_steps, lbfgs_steps=lbfgs_steps, lbfgs_history=lbfgs_history,
                                 causal=causal, quasi_newton=quasi_newton, device=device)
    for line in sol.messages:
        typer.echo(line)
    errs = ", ".join(f"{k} = {v:.3e}" for k, v in sol.errors.items())
    coefs = ", ".join(f"{k} = {v:.6g}" for k, v in sol.coefficients.items()
                      if k in sol.objective.problem.trainable)
    typer.echo(errs + (f"; identified {coefs}" if coefs else ""))
    typer.echo(f"time: {sum(sol.seconds.values()):.1f} s; run written to {directory}")


@app.command(
    epilog=(
        "Examples:\n\n"
        "  physnn summary 10-64-32-1            # an MLP spec\n\n"
        "  physnn summary simplenet             # the lecture's SimpleNet (2,817 parameters)\n\n"
        "  physnn summary my.toml               # the model an experiment file builds"
    )
)
def summary(
    spec: str = typer.Argument(..., help="An MLP spec like 10-64-32-1, 'simplenet', or an experiment TOML file."),
    activation: str = typer.Option("relu", "--activation", "-a", help="Activation for an MLP spec."),
) -> None:
    """Print a model's layers, output shapes and parameter counts."""
    from physnn.nn import MLP, SimpleNet
    from physnn.nn import summary as model_summary

    if spec.lower() == "simplenet":
        model, n_in = SimpleNet(), 10
    elif spec.endswith(".toml") or Path(spec).exists():
        from physnn.config import load_config
        from physnn.runs import build_experiment_model, load_data_for

        cfg = load_config(spec)
        data = load_data_for(cfg)
        n_out = data.n_classes if cfg.train.loss == "cross_entropy" else max(data.n_targets, 1)
        model, n_in = build_experiment_model(cfg, data.n_features, n_out), data.n_features
    else:
        model = MLP.from_spec(spec, activation=activation)
        n_in = model.n_in
    typer.echo(str(model_summary(model, (n_in,))))


@app.command()
def examples() -> None:
    """List the built-in example experiments ('physnn train NAME' runs one)."""
    from physnn.config import builtin_examples

    for name, path in builtin_examples().items():
        first = next((ln.lstrip("# ").strip() for ln in path.read_text().splitlines() if ln.startswith("#")), "")
        typer.echo(f"{name:12s} {first}")


@app.command(epilog="Example:\n\n  physnn toy moons --n 1000 --out moons.csv")
@writes(out="file")
def toy(
    name: str = typer.Argument(..., help="xor, and, or, circles, moons, spirals, gaussians, polynomial, simplenet"),
    out: Path = typer.Option(..., "--out", "-o", help="Output file (.csv, .npz, .parquet, .h5, .root)."),
    n: Optional[int] = typer.Option(None, "--n", help="Number of samples (default: the data set's own)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Random seed (default 0)."),
) -> None:
    """Write a built-in toy data set to a file (to try 'physnn predict' or your own tools).

    'and' and 'or' are the fixed four-row truth tables: they take no --n or --seed.
    """
    import inspect

    from physnn.data import load_toy, write_data
    from physnn.data.toy import TOY_DATASETS
    from physnn.errors import check_choice

    key = check_choice("data set", name.strip().lower(), sorted(TOY_DATASETS), owner="toy")
    accepted = inspect.signature(TOY_DATASETS[key]).parameters
    kw = {}
    for flag, value in (("n", n), ("seed", seed)):
        if value is None:
            continue
        if flag not in accepted:
            raise PhysnnError(f"toy: {key!r} is a fixed table of {load_toy(key).n_samples} rows and takes no "
                              f"--{flag}; drop --{flag} (or pick a generated set such as xor or moons).")
        kw[flag] = value
    if "seed" in accepted and "seed" not in kw:
        kw["seed"] = 0
    data = load_toy(key, **kw)
    write_data(data, out)
    typer.echo(f"Wrote {data.n_samples} rows ({', '.join(data.feature_names + data.target_names)}) to {out}")


# the applications: each a sub-app in its own module (heavy imports stay inside the commands)
from physnn.cli import cells as cells_cli  # noqa: E402
from physnn.cli import fluids as fluids_cli  # noqa: E402
from physnn.cli import hep as hep_cli  # noqa: E402
from physnn.cli import materials as materials_cli  # noqa: E402

from physnn.cli import runs as runs_cli  # noqa: E402
from physnn.cli import playground as playground_cli  # noqa: E402
from physnn.cli import tune as tune_cli  # noqa: E402

runs_cli.register(app)
playground_cli.register(app)
tune_cli.register(app)
app.add_typer(hep_cli.app, name="hep")
app.add_typer(cells_cli.app, name="cells")
app.add_typer(fluids_cli.app, name="fluids")
app.add_typer(materials_cli.app, name="materials")


def _cli_exceptions() -> tuple[type[BaseException], ...]:
    """The exception bases of the command-line parser, from public names only.

    typer >= 0.2x ships its own click, whose ``ClickException`` (usage errors
    included) derives from the public ``typer.TyperException``; older typers are
    built on the ``click`` package, whose ``click.ClickException`` is public.
    """
    bases: list[type[BaseException]] = []
    base = getattr(typer, "TyperException", None)
    if isinstance(base, type):
        bases.append(base)
    try:
        import click
    except ImportError:
        pass
    else:
        bases.append(click.ClickException)
    return tuple(bases)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _report_cli_exception(exc: BaseException) -> int:
    """A parser error (unknown option, missing argument, bad value) as one line; exit code 2."""
    if type(exc).__name__ == "NoArgsIsHelpError":  # a bare group: its help, as 'physnn' alone shows it
        print(exc.format_message())
        return 0
    msg = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    ctx = getattr(exc, "ctx", None)
    hint = f" (see '{ctx.command_path} --help')" if ctx is not None and getattr(ctx, "command_path", None) else ""
    print(f"physnn: error: {_one_line(msg)}{hint}", file=sys.stderr)
    return 2


def command_table() -> dict[str, Any]:
    """Every leaf command of ``physnn`` by its path, e.g. ``"train"``, ``"hep generate"`` → the click command.

    The test suites walk this table, so a command added later is covered without anyone remembering to.

        >>> "hep generate" in command_table() and "train" in command_table()
        True
    """

    def leaves(cmd: Any, path: tuple[str, ...]) -> dict[str, Any]:
        subs = getattr(cmd, "commands", None)
        if not subs:
            return {" ".join(path): cmd}
        out: dict[str, Any] = {}
        for name, sub in subs.items():
            out.update(leaves(sub, path + (name,)))
        return out

    return leaves(typer.main.get_command(app), ())


#: import name -> distribution, where they differ (for the missing-dependency message)
_DISTRIBUTION_OF = {"pythia8": "pythia8mc", "skimage": "scikit-image", "sklearn": "scikit-learn",
                    "ctc_metrics": "py-ctcmetrics", "yaml": "PyYAML"}


def missing_dependency_message(module: str | None) -> str:
    """What to install when ``module`` is missing: the physnn extras that bring it, from physnn's own metadata.

        >>> missing_dependency_message("fastjet")
        "this needs the package 'fastjet', which is not installed: pip install 'physnn[hep]' (or bash scripts/demo.sh, which installs every engine the lecture uses)"
    """
    import importlib.metadata as md
    import re

    top = (module or "").split(".")[0]
    dist = _DISTRIBUTION_OF.get(top, top)
    extras = []
    try:
        for req in md.metadata("physnn").get_all("Requires-Dist") or []:
            name = re.split(r"[\s\[<>=!~;]", req, maxsplit=1)[0]
            m = re.search(r"extra\s*==\s*['\"]([\w-]+)['\"]", req)
            if m and re.sub(r"[-_.]+", "-", name).lower() == re.sub(r"[-_.]+", "-", dist).lower():
                extras.append(m.group(1))
    except md.PackageNotFoundError:  # pragma: no cover - running from a source tree
        pass
    named = [e for e in ("hep", "materials", "cells", "cells-data", "io", "bench") if e in extras] or extras
    fix = f"pip install 'physnn[{named[0]}]'" if named else f"pip install {dist}"
    return (f"this needs the package {dist!r}, which is not installed: {fix} "
            "(or bash scripts/demo.sh, which installs every engine the lecture uses)")


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app; bad input → one line on stderr and exit code 2.

    Parameters
    ----------
    argv : list of str, optional
        The arguments after ``physnn`` (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success; 2 for bad input (:class:`~physnn.errors.PhysnnError`, a
        usage error, an ``OSError`` such as a missing file, an optional package
        that is not installed); 1 for an internal
        error (re-raised with its traceback when ``PHYSNN_DEBUG=1``); 130 when
        interrupted.
    """
    command = typer.main.get_command(app)
    if is_secondary_rank():  # under torchrun, rank 0 speaks for the job; the others report only errors
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the life of the process
    try:
        rv = command.main(args=argv, prog_name="physnn", standalone_mode=False)
        return int(rv) if isinstance(rv, int) else 0
    except PhysnnError as exc:
        print(f"physnn: error: {exc}", file=sys.stderr)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        print("physnn: aborted", file=sys.stderr)
        return 130
    except _cli_exceptions() as exc:
        return _report_cli_exception(exc)
    except ModuleNotFoundError as exc:  # an optional engine (Pythia, ASE, ...) that is not installed
        name = exc.name or (re.findall(r"No module named '([\w.]+)'", str(exc)) or [None])[0]
        print(f"physnn: error: {missing_dependency_message(name)}", file=sys.stderr)
    except OSError as exc:
        what = exc.strerror or str(exc)
        where = f": {exc.filename!r}" if exc.filename else ""
        print(f"physnn: error: {_one_line(what)}{where}", file=sys.stderr)
    except Exception as exc:
        if os.environ.get("PHYSNN_DEBUG", "").strip() not in ("", "0"):
            raise
        print(f"physnn: internal error: {type(exc).__name__}: {_one_line(str(exc))[:500]} "
              "(set PHYSNN_DEBUG=1 for the traceback; please report it)", file=sys.stderr)
        return 1
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
