"""A GGUF LoRA (llama.cpp's adapter format) loaded into a transformers model as a peft adapter.

The bundled reasoning adapter ships once, as GGUF, for the llama.cpp engine; the transformers engine
reads the same file. llama.cpp stores lora_a as (rank, in) and lora_b as (out, rank), the shapes of
peft's lora_A and lora_B weights, so only the tensor names change.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..errors import ModelError

# llama.cpp tensor name -> the Hugging Face module it adapts (Llama-style decoder layers, Qwen2 included)
_MODULES = {"attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
            "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
            "ffn_down": "mlp.down_proj"}
_NAME = re.compile(r"blk\.(\d+)\.(\w+)\.weight\.lora_([ab])$")


def read_gguf_lora(path: str | Path):
    """(peft LoraConfig, state dict in peft's names) for a GGUF LoRA file."""
    import numpy as np
    import torch
    from gguf import GGUFReader
    from peft import LoraConfig

    try:
        reader = GGUFReader(str(path))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read the LoRA adapter {path}: {exc}") from None
    field = reader.fields.get("adapter.lora.alpha")
    if field is None or "adapter.type" not in reader.fields:
        raise ModelError(f"{path} is not a GGUF LoRA adapter")
    alpha = float(field.parts[field.data[0]][0])
    state, targets, rank = {}, set(), None
    for tensor in reader.tensors:
        match = _NAME.match(tensor.name)
        if not match or match.group(2) not in _MODULES:
            raise ModelError(f"{path}: unexpected tensor {tensor.name!r} in the LoRA adapter")
        layer, module, which = match.groups()
        weight = torch.from_numpy(np.array(tensor.data, dtype=np.float32))
        if which == "a":
            rank = weight.shape[0]
        name = f"base_model.model.model.layers.{layer}.{_MODULES[module]}.lora_{which.upper()}.weight"
        state[name] = weight
        targets.add(_MODULES[module].split(".")[-1])
    if rank is None:
        raise ModelError(f"{path}: the LoRA adapter holds no tensors")
    config = LoraConfig(r=rank, lora_alpha=alpha, lora_dropout=0.0, target_modules=sorted(targets),
                        task_type="CAUSAL_LM")
    return config, state


def add_gguf_lora(model, path: str | Path, name: str):
    """The model with the GGUF LoRA at `path` added as peft adapter `name` (a PeftModel)."""
    from peft import PeftModel, get_peft_model, set_peft_model_state_dict

    config, state = read_gguf_lora(path)
    if isinstance(model, PeftModel):
        model.add_adapter(name, config)
    else:
        model = get_peft_model(model, config, adapter_name=name)
    result = set_peft_model_state_dict(model, state, adapter_name=name)
    missing = [k for k in getattr(result, "missing_keys", []) if f".{name}." in k and "lora_" in k]
    if missing:
        raise ModelError(f"the LoRA adapter {path} does not fit this model (missing {missing[0]})")
    return model
