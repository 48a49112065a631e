"""Layers and losses: thin, PyTorch-like modules over :mod:`cnncourse.functional`."""
