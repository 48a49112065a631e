"""cnncourse: a complete, trainable convolutional neural network in numpy.

The companion package of the *cnncourse* book. Every chapter of the book imports
from it, and the book shows its source, so the code you read is the code you run.

Submodules
----------
signal      single-channel 1D/2D convolution and cross-correlation, written with loops
functional  batched NCHW ops (conv2d, conv_transpose2d, pooling), naive and fast, with backward
arithmetic  output sizes, padding and receptive fields
gradcheck   numerical gradient checking
"""

__version__ = "0.1.0"
