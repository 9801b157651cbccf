"""Dynamic int8 quantisation of an exported model's LSTM and linear layers.

Which path, and why (PyTorch 2.14, CPU):

- ``torch.ao.quantization.quantize_dynamic`` quantises ``nn.LSTM`` and
  ``nn.Linear``, but it is deprecated (it warns that it will be removed) and
  receives no fixes.
- ``torchao``, its successor, quantises ``nn.Linear`` weights only: it has no
  LSTM support, and on the CPU its int8 linear layers are slower than float32.
- ONNX Runtime's dynamic quantisation (``onnxruntime.quantization``) is
  maintained and covers the ONNX ``LSTM`` operator (``DynamicQuantizeLSTM``)
  and ``MatMul`` (``MatMulInteger``): int8 weights, activations quantised on
  the fly. It runs wherever the exported model runs.

So the int8 model is the exported ONNX graph (:mod:`speechbrain_lstm_ser.export.onnx`)
quantised by ONNX Runtime. The feature extractor (filterbank matrix) is left
in float32: quantising it would change the features for nothing, it is tiny.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import ast
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from speechbrain_lstm_ser.export.onnx import NAME_SCOPES

__all__ = ["quantize_onnx_int8"]


def _scope(node) -> str:
    """The top-level module a node of a ``torch.onnx`` graph comes from."""
    for prop in node.metadata_props:
        if prop.key == NAME_SCOPES:
            scopes = ast.literal_eval(prop.value)
            return scopes[1] if len(scopes) > 1 else ""
    return ""


def quantize_onnx_int8(
    src: str | os.PathLike,
    dst: str | os.PathLike,
    keep_float: Sequence[str] = ("compute_features",),
    per_channel: bool = False,
) -> Path:
    """Writes an int8 copy of an exported model (dynamic quantisation).

    LSTM and linear layers get int8 weights (linear layers exported as
    ``Gemm`` are first rewritten as ``MatMul`` so that they are covered too);
    activations are quantised at run time, so no calibration data is needed.

    Arguments
    ---------
    src : str or os.PathLike
        A float32 model written by :func:`speechbrain_lstm_ser.export.onnx.export_onnx`.
    dst : str or os.PathLike
        The int8 model to write.
    keep_float : sequence of str
        Modules of the graph (attribute names) to keep in float32.
    per_channel : bool
        One scale per output channel instead of per tensor.

    Returns
    -------
    Path
        ``dst``.
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.onnx_model import ONNXModel

    model = onnx.load(str(src))
    ONNXModel(model).replace_gemm_with_matmul()
    excluded = [node.name for node in model.graph.node if _scope(node) in keep_float]
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    level = root.level
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / "float.onnx"
        onnx.save(model, str(staged))
        # The quantiser logs advice about pre-processing through the root
        # logger; it does not apply to this graph (shapes are known).
        root.setLevel(logging.ERROR)
        try:
            quantize_dynamic(
                staged,
                dst,
                op_types_to_quantize=["LSTM", "MatMul"],
                per_channel=per_channel,
                weight_type=QuantType.QInt8,
                nodes_to_exclude=excluded,
            )
        finally:
            root.setLevel(level)
    # quantize_dynamic drops the model's metadata: copy it over.
    quantized = onnx.load(str(dst))
    onnx.helper.set_model_props(
        quantized, {p.key: p.value for p in model.metadata_props}
    )
    onnx.save(quantized, str(dst))
    return dst
