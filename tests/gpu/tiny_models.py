"""Tiny random-weight GOT-OCR2 and Janus checkpoints, built from configs and saved like the real ones.

The architectures and processors are the real transformers classes; only the sizes shrink, so a page runs
through preprocessing, ``generate`` and decoding on a CPU in well under a second. The text they produce is
meaningless: tests check the plumbing, not the reading.
"""

from __future__ import annotations

from pathlib import Path

_CORPUS = [
    "Rechnung Nr. 4711 vom 01.02.2024",
    "Invoice total 1.234,56 EUR",
    "Sehr geehrte Damen und Herren,",
    "Transcribe all text in this image exactly.",
    "OCR with format upon the patch reference",
    "system You should follow the instructions carefully and explain your answers in detail.",
    "user assistant User Assistant",
]


def _tokenizer(special: list[str], extra: dict[str, str] | None = None) -> object:
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


def build_got_ocr2(path: Path) -> Path:
    import torch
    from transformers import GotOcr2Config, GotOcr2ForConditionalGeneration, GotOcr2ImageProcessor, GotOcr2Processor

    tokenizer = _tokenizer(["<|im_end|>", "<|im_start|>", "<|endoftext|>", "<img>", "</img>", "<imgpad>"])
    vocab = len(tokenizer)  # type: ignore[arg-type]
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
            "vocab_size": vocab,
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "max_position_embeddings": 4096,
        },
        image_token_index=tokenizer.convert_tokens_to_ids("<imgpad>"),  # type: ignore[attr-defined]
    )
    torch.manual_seed(0)
    model = GotOcr2ForConditionalGeneration(config).eval()
    model.generation_config.eos_token_id = tokenizer.convert_tokens_to_ids("<|im_end|>")  # type: ignore[attr-defined]
    model.generation_config.pad_token_id = tokenizer.pad_token_id  # type: ignore[attr-defined]
    image_processor = GotOcr2ImageProcessor(size={"height": 256, "width": 256})
    processor = GotOcr2Processor(image_processor=image_processor, tokenizer=tokenizer)
    model.save_pretrained(path)
    processor.save_pretrained(path)
    return path


JANUS_CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "<|{{ message['role'] | capitalize }}|>: "
    "{% for item in message['content'] %}"
    "{% if item['type'] == 'image' %}<image_placeholder>\n{% else %}{{ item['text'] }}{% endif %}"
    "{% endfor %}\n\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|Assistant|>:{% endif %}"
)


def build_janus(path: Path) -> Path:
    import torch
    from transformers import JanusConfig, JanusForConditionalGeneration, JanusImageProcessor, JanusProcessor

    tokenizer = _tokenizer(
        ["<｜end▁of▁sentence｜>", "<image_placeholder>", "<begin_of_image>", "<end_of_image>"],
        {"image_token": "<image_placeholder>", "boi_token": "<begin_of_image>", "eoi_token": "<end_of_image>"},
    )
    vocab = len(tokenizer)  # type: ignore[arg-type]
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
            "vocab_size": vocab,
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
        image_token_id=tokenizer.convert_tokens_to_ids("<image_placeholder>"),  # type: ignore[attr-defined]
    )
    torch.manual_seed(0)
    model = JanusForConditionalGeneration(config).eval()
    model.generation_config.eos_token_id = tokenizer.eos_token_id  # type: ignore[attr-defined]
    model.generation_config.pad_token_id = tokenizer.pad_token_id  # type: ignore[attr-defined]
    image_processor = JanusImageProcessor(size={"height": image_size, "width": image_size})
    processor = JanusProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        chat_template=JANUS_CHAT_TEMPLATE,
        num_image_tokens=(image_size // patch) ** 2,
    )
    model.save_pretrained(path)
    processor.save_pretrained(path)
    return path
