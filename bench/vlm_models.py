"""Random-weight GOT-OCR2 and Janus models, from configs, with processors like the real checkpoints'.

``tiny=True`` (the tests, the bench's smoke mode): the real transformers classes and processors with every
size shrunk, so a page runs through preprocessing, ``generate`` and decoding on a CPU in well under a second.
``tiny=False`` (the GPU bench): the default configs' full-size architectures, whose compute per token is the
real models'. The text either produces is meaningless; they measure plumbing and speed, not reading.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

_CORPUS = [
    "Rechnung Nr. 4711 vom 01.02.2024",
    "Invoice total 1.234,56 EUR",
    "Sehr geehrte Damen und Herren,",
    "Transcribe all text in this image exactly.",
    "OCR with format upon the patch reference",
    "system You should follow the instructions carefully and explain your answers in detail.",
    "user assistant User Assistant",
]

JANUS_CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "<|{{ message['role'] | capitalize }}|>: "
    "{% for item in message['content'] %}"
    "{% if item['type'] == 'image' %}<image_placeholder>\n{% else %}{{ item['text'] }}{% endif %}"
    "{% endfor %}\n\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|Assistant|>:{% endif %}"
)


def _tokenizer(special: list[str], extra: dict[str, str] | None = None) -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<unk>", "<pad>", *special],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(_CORPUS, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="<unk>",
        pad_token="<pad>",
        eos_token=special[0],
        padding_side="left",
        extra_special_tokens=extra or {},
    )


def got_ocr2(tiny: bool = True) -> tuple[Any, Any]:
    """(config, processor)."""
    from transformers import GotOcr2Config, GotOcr2ImageProcessor, GotOcr2Processor

    tokenizer = _tokenizer(["<|im_end|>", "<|im_start|>", "<|endoftext|>", "<img>", "</img>", "<imgpad>"])
    image_token = tokenizer.convert_tokens_to_ids("<imgpad>")
    if not tiny:
        config = GotOcr2Config(image_token_index=image_token)
        side = 1024
    else:
        # 64x64 patches, which the vision neck reduces to the 16x16 = 256 tokens the processor inserts per crop.
        config = GotOcr2Config(
            vision_config={
                "hidden_size": 32,
                "output_channels": 16,
                "num_hidden_layers": 1,
                "num_attention_heads": 2,
                "image_size": 256,
                "patch_size": 4,
                "window_size": 8,
                "global_attn_indexes": [],
                "use_rel_pos": False,
                "mlp_dim": 64,
            },
            text_config={
                "vocab_size": len(tokenizer),
                "hidden_size": 64,
                "intermediate_size": 128,
                "num_hidden_layers": 2,
                "num_attention_heads": 4,
                "num_key_value_heads": 2,
                "max_position_embeddings": 4096,
            },
            image_token_index=image_token,
        )
        side = 256
    image_processor = GotOcr2ImageProcessor(size={"height": side, "width": side})
    return config, GotOcr2Processor(image_processor=image_processor, tokenizer=tokenizer)


def janus(tiny: bool = True) -> tuple[Any, Any]:
    """(config, processor)."""
    from transformers import JanusConfig, JanusImageProcessor, JanusProcessor

    tokenizer = _tokenizer(
        ["<｜end▁of▁sentence｜>", "<image_placeholder>", "<begin_of_image>", "<end_of_image>"],
        {"image_token": "<image_placeholder>", "boi_token": "<begin_of_image>", "eoi_token": "<end_of_image>"},
    )
    image_token = tokenizer.convert_tokens_to_ids("<image_placeholder>")
    if not tiny:
        config = JanusConfig(image_token_id=image_token)
        image_size, patch = 384, 16
    else:
        image_size, patch = 64, 16
        config = JanusConfig(
            vision_config={
                "hidden_size": 32,
                "num_hidden_layers": 2,
                "num_attention_heads": 2,
                "image_size": image_size,
                "patch_size": patch,
                "projection_dim": 64,
                "num_image_tokens": (image_size // patch) ** 2,
            },
            text_config={
                "model_type": "llama",
                "vocab_size": len(tokenizer),
                "hidden_size": 64,
                "intermediate_size": 128,
                "num_hidden_layers": 2,
                "num_attention_heads": 4,
                "num_key_value_heads": 2,
                "max_position_embeddings": 2048,
            },
            vq_config={
                "embed_dim": 8,
                "num_embeddings": 64,
                "base_channels": 32,
                "channel_multiplier": [1, 1],
                "latent_channels": 32,
                "num_res_blocks": 1,
                "projection_dim": 64,
                "image_token_embed_dim": 64,
            },
            image_token_id=image_token,
        )
    processor = JanusProcessor(
        image_processor=JanusImageProcessor(size={"height": image_size, "width": image_size}),
        tokenizer=tokenizer,
        chat_template=JANUS_CHAT_TEMPLATE,
        num_image_tokens=(image_size // patch) ** 2,
    )
    return config, processor


def random_model(config: Any, processor: Any, device: str = "cpu", dtype: Any = None) -> Any:
    """Random weights, made directly on ``device`` (a 7B model is not built on the CPU first)."""
    import torch
    from transformers import AutoModelForImageTextToText

    torch.manual_seed(0)
    with torch.device(device):
        model = AutoModelForImageTextToText.from_config(config, dtype=dtype or torch.float32).eval()
    tokenizer = processor.tokenizer
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model


def save(path: Path, processor: Any, model: Any) -> Path:
    model.save_pretrained(path)
    processor.save_pretrained(path)
    return path


def build_got_ocr2(path: Path) -> Path:
    config, processor = got_ocr2(tiny=True)
    return save(path, processor, random_model(config, processor))


def build_janus(path: Path) -> Path:
    config, processor = janus(tiny=True)
    return save(path, processor, random_model(config, processor))
