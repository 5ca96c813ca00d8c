"""The accelerator: which device, which precision, and which errors mean what."""

from __future__ import annotations

import torch

from ablage.errors import EngineUnavailable
from ablage.settings import ModelDevice

# Messages of CUDA errors after which the context cannot be trusted again: kernels fail asynchronously and
# every later call reports the same error, so only a new process recovers (TGI handles these the same way).
_FATAL_MARKERS = (
    "illegal memory access",
    "device-side assert",
    "unspecified launch failure",
    "an illegal instruction",
    "misaligned address",
    "ECC error",
    "no CUDA-capable device",
    "CUDA driver",
    "cudaErrorLaunchFailure",
    "CUBLAS_STATUS_EXECUTION_FAILED",
    "uncorrectable",
)


def pick_device(setting: ModelDevice) -> torch.device:
    if setting is ModelDevice.cpu:
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise EngineUnavailable(
            "no usable CUDA device; jobs run on the CPU engines (MODEL_DEVICE=cpu runs the model on the CPU)"
        )
    return torch.device("cuda")


def pick_dtype(device: torch.device) -> torch.dtype:
    if device.type != "cuda":
        return torch.float32  # bf16 matmuls on most CPUs are emulated and slower than fp32
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def is_oom(exc: BaseException) -> bool:
    return isinstance(exc, torch.cuda.OutOfMemoryError)


def is_fatal(exc: BaseException) -> bool:
    if is_oom(exc):
        return False
    if isinstance(exc, torch.AcceleratorError):
        return True
    message = str(exc)
    return isinstance(exc, RuntimeError) and any(marker in message for marker in _FATAL_MARKERS)


def free_cache(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.empty_cache()


def memory(device: torch.device) -> dict[str, int]:
    if device.type != "cuda":
        return {}
    return {"allocated": torch.cuda.memory_allocated(device), "reserved": torch.cuda.memory_reserved(device)}
