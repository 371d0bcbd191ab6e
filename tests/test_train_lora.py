"""The adapter trainer's loss: computed at the labelled positions only, it must equal the model's own
causal-LM loss, or the adapters it trains would not be the ones the recipe describes."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench" / "adapter"))

from train_lora import PROJECTIONS, labelled_loss  # noqa: E402


def tiny_lora_model():
    from peft import LoraConfig, get_peft_model
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(0)
    model = Qwen2ForCausalLM(Qwen2Config(vocab_size=97, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64))
    return get_peft_model(model, LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=PROJECTIONS,
                                            task_type="CAUSAL_LM")).eval()


def padded_batch():
    """Two sequences of different lengths, labels on a few spans, the shorter one padded."""
    ids = torch.randint(1, 97, (2, 12))
    mask = torch.ones_like(ids)
    mask[1, 9:] = 0
    ids[1, 9:] = 0
    labels = torch.full_like(ids, -100)
    labels[0, 3:7] = ids[0, 3:7]
    labels[0, 10:] = ids[0, 10:]
    labels[1, 5:9] = ids[1, 5:9]
    return ids, mask, labels


def test_the_loss_at_labelled_positions_equals_the_models_own_loss():
    model = tiny_lora_model()
    ids, mask, labels = padded_batch()
    with torch.no_grad():
        expected = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        got = labelled_loss(model, ids, mask, labels)
    assert torch.allclose(got, expected, atol=1e-6), (got, expected)


def test_the_loss_changes_with_the_labels_and_trains_the_lora_only():
    model = tiny_lora_model()
    ids, mask, labels = padded_batch()
    other = labels.clone()
    other[0, 4] = (labels[0, 4] + 1) % 97
    with torch.no_grad():
        assert not torch.allclose(labelled_loss(model, ids, mask, labels), labelled_loss(model, ids, mask, other))
    labelled_loss(model, ids, mask, labels).backward()
    with_grad = {n for n, p in model.named_parameters() if p.grad is not None}
    assert with_grad and all("lora_" in n for n in with_grad)
