"""FLOPs and peaks: how much arithmetic attention does, and how close a GPU gets.

    attention_flops   the FLOPs of attention's two matmuls (forward, or backward alone)
    PEAK_TFLOPS       published dense peaks per GPU and dtype; gpu_key matches a GPU's name
    peak_kind         which peak applies to a dtype: bf16, fp16, tf32 or fp32
    peak_tflops       the peak for a device and dtype (None for a CPU or an unknown GPU)
    tflops, percent_of_peak   achieved TFLOP/s from FLOPs and seconds, and its share of peak
"""

import re

import torch


def attention_flops(batch, heads, n_q, n_k, head_dim, causal=False, backward=False, d_v=None):
    """FLOPs of attention's two matmuls: 2 * B * H * N_q * N_k * (D + D_v).

    q k^T costs 2 * N_q * N_k * D and weights v costs 2 * N_q * N_k * D_v (a multiply and
    an add each); softmax is not counted. d_v (the values' width) defaults to head_dim.
    causal=True halves it (about half the scores are masked). backward=True returns the
    backward pass's FLOPs ONLY, taken as 2.5 x forward (the usual FlashAttention count);
    add the two for a training step.
    """
    d_v = head_dim if d_v is None else d_v
    for name, value in (("batch", batch), ("heads", heads), ("n_q", n_q), ("n_k", n_k),
                        ("head_dim", head_dim), ("d_v", d_v)):
        if value <= 0:
            raise ValueError(f"{name} must be positive, got {value}")
    scores = 2 * batch * heads * n_q * n_k * head_dim  # (B, H, N_q, D) @ (B, H, D, N_k)
    weighted = 2 * batch * heads * n_q * n_k * d_v  # (B, H, N_q, N_k) @ (B, H, N_k, D_v)
    flops = scores + weighted
    if causal:
        flops = flops / 2
    if backward:
        return 2.5 * flops
    return flops


# Dense (no sparsity) peak TFLOP/s from NVIDIA's data sheets, per dtype. "tf32" is what
# float32 matmuls reach on tensor cores when torch allows TF32; "fp32" is without it.
PEAK_TFLOPS = {
    "H100 SXM": {"bf16": 989.0, "fp16": 989.0, "tf32": 494.5, "fp32": 67.0},
    "H100 PCIe": {"bf16": 756.0, "fp16": 756.0, "tf32": 378.0, "fp32": 51.0},
    "H100 NVL": {"bf16": 835.0, "fp16": 835.0, "tf32": 417.5, "fp32": 60.0},
    "H200 SXM": {"bf16": 989.0, "fp16": 989.0, "tf32": 494.5, "fp32": 67.0},
    "H200 NVL": {"bf16": 835.0, "fp16": 835.0, "tf32": 417.5, "fp32": 60.0},
    "A100": {"bf16": 312.0, "fp16": 312.0, "tf32": 156.0, "fp32": 19.5},
    "L40S": {"bf16": 362.0, "fp16": 362.0, "tf32": 183.0, "fp32": 91.6},
    "L40": {"bf16": 181.0, "fp16": 181.0, "tf32": 90.5, "fp32": 90.5},
    "L4": {"bf16": 121.0, "fp16": 121.0, "tf32": 60.0, "fp32": 30.3},
    "T4": {"fp16": 65.0, "fp32": 8.1},
}

# Device-name pattern -> PEAK_TFLOPS key; the first match wins, so the specific names
# ("H200 NVL") come before the general ones ("H200"). \b keeps "L4" from matching "L40",
# and "H200" from matching "GH200". torch.cuda.get_device_name gives e.g.
# "NVIDIA H100 80GB HBM3" for the SXM part, "NVIDIA A100-SXM4-80GB", "Tesla T4".
_NAME_PATTERNS = (
    (r"\bH100 PCIe\b", "H100 PCIe"),
    (r"\bH100 NVL\b", "H100 NVL"),
    (r"\bH100\b", "H100 SXM"),
    (r"\bH200 NVL\b", "H200 NVL"),
    (r"\bH200\b", "H200 SXM"),
    (r"\bA100\b", "A100"),
    (r"\bL40S\b", "L40S"),
    (r"\bL40\b", "L40"),
    (r"\bL4\b", "L4"),
    (r"\bT4\b", "T4"),
)


def gpu_key(device_name):
    """The PEAK_TFLOPS key for a GPU named `device_name` ('NVIDIA L40S' -> 'L40S'), or None."""
    for pattern, key in _NAME_PATTERNS:
        if re.search(pattern, device_name, flags=re.IGNORECASE):
            return key
    return None


def tf32_setting():
    """Whether CUDA float32 matmuls may use TF32: 'on', 'off' or 'unknown'. Never raises.

    Reads torch.backends.cuda.matmul.fp32_precision (torch >= 2.9) when it exists, else
    the older allow_tf32 (which raises once fp32_precision has been set).
    """
    try:
        matmul = torch.backends.cuda.matmul
        precision = getattr(matmul, "fp32_precision", None)
        if precision is None:  # an older torch
            return "on" if matmul.allow_tf32 else "off"
        if precision == "none":  # inherits the global setting
            precision = torch.backends.fp32_precision
        return {"tf32": "on", "ieee": "off", "none": "off"}.get(precision, "unknown")
    except Exception:  # any failure only means we cannot tell
        return "unknown"


def peak_kind(dtype):
    """Which column of PEAK_TFLOPS applies to `dtype`: 'bf16', 'fp16', 'tf32', 'fp32' or None.

    float32 uses the TF32 peak only when torch allows TF32; when that cannot be read it
    uses the fp32 peak. Either way the rows say which (their 'peak_kind').
    """
    if dtype == torch.bfloat16:
        return "bf16"
    if dtype == torch.float16:
        return "fp16"
    if dtype == torch.float32:
        return "tf32" if tf32_setting() == "on" else "fp32"
    return None


def peak_tflops_for_name(device_name, dtype):
    """Dense peak TFLOP/s for a GPU named `device_name`, or None if unknown."""
    gpu = gpu_key(device_name)
    if gpu is None:
        return None
    return PEAK_TFLOPS[gpu].get(peak_kind(dtype))


def peak_tflops(device, dtype):
    """Dense peak TFLOP/s of `device` for `dtype`; None for a CPU or an unknown GPU."""
    device = torch.device(device)
    if device.type != "cuda" or not torch.cuda.is_available():
        return None
    return peak_tflops_for_name(torch.cuda.get_device_name(device), dtype)


def tflops(flops, seconds):
    """Achieved TFLOP/s: flops / seconds / 1e12."""
    if seconds <= 0:
        raise ValueError(f"seconds must be positive, got {seconds}")
    return flops / seconds / 1e12


def percent_of_peak(flops, seconds, peak):
    """100 * achieved / peak TFLOP/s; None when the peak is unknown (None)."""
    if peak is None:
        return None
    return 100.0 * tflops(flops, seconds) / peak
