"""Inference interfaces: load a trained model from a folder or the Hub and use it.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from speechbrain_lstm_ser.inference.emotion import EmotionRecognizer, TimelineSegment

__all__ = ["EmotionRecognizer", "TimelineSegment"]
