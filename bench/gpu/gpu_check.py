"""The original method's GPU path, end to end, through slmreact's own unsloth engine.

1. Reassemble the embedded 0.5B GGUF from its pieces and check its SHA-256.
2. Convert it once to a Hugging Face folder (transformers, dequantized), then load it with unsloth in 4-bit.
3. Stream with stop strings; switch a LoRA adapter on and off in one process.
4. Train a function-calling LoRA with unsloth + trl SFT on bench/gpu/data/fc_train.jsonl, save and reload it.
5. On the held-out split, compare valid-JSON and exact-match rates of the calling step with the adapter on and off.
Writes gpu_report.json to --out. Every stage records its own failure instead of stopping the run.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPORT: dict = {"stages": {}}


def stage(name):
    def wrap(fn):
        def run(*args, **kwargs):
            start = time.time()
            try:
                result = fn(*args, **kwargs)
                REPORT["stages"][name] = {"ok": True, "seconds": round(time.time() - start, 1), **(result or {})}
                return result
            except Exception as exc:
                REPORT["stages"][name] = {"ok": False, "seconds": round(time.time() - start, 1),
                                          "error": f"{type(exc).__name__}: {exc}",
                                          "traceback": traceback.format_exc()[-3000:]}
                print(REPORT["stages"][name]["traceback"], flush=True)
                return None
        return run
    return wrap


@stage("assemble")
def assemble(pieces: Path, dest: Path):
    from slmreact_cli.models.embedded import EMBEDDED

    model = EMBEDDED["qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"]
    digest = hashlib.sha256()
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest, "wb") as out:
        for piece in sorted(pieces.glob("piece-*")):
            data = piece.read_bytes()
            digest.update(data)
            out.write(data)
    if digest.hexdigest() != model.sha256:
        dest.unlink()
        raise ValueError(f"SHA-256 mismatch: {digest.hexdigest()}")
    return {"sha256": digest.hexdigest(), "bytes": dest.stat().st_size, "path": str(dest)}


@stage("convert")
def convert(gguf: Path):
    import torch

    from slmreact_cli.models.embedded import EMBEDDED
    from slmreact_cli.models.hf import convert_gguf

    sha = EMBEDDED[gguf.name].sha256
    folder = convert_gguf(gguf, sha, torch.bfloat16)
    return {"folder": str(folder)}


def valid_calls(text: str, tools: dict) -> tuple[bool, object]:
    try:
        calls = json.loads(text)
    except ValueError:
        return False, None
    if not isinstance(calls, list):
        return False, None
    for call in calls:
        if not isinstance(call, dict) or call.get("name") not in tools or not isinstance(call.get("arguments"), dict):
            return False, None
        params = tools[call["name"]]
        if not set(params.get("required", [])) <= set(call["arguments"]) or \
                not set(call["arguments"]) <= set(params.get("properties", {})):
            return False, None
    return True, calls


@stage("engine")
def engine_checks(folder: str):
    from slmreact_cli.config import Profile
    from slmreact_cli.models.unsloth import UnslothEngine

    engine = UnslothEngine.load(Profile(name="gpu", engine="unsloth", source=folder, max_seq_length=2048))
    import bitsandbytes as bnb

    n4 = sum(isinstance(m, bnb.nn.Linear4bit) for m in engine.model.modules())
    chunks = []
    for item in engine.stream([{"role": "user", "content": "What is the capital of France? One word."}],
                              max_new_tokens=12):
        chunks.append(item)
    text = "".join(c for c in chunks if isinstance(c, str))
    usage = chunks[-1]
    stopped = engine.generate([{"role": "user", "content": "Count from 1 to 10, separated by commas."}],
                              stop=["5,"], max_new_tokens=40)
    return {"linear4bit_layers": n4, "answer": text, "chunks": len(chunks) - 1, "decode_tok_s":
            round(usage.decode_tokens_per_second, 1), "stop_text": stopped.text, "stop_reason": stopped.usage.stop_reason,
            "engine": engine}


@stage("train")
def train(folder: str, adapter_dir: Path, steps: int):
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer
    from unsloth import FastLanguageModel

    model, tokenizer = FastLanguageModel.from_pretrained(model_name=folder, max_seq_length=2048, load_in_4bit=True)
    model = FastLanguageModel.get_peft_model(
        model, r=16, lora_alpha=16, lora_dropout=0, bias="none", use_gradient_checkpointing="unsloth",
        target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    rows = [json.loads(line) for line in (HERE / "data" / "fc_train.jsonl").read_text().splitlines()]
    ds = Dataset.from_list([{"messages": r["messages"] + [{"role": "assistant", "content": r["target"]}]} for r in rows])
    trainer = SFTTrainer(model=model, processing_class=tokenizer, train_dataset=ds, args=SFTConfig(
        output_dir="/tmp/sft", max_steps=steps, per_device_train_batch_size=8, gradient_accumulation_steps=1,
        learning_rate=2e-4, warmup_steps=5, logging_steps=10, optim="adamw_8bit", bf16=True, report_to="none",
        dataset_num_proc=1, max_length=2048, seed=0))
    stats = trainer.train()
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    model.save_pretrained(adapter_dir)
    tokenizer.save_pretrained(adapter_dir)
    del trainer, model
    import torch

    torch.cuda.empty_cache()
    return {"steps": steps, "first_loss": losses[0] if losses else None, "last_loss": losses[-1] if losses else None,
            "train_seconds": round(stats.metrics.get("train_runtime", 0), 1),
            "adapter_bytes": sum(f.stat().st_size for f in adapter_dir.iterdir())}


@stage("adapter_switch_and_eval")
def evaluate(folder: str, adapter_dir: Path, base_engine, limit: int):
    from slmreact_cli.config import Profile
    from slmreact_cli.models.unsloth import UnslothEngine

    engine = UnslothEngine.load(Profile(name="gpu-lora", engine="unsloth", source=folder, adapter=str(adapter_dir),
                                        max_seq_length=2048))
    probe = [{"role": "user", "content": "Name three colours."}]
    base = base_engine.generate(probe, max_new_tokens=20).text if base_engine else None
    off = engine.generate(probe, max_new_tokens=20, role="reasoning").text
    on = engine.generate(probe, max_new_tokens=20, role="calling").text
    off_again = engine.generate(probe, max_new_tokens=20, role="reasoning").text
    tools = json.loads((HERE / "data" / "tools.json").read_text())["tools"]
    rows = [json.loads(line) for line in (HERE / "data" / "fc_heldout.jsonl").read_text().splitlines()][:limit]
    scores = {}
    samples = {}
    for role, state in (("reasoning", "off"), ("calling", "on")):  # the LoRA is the calling role's
        valid = exact = 0
        start = time.time()
        for r in rows:
            text = engine.generate(r["messages"], max_new_tokens=160, role=role).text.strip()
            ok, calls = valid_calls(text, tools)
            valid += ok
            exact += ok and calls == json.loads(r["target"])
            samples.setdefault(state, text[:200])
        scores[state] = {"valid": valid, "exact": exact, "n": len(rows), "seconds": round(time.time() - start, 1)}
    return {"off_equals_base": off == base if base is not None else None, "on_differs": on != off,
            "off_stable_after_on": off_again == off, "probe_off": off, "probe_on": on, "heldout": scores,
            "first_outputs": samples}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pieces", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--limit", type=int, default=60)
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    import torch

    REPORT["device"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no CUDA"
    gguf = Path("/tmp/model/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf")
    if not (gguf.exists() and gguf.stat().st_size == 491_400_064):
        assemble(a.pieces, gguf)
    converted = convert(gguf)
    if converted:
        checks = engine_checks(converted["folder"])
        base_engine = REPORT["stages"]["engine"].pop("engine", None) if checks else None
        adapter_dir = Path("/tmp/adapter")
        if train(converted["folder"], adapter_dir, a.steps):
            evaluate(converted["folder"], adapter_dir, base_engine, a.limit)
    (a.out / "gpu_report.json").write_text(json.dumps(REPORT, indent=1, default=str))
    print(json.dumps({k: {kk: vv for kk, vv in v.items() if kk != "traceback"} for k, v in REPORT["stages"].items()},
                     indent=1, default=str))


if __name__ == "__main__":
    main()
