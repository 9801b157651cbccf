"""The side that writes models: model folders, cards, ONNX, int8 quantisation."""
