"""``physnn tune CONFIG.toml --trials N``: hyper-parameter search with Optuna (see :mod:`physnn.tune`)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from physnn.cli._typer import writes

__all__ = ["tune", "register"]


@writes(out="dir")
def tune(
    config: str = typer.Argument(..., help="Experiment TOML file with a [tune] section (search space and metric)."),
    trials: int = typer.Option(..., "--trials", "-n", help="Finished (complete or pruned) trials the study should "
                               "have; trials it already has count, so re-running resumes it."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Tuning folder (default runs/<name>-tune): "
                                       "trials/, trials.csv, best (link to the best run), figures/."),
    timeout: Optional[float] = typer.Option(None, "--timeout", help="Start no new trial after this many seconds."),
    storage: Optional[str] = typer.Option(None, "--storage", help="Study database, any SQLAlchemy URL Optuna "
                                          "accepts (default sqlite:///OUT/study.db)."),
    jobs: int = typer.Option(1, "--jobs", "-j", help="Processes running trials of the study at once."),
    study_name: Optional[str] = typer.Option(None, "--study-name", help="Study name in the database "
                                             "(default: the experiment's name)."),
    figures: bool = typer.Option(True, "--figures/--no-figures", help="Write Optuna's optimization-history and "
                                 "parameter-importance figures."),
) -> None:
    """Tune an experiment's hyper-parameters with Optuna; each trial is a normal physnn run.

    Trials are pruned during training (median pruner by default); the study lives in a
    database, so several processes (--jobs, or several commands on one --storage) share it
    and an interrupted study resumes where it stopped.
    """
    from physnn.config import load_config
    from physnn.tune import tune as run_tune

    cfg = load_config(config)
    target = out if out is not None else Path("runs") / f"{cfg.name}-tune"

    def line(text: str) -> None:
        typer.echo(text)

    res = run_tune(cfg, target, n_trials=trials, timeout=timeout, storage=storage, study_name=study_name,
                   jobs=jobs, figures=figures, on_trial=line)
    c = res.counts
    typer.echo(f"Study {res.study.study_name!r}: {c['complete']} complete, {c['pruned']} pruned"
               + (f", {c['fail']} failed" if c["fail"] else "") + f" trials in {target}/trials.csv")
    if res.best_run is not None:
        params = ", ".join(f"{k} = {v:.4g}" if isinstance(v, float) else f"{k} = {v}"
                           for k, v in res.best_params.items())
        typer.echo(f"Best: {res.study.user_attrs.get('physnn', {}).get('metric')} = {res.best_value:.6g} ({params})")
        typer.echo(f"Best run: {res.best_run} (also {target / 'best'})")
    else:
        typer.echo("No trial completed (all pruned or failed); run more trials or loosen the pruner.")


def register(app: typer.Typer) -> None:
    """Add ``physnn tune`` to the top-level app."""
    app.command("tune", epilog=(
        "Examples:\n\n"
        "  physnn tune tune_moons --trials 20                 # a built-in example\n\n"
        "  physnn tune my.toml --trials 50 --jobs 2 --out runs/search\n\n"
        "  physnn tune my.toml --trials 50 --storage sqlite:///study.db   # again later: resumes\n\n"
        "  physnn predict runs/search/best data.csv --out pred.csv"))(tune)
