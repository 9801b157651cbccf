"""Serving: batch inference at scale, an HTTP service and its web page.

A layer above :mod:`speechbrain_lstm_ser.inference`, which it uses through
its public API; nothing below it imports it. The batch engine
(:mod:`~speechbrain_lstm_ser.serving.batch`, what ``sb-lstm-ser predict``
runs) needs only torch; the service
(:mod:`~speechbrain_lstm_ser.serving.service`, ``sb-lstm-ser serve``) needs
the ``[serve]`` extra (FastAPI, uvicorn), imported only when it starts.

Authors
 * speechbrain-lstm-ser developers 2026
"""
