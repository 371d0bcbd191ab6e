"""`models --path`, `models rm NAME`, `cache` and `cache clear`, on a cache folder of the test's own
(never the real one): what belongs to which model, what is removed, and what never is."""
import json
import os
import subprocess
import sys

import pytest

from cli_scripted import invoke

SMALL_GGUF = "qwen2.5-coder-0.5b-instruct-q4_k_m"
LARGE_GGUF = "qwen2.5-coder-1.5b-instruct-q4_k_m"


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def write(path, size=1):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    return path


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A cache folder with both embedded models' files, partial files of a dead and of a running
    process, a file slmreact did not write, and a user profile whose GGUF lives outside the cache."""
    monkeypatch.setenv("SLMREACT_HOME", str(tmp_path / "home"))
    root = tmp_path / "cache"
    monkeypatch.setenv("SLMREACT_CACHE_DIR", str(root))
    gone, running = dead_pid(), os.getpid()
    files = {
        "small model": write(root / "models" / f"{SMALL_GGUF}.gguf", 1000),
        "small stamp": write(root / "models" / f"{SMALL_GGUF}.gguf.verified"),
        "small stale partial": write(root / "models" / f".{SMALL_GGUF}.gguf.{gone}.partial", 10),
        "small live partial": write(root / "models" / f".{SMALL_GGUF}.gguf.{running}.partial", 10),
        "small converted": write(root / "converted" / f"{SMALL_GGUF}-1d9614638d18024d-float32-v1" / "model.bin", 500),
        "small converted partial": write(
            root / "converted" / f".{SMALL_GGUF}-1d9614638d18024d-float32-v1.{gone}.partial" / "model.bin"),
        "small states": write(root / "prompt-states" / SMALL_GGUF / "0123.npz", 50),
        "small template": write(root / "templates" / f"{SMALL_GGUF}-d0ae075569b26cbc.jinja"),
        "large model": write(root / "models" / f"{LARGE_GGUF}.gguf", 2000),
        "large states": write(root / "prompt-states" / LARGE_GGUF / "4567.npz"),
        "mine converted": write(root / "converted" / "mine-0123456789abcdef-float32-v1" / "model.bin"),
        "mine states": write(root / "prompt-states" / "mine" / "89ab.npz"),
        "hashes": write(root / "hashes.json"),
        "not ours": write(root / "notes.txt"),
        "user model": write(tmp_path / "models" / "mine.gguf"),
    }
    config = write(tmp_path / "home" / "config" / "config.toml")
    config.write_text(f'[profiles.mine]\nsource = "{tmp_path / "models"}"\ngguf_file = "mine.gguf"\n')
    return files


def existing(files):
    return {name for name, path in files.items() if path.exists()}


def test_models_still_lists_the_profiles(cache):
    rows = json.loads(invoke("models", "--json").stdout)
    assert {"qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b", "mine"} <= {r["name"] for r in rows}


def test_models_path_says_where_each_model_and_its_cache_live(cache, tmp_path):
    out = json.loads(invoke("models", "--path", "--json").stdout)
    assert out["files"]["cache"] == str(tmp_path / "cache")
    assert out["files"]["config file"] == str(tmp_path / "home" / "config" / "config.toml")
    assert out["files"]["transcript log"].startswith(str(tmp_path / "home"))
    models = {m["name"]: m for m in out["models"]}
    small = models["qwen2.5-coder-0.5b"]
    assert small["model"] == str(cache["small model"])
    cached = {(c["kind"], c["path"]) for c in small["cached"]}
    assert cached == {("assembled model", str(cache["small model"])), ("assembled model", str(cache["small stamp"])),
                      ("partial file", str(cache["small stale partial"])),
                      ("converted weights", str(cache["small converted"].parent)),
                      ("partial file", str(cache["small converted partial"].parent)),
                      ("prompt states", str(cache["small states"].parent)),
                      ("chat template", str(cache["small template"]))}
    assert models["mine"]["model"] == str(cache["user model"])
    assert {c["kind"] for c in models["mine"]["cached"]} == {"converted weights", "prompt states"}
    assert models["vllm-qwen2.5-1.5b-fc"]["model"].startswith("http") and models["vllm-qwen2.5-1.5b-fc"]["cached"] == []
    assert "models--Qwen--Qwen2.5-7B-Instruct" in models["qwen2.5-7b-instruct"]["model"]

    table = invoke("models", "--path").stdout
    assert "qwen2.5-coder-0.5b" in table and "prompt states" in table


def test_models_rm_asks_first_and_declining_removes_nothing(cache):
    before = existing(cache)
    result = invoke("models", "rm", "qwen2.5-coder-0.5b", input="n\n")
    assert result.exit_code == 1 and "nothing removed" in result.stdout
    assert "Remove these 7 item(s)?" in result.stdout
    assert existing(cache) == before
    assert invoke("models", "rm", "qwen2.5-coder-0.5b").exit_code == 1  # no answer to read: nothing removed
    assert existing(cache) == before


def test_models_rm_removes_only_that_models_derived_files(cache):
    result = invoke("models", "rm", "qwen2.5-coder-0.5b", input="y\n")
    assert result.exit_code == 0, result.output
    assert "removed 7 of 7 item(s)" in result.stdout
    assert existing(cache) == {"small live partial", "large model", "large states", "mine converted", "mine states",
                               "hashes", "not ours", "user model"}
    again = invoke("models", "rm", "qwen2.5-coder-0.5b")
    assert again.exit_code == 0 and "nothing to remove" in again.stdout


def test_models_rm_of_a_users_gguf_keeps_the_file_itself(cache):
    result = invoke("models", "rm", "mine", "--yes")
    assert result.exit_code == 0, result.output
    assert not cache["mine converted"].exists() and not cache["mine states"].exists()
    assert cache["user model"].exists() and cache["small model"].exists()


def test_models_rm_of_an_unknown_name_is_one_line(cache, monkeypatch, capsys):
    from slmreact_cli.cli import main

    monkeypatch.setattr(sys, "argv", ["slmreact", "models", "rm", "nonesuch"])
    with pytest.raises(SystemExit) as stop:
        main()
    err = capsys.readouterr().err.strip()
    assert stop.value.code == 2 and len(err.splitlines()) == 1 and "unknown model 'nonesuch'" in err


def test_cache_lists_everything_but_live_partial_files(cache):
    out = json.loads(invoke("cache", "--json").stdout)
    paths = {item["path"] for item in out["items"]}
    assert str(cache["small live partial"]) not in paths and str(cache["not ours"]) not in paths
    assert str(cache["hashes"]) in paths and str(cache["large model"]) in paths
    assert out["size_bytes"] == sum(item["size_bytes"] for item in out["items"]) >= 3550


def test_cache_clear_removes_what_slmreact_wrote_and_nothing_else(cache):
    assert invoke("cache", "clear", input="no\n").exit_code == 1
    assert len(existing(cache)) == len(cache)
    result = invoke("cache", "clear", "--yes")
    assert result.exit_code == 0, result.output
    assert existing(cache) == {"small live partial", "not ours", "user model"}
    assert "nothing to remove" in invoke("cache", "clear").stdout
