"""Real-corpus readers, one module per corpus, readers named ``read_*``.

The registries ``dataset`` name -> reader are per task: ``READERS`` in
:mod:`~speechbrain_lstm_ser.dataio.prepare_emotion`,
:mod:`~speechbrain_lstm_ser.dataio.prepare_asr` and
:mod:`~speechbrain_lstm_ser.dataio.prepare_commands`.
"""
