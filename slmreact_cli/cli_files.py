"""The commands about model files: `models` (the profiles, and with --path where their files
are), `models rm NAME` and `cache` / `cache clear`. What is cached and where is cache.py's job."""
from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from . import completion

models_app = typer.Typer(rich_markup_mode=None)
cache_app = typer.Typer(rich_markup_mode=None)
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Remove without asking first.")]


@models_app.callback(invoke_without_command=True)
def list_models(
    ctx: typer.Context,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    path: Annotated[bool, typer.Option("--path", help="Show where each model and its cached files are, and where "
                                                      "the config file, cache, log and history are.")] = False,
) -> None:
    """List the model profiles: which are installed or available, their size, and the default."""
    if ctx.invoked_subcommand is not None:
        return
    if path:
        _show_paths(json_out)
        return
    from .render_tables import model_rows, models_table

    rows = model_rows()
    if json_out:
        print(json.dumps(rows, indent=2))
        return
    Console().print(models_table(rows))


def _show_paths(json_out: bool) -> None:
    from .cache import items_for, locations, model_file
    from .config import load_profiles

    places = locations()
    models = [{"name": name, "model": model_file(profile), "cached": [item.as_dict() for item in items_for(profile)]}
              for name, profile in load_profiles().items()]
    if json_out:
        print(json.dumps({"files": places, "models": models}, indent=2, ensure_ascii=False))
        return
    from .render_tables import paths_table

    Console().print(paths_table(places, models))


@models_app.command("rm")
def remove_model(
    name: Annotated[str, typer.Argument(help="The profile (or .gguf file) whose cached files to remove.",
                                        autocompletion=completion.profiles)],
    yes: YesOpt = False,
) -> None:
    """Remove a model's files from the cache: the assembled model, converted weights, prompt states,
    chat templates and stale partial files. Your own model files and installed packages stay."""
    from .cache import items_for
    from .config import resolve_model

    profile = resolve_model(name)
    _remove_cached(items_for(profile), f"cached files of {profile.name}", yes)


@cache_app.callback(invoke_without_command=True)
def show_cache(ctx: typer.Context,
               json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List what the cache folder holds: assembled models, converted weights, prompt states, chat
    templates and partial files left by a stopped start."""
    if ctx.invoked_subcommand is not None:
        return
    from .cache import all_items
    from .paths import cache_dir

    items = all_items()
    if json_out:
        print(json.dumps({"cache": str(cache_dir()), "items": [item.as_dict() for item in items],
                          "size_bytes": sum(item.size for item in items)}, indent=2, ensure_ascii=False))
        return
    from .render_tables import cached_items_table

    Console().print(cached_items_table(items, f"Cache: {cache_dir()}"))


@cache_app.command("clear")
def clear_cache(yes: YesOpt = False) -> None:
    """Remove everything slmreact keeps in the cache folder. Assembled models are made again from
    their installed parts, and the rest as it is needed, on the next start."""
    from .cache import all_items

    _remove_cached(all_items(), "cached files", yes)


def _remove_cached(items, what: str, yes: bool) -> None:
    """List the items, ask (unless --yes), remove them. Exit 1 when declined or when one could not
    be removed."""
    from .cache import remove
    from .paths import cache_dir
    from .render_tables import cached_items_table, size_text

    console = Console()
    if not items:
        console.print(f"nothing to remove: no {what} in {cache_dir()}", markup=False, highlight=False)
        return
    size = size_text(sum(item.size for item in items))
    console.print(cached_items_table(items, f"{what.capitalize()}: {len(items)} item(s), {size}"))
    if not yes:
        try:
            confirmed = typer.confirm(f"Remove these {len(items)} item(s)?", default=False)
        except typer.Abort:  # no input to read the answer from
            confirmed = False
        if not confirmed:
            console.print("nothing removed", markup=False)
            raise typer.Exit(1)
    problems = remove(items)
    for problem in problems:
        Console(stderr=True).print(f"error: {problem}", markup=False, highlight=False, soft_wrap=True)
    console.print(f"removed {len(items) - len(problems)} of {len(items)} item(s)", markup=False, highlight=False)
    raise typer.Exit(1 if problems else 0)
