"""Microscopy images and instance masks: validation, reading (TIFF/PNG) and the real DSB2018 test image.

An *image* is a 2-D array of intensities (``uint8``, ``uint16`` or float);
an *instance mask* (label image) is a 2-D integer array of the same shape,
0 for background and 1, 2, ... for the objects.

:func:`dsb2018_example` returns the real fluorescence image (DSB2018 stage 1,
512×512, 125 annotated nuclei) that the ``stardist`` wheel ships as
``stardist/data/images/img2d.tif`` and ``mask2d.tif``.  The files are found
through ``importlib.util.find_spec`` without importing stardist (which would
pull in TensorFlow).  physnn uses it as an external test only, never for
training.

    >>> check_image("image", np.zeros((4, 4, 4)))
    Traceback (most recent call last):
    ...
    physnn.errors.PhysnnError: 'image' must be a 2-D image (height, width); got a 3-D array of shape (4, 4, 4). For a stack pass one plane, e.g. image[0]; for RGB convert to one channel, e.g. image.mean(axis=-1).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

from physnn.errors import PhysnnError, check_finite

__all__ = ["check_image", "check_labels", "check_image_file", "read_image", "read_pixels", "read_mask", "write_tiff", "dsb2018_example", "dsb2018_paths"]


def _pre(owner: str | None) -> str:
    return f"{owner}: " if owner else ""


def check_image(name: str, image: Any, *, owner: str | None = None) -> np.ndarray:
    """Return ``image`` as a 2-D numeric NumPy array, or raise naming the problem and the fix."""
    a = np.asarray(image)
    if a.dtype == bool or not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
        raise PhysnnError(
            f"{_pre(owner)}{name!r} must hold numbers (uint8, uint16 or float intensities); got dtype {a.dtype}. "
            "Convert it with np.asarray(image, dtype=np.float32)."
        )
    if a.ndim != 2:
        raise PhysnnError(
            f"{_pre(owner)}{name!r} must be a 2-D image (height, width); got a {a.ndim}-D array of shape {a.shape}. "
            f"For a stack pass one plane, e.g. {name}[0]; for RGB convert to one channel, e.g. {name}.mean(axis=-1)."
        )
    if a.size == 0:
        raise PhysnnError(f"{_pre(owner)}{name!r} is empty (shape {a.shape}).")
    if np.issubdtype(a.dtype, np.floating):
        check_finite(name, a, owner=owner)
    return a


def check_labels(
    name: str, labels: Any, *, shape: tuple[int, ...] | None = None, allow_empty: bool = True,
    owner: str | None = None,
) -> np.ndarray:
    """Return ``labels`` as a 2-D non-negative integer array (0 = background).

    Raises for a wrong number of dimensions, a float or bool dtype (labels
    are integers: cast whole-number floats with ``.astype(np.int32)``;
    a binary mask needs ``skimage.measure.label``), negative values, a
    shape different from the image's, and (``allow_empty=False``) no object.

        >>> check_labels("mask", np.array([[0, 1.5]]))
        Traceback (most recent call last):
        ...
        physnn.errors.PhysnnError: 'mask' must hold integer labels (0 = background, 1..n = objects); got dtype float64 with non-integer values such as 1.5. An instance mask cannot have fractional labels; if this is a probability map threshold it and label it with skimage.measure.label(mask > 0.5).
    """
    a = np.asarray(labels)
    if a.dtype == bool:
        raise PhysnnError(
            f"{_pre(owner)}{name!r} is a boolean (binary) mask, not an instance mask; label its connected "
            f"objects with skimage.measure.label({name})."
        )
    if not np.issubdtype(a.dtype, np.integer):
        if np.issubdtype(a.dtype, np.floating) and a.size and np.isfinite(a).all() and (a == np.round(a)).all():
            raise PhysnnError(
                f"{_pre(owner)}{name!r} must have an integer dtype; got {a.dtype} (whole numbers). "
                f"Cast it with {name}.astype(np.int32)."
            )
        bad = a[np.isfinite(a) & (a != np.round(a))].ravel()[:1] if np.issubdtype(a.dtype, np.floating) else []
        such = f" with non-integer values such as {float(bad[0]):g}" if len(bad) else ""
        raise PhysnnError(
            f"{_pre(owner)}{name!r} must hold integer labels (0 = background, 1..n = objects); got dtype "
            f"{a.dtype}{such}. An instance mask cannot have fractional labels; if this is a probability map "
            "threshold it and label it with skimage.measure.label(mask > 0.5)."
        )
    if a.ndim != 2:
        raise PhysnnError(
            f"{_pre(owner)}{name!r} must be a 2-D label image (height, width); got a {a.ndim}-D array of shape {a.shape}."
        )
    if shape is not None and tuple(a.shape) != tuple(shape):
        raise PhysnnError(
            f"{_pre(owner)}{name!r} has shape {a.shape} but the image has shape {tuple(shape)}; "
            "a mask must have exactly the image's shape (same file pair? same crop?)."
        )
    if a.size and a.min() < 0:
        raise PhysnnError(f"{_pre(owner)}{name!r} holds negative labels (min {int(a.min())}); use 0 for background and 1..n for objects.")
    if not allow_empty and not a.any():
        raise PhysnnError(
            f"{_pre(owner)}{name!r} has no objects (all zeros); a truth mask needs at least one labelled object "
            "to score against — check the file, or that the labels were not lost in a conversion to uint8/bool."
        )
    return a


def _imread(p: Path, owner: str, what: str) -> np.ndarray:
    """The pixels of a TIFF (tifffile) or PNG/JPEG (scikit-image) file; a reader's error names the file."""
    try:
        if p.suffix.lower() in (".tif", ".tiff"):
            import tifffile

            return np.asarray(tifffile.imread(p))
        from skimage import io as skio

        return np.asarray(skio.imread(p))
    except Exception as exc:  # noqa: BLE001 - a reader's own error, re-raised with the path
        raise PhysnnError(f"{owner}: cannot read {str(p)!r} as {what} ({type(exc).__name__}: {exc}).") from None


_IMAGE_KINDS = {".tif": "tiff", ".tiff": "tiff", ".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg"}


def _check_image_file(path: str | Path, owner: str, what: str) -> Path:
    """The path, if it is a non-empty file holding the image format its suffix names (any image if none)."""
    from physnn.errors import check_input_file

    kind = _IMAGE_KINDS.get(Path(path).suffix.lower())
    return check_input_file(path, kind or ("tiff", "png", "jpeg"), owner=owner, what=what,
                            hint="Give a TIFF, PNG or JPEG image (e.g. one written by 'physnn cells generate').")


def check_image_file(path: str | Path, *, owner: str, what: str = "image file") -> Path:
    """The path, if it is a non-empty TIFF/PNG/JPEG file (its bytes, not only its suffix); else a PhysnnError."""
    return _check_image_file(path, owner, what)


def read_pixels(path: str | Path, *, owner: str, what: str = "image file") -> np.ndarray:
    """The raw pixel array of a TIFF (any number of pages) or PNG/JPEG file, its format checked first."""
    p = _check_image_file(path, owner, what)
    return _imread(p, owner, f"an {what}" if what[0] in "aeiou" else f"a {what}")


def read_image(path: str | Path) -> np.ndarray:
    """Read a 2-D image from a TIFF (tifffile) or PNG/JPEG (scikit-image) file; RGB is averaged to grey."""
    p = _check_image_file(path, "read_image", "image file")
    a = _imread(p, "read_image", "an image")
    if a.ndim == 3 and a.shape[-1] in (3, 4):
        a = a[..., :3].mean(axis=-1)
    return check_image("image", np.squeeze(a), owner=f"read_image({p.name})")


def read_mask(path: str | Path, *, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Read an instance mask (TIFF/PNG) and check it: integer labels, 2-D, optional shape."""
    p = _check_image_file(path, "read_mask", "mask file")
    a = _imread(p, "read_mask", "a mask")
    return check_labels("mask", np.squeeze(a), shape=shape, owner=f"read_mask({p.name})")


def write_tiff(path: str | Path, array: np.ndarray) -> Path:
    """Write ``array`` as a TIFF atomically (a partial file never appears under ``path``)."""
    import tifffile

    from physnn.files import atomic_path

    with atomic_path(path) as tmp:
        tifffile.imwrite(tmp, np.asarray(array))
    return Path(path)


def dsb2018_paths() -> tuple[Path, Path]:
    """Paths of the DSB2018 image and mask inside the installed ``stardist`` package (not imported)."""
    spec = importlib.util.find_spec("stardist")
    if spec is None or not spec.submodule_search_locations:
        raise PhysnnError(
            "dsb2018_example: the real test image ships with the 'stardist' package, which is not installed; "
            "install it with `pip install stardist` (only its data files are used)."
        )
    base = Path(list(spec.submodule_search_locations)[0]) / "data" / "images"
    img, mask = base / "img2d.tif", base / "mask2d.tif"
    for f in (img, mask):
        if not f.is_file():
            raise PhysnnError(f"dsb2018_example: {str(f)!r} is missing from the installed stardist package; reinstall stardist.")
    return img, mask


def dsb2018_example() -> tuple[np.ndarray, np.ndarray]:
    """The real DSB2018 fluorescence image (uint16, 512×512) and its instance mask (125 nuclei).

    External test data only — never train on it.
    """
    img, mask = dsb2018_paths()
    image = read_image(img)
    labels = read_mask(mask, shape=image.shape)
    return image, labels.astype(np.int32)
