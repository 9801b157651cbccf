"""speechbrain-lstm-ser."""
