"""Train the reasoning LoRA on tokenized traces (bench/adapter/tokenize_traces.py), with peft.

Loads the GGUF through transformers (dequantized to bf16: the adapter is trained on the very
weights llama.cpp will apply it to, up to the dequantization), wraps it with a LoRA on the seven
projections, and trains on the labelled tokens only. Saves a peft adapter folder per epoch.

Usage: python bench/adapter/train_lora.py --gguf FILE --data traces.npz --out DIR [--epochs 2]
"""
from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path

import numpy as np
import torch
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM

PROJECTIONS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def batches(offsets: np.ndarray, max_tokens: int, rng: random.Random) -> list[list[int]]:
    """Sequences grouped by length, so a batch pads little and holds about max_tokens tokens."""
    order = sorted(range(len(offsets) - 1), key=lambda i: offsets[i + 1] - offsets[i])
    groups, current, longest = [], [], 0
    for i in order:
        n = int(offsets[i + 1] - offsets[i])
        if current and max(longest, n) * (len(current) + 1) > max_tokens:
            groups.append(current)
            current, longest = [], 0
        current.append(i)
        longest = max(longest, n)
    if current:
        groups.append(current)
    rng.shuffle(groups)
    return groups


def labelled_loss(model, ids: torch.Tensor, mask: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The causal-LM loss over the labelled tokens, with the output layer applied at those positions only.

    The same value as `model(..., labels=labels).loss` (mean cross-entropy of each position's next
    token, in float32), but the vocabulary-wide logits of the ~93% of positions that carry no label
    (tool lists, questions, observations) are never made: at 16k tokens a batch each float32 copy
    of them is about ten GB (16k × 152k), which held a 0.5B training at 88 GB of GPU memory (8 GB
    without them) and kept two trainings from sharing one GPU.
    """
    hidden = model.get_base_model().model(input_ids=ids, attention_mask=mask).last_hidden_state
    targets = labels[:, 1:]
    keep = targets != -100
    logits = model.get_base_model().lm_head(hidden[:, :-1][keep]).float()
    return torch.nn.functional.cross_entropy(logits, targets[keep])


def half(path: Path) -> None:
    """Store the adapter in float16: half the size, and llama.cpp converts it to f16 anyway."""
    from safetensors.torch import load_file, save_file

    save_file({k: v.to(torch.float16) for k, v in load_file(path).items()}, path)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gguf", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--batch-tokens", type=int, default=16384)
    ap.add_argument("--max-steps", type=int, default=0, help="stop early (a smoke test)")
    ap.add_argument("--max-minutes", type=float, default=0,
                    help="stop after this much training time and save what there is (a lease's budget)")
    ap.add_argument("--no-checkpointing", action="store_true",
                    help="keep activations instead of recomputing them: faster where GPU memory is ample")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()
    torch.manual_seed(0)
    rng = random.Random(0)
    data = np.load(args.data)
    ids, labels, offsets = data["ids"], data["labels"], data["offsets"]
    gguf = Path(args.gguf)
    t0 = time.time()
    dtype = torch.bfloat16 if args.device == "cuda" else torch.float32
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=dtype)
    model.to(args.device)
    print(f"loaded in {time.time() - t0:.0f} s", flush=True)
    if not args.no_checkpointing:
        model.gradient_checkpointing_enable()
        model.enable_input_require_grads()
    model = get_peft_model(model, LoraConfig(r=args.rank, lora_alpha=2 * args.rank, lora_dropout=0.05,
                                             target_modules=PROJECTIONS, task_type="CAUSAL_LM"))
    model.print_trainable_parameters()
    plan = [batches(offsets, args.batch_tokens, rng) for _ in range(args.epochs)]
    total = sum(len(p) for p in plan)
    if args.max_steps:
        total = min(total, args.max_steps)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr, weight_decay=0.0)
    warmup = max(1, total // 20)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s, total) / total)))
    pad = 0
    step, log = 0, []
    model.train()
    t0 = time.time()
    for epoch, groups in enumerate(plan, 1):
        for group in groups:
            if step >= total or (args.max_minutes and time.time() - t0 > 60 * args.max_minutes):
                break
            longest = max(int(offsets[i + 1] - offsets[i]) for i in group)
            x = torch.full((len(group), longest), pad, dtype=torch.long)
            y = torch.full((len(group), longest), -100, dtype=torch.long)
            mask = torch.zeros((len(group), longest), dtype=torch.long)
            for row, i in enumerate(group):
                a, b = int(offsets[i]), int(offsets[i + 1])
                x[row, : b - a] = torch.from_numpy(ids[a:b].astype(np.int64))
                y[row, : b - a] = torch.from_numpy(labels[a:b].astype(np.int64))
                mask[row, : b - a] = 1
            loss = labelled_loss(model, x.to(args.device), mask.to(args.device), y.to(args.device))
            if not torch.isfinite(loss):
                print(f"step {step}: loss not finite, batch skipped", flush=True)
                optimizer.zero_grad(set_to_none=True)
                continue
            loss.backward()
            norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            if not torch.isfinite(norm):
                print(f"step {step}: gradient not finite, batch skipped", flush=True)
                optimizer.zero_grad(set_to_none=True)
                continue
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            if step % 20 == 0 or step == 1:
                log.append({"step": step, "epoch": epoch, "loss": round(loss.item(), 4),
                            "seconds": round(time.time() - t0, 1)})
                print(json.dumps(log[-1]), flush=True)
        folder = Path(args.out) / f"epoch{epoch}"
        model.save_pretrained(folder)
        half(folder / "adapter_model.safetensors")
        print(f"saved {folder}", flush=True)
    Path(args.out, "train_log.json").write_text(json.dumps(log, indent=1))


if __name__ == "__main__":
    main()
