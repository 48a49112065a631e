"""cnncourse: a complete, trainable convolutional neural network in numpy.

The companion package of the *cnncourse* book. Every chapter of the book imports
from it, and the book shows its source, so the code you read is the code you run.

Submodules
----------
signal      single-channel 1D/2D convolution and cross-correlation, written with loops
functional  batched NCHW ops (conv2d, conv_transpose2d, pooling, linear, dropout, batch norm),
            naive and fast, with backward; functional.window is the one window module (views,
            im2col/col2im, padding)
arithmetic  output sizes, padding and receptive fields (the book's face of geometry)
geometry    the output-size formula and padding resolution, written once, for every module
checks      the one validation policy: ints, reals, arrays, dtypes, rng, backward arguments
gradcheck   numerical gradient checking
filters     fixed image-processing kernels (Gaussian, Sobel, sharpen), Harris corners, the
            convolution matrix (Toeplitz) and im2col
nn          layers and losses (Module, Conv2d, MaxPool2d, Linear, ResidualBlock, CrossEntropyLoss, ...)
optim       SGD (momentum, Nesterov) and Adam, with PyTorch's update rules
train       fit, evaluate, predict, k-fold cross-validation, confusion matrix (a package)
datasets    procedural shapes, scikit-learn's digits, (Fashion-)MNIST downloader (a package)
models      LeNet-5, MLP, all-convolutional net, small ResNet, summary()
interop     to_torch / from_torch: the same network and weights in PyTorch (torch optional)
checkpoint  save/load models as .npz, atomically
io          atomic file writes (checkpoints, downloads)
tables      the text/HTML tables of History, CVResult and Summary
exercises   checked exercises: check, hint, solution, progress
viz         figures and sliding-window animations
widgets     interactive explorers (ipywidgets)
"""

__version__ = "0.1.0"
