"""Inference interfaces: load a trained model from a folder or the Hub and use it.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from speechbrain_lstm_ser.inference.analyze import AnalyzedSegment, analyze_file
from speechbrain_lstm_ser.inference.asr import SpeechRecognizer
from speechbrain_lstm_ser.inference.checks import (
    AudioWarning,
    NoSpeechError,
    SpeechGate,
)
from speechbrain_lstm_ser.inference.classifier import UtteranceClassifier
from speechbrain_lstm_ser.inference.commands import CommandRecognizer
from speechbrain_lstm_ser.inference.emotion import EmotionRecognizer
from speechbrain_lstm_ser.inference.load import load_model
from speechbrain_lstm_ser.inference.prediction import Prediction
from speechbrain_lstm_ser.inference.streaming import (
    StreamingEmotionRecognizer,
    StreamPrediction,
)
from speechbrain_lstm_ser.inference.timeline import TimelineSegment

__all__ = [
    "AnalyzedSegment",
    "AudioWarning",
    "CommandRecognizer",
    "EmotionRecognizer",
    "NoSpeechError",
    "Prediction",
    "SpeechGate",
    "SpeechRecognizer",
    "StreamPrediction",
    "StreamingEmotionRecognizer",
    "TimelineSegment",
    "UtteranceClassifier",
    "analyze_file",
    "load_model",
]
