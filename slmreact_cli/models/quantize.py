"""Weight-only quantization of Linear layers for CPU inference (int8, torch's dynamic quantization)."""
from __future__ import annotations

from ..errors import ModelError


def quantize_model(model, method: str, device: str):
    if method in (None, "", "none"):
        return model
    if device != "cpu":
        raise ModelError(f"quantize = {method!r} is for the CPU; on a GPU use the unsloth engine (4-bit)")
    import torch

    if method == "int8":
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    raise ModelError(f"unknown quantize method {method!r}: use none or int8")
