"""Writes the IDX, Fashion-MNIST-like and safetensors fixtures that DatasetTests and
CheckpointTests read. Needs only numpy. Run from this directory: python3 make_fixtures.py"""
import gzip
import json
import os
import struct

import numpy as np

IDX_CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D, np.float64: 0x0E}


def idx_bytes(array):
    """The IDX encoding: 00 00 type-code rank, big-endian u32 dims, big-endian data."""
    code = IDX_CODES[array.dtype.type]
    header = bytes([0, 0, code, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def gz(data):
    return gzip.compress(data, mtime=0)


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


# IDX files of every element type; DatasetTests recomputes the values from the formulas here.
u8 = (np.arange(24) * 37 % 256).astype(np.uint8).reshape(2, 3, 4)
write("idx/u8_2x3x4.idx", idx_bytes(u8))
write("idx/u8_2x3x4.idx.gz", gz(idx_bytes(u8)))
write("idx/i8_5.idx", idx_bytes(np.array([-128, -1, 0, 1, 127], dtype=np.int8)))
write("idx/i16_2x2.idx.gz", gz(idx_bytes(np.array([[-32768, -2], [300, 32767]], dtype=np.int16))))
write("idx/i32_3.idx", idx_bytes(np.array([-2**31, 65536, 2**31 - 1], dtype=np.int32)))
write("idx/f32_2x2.idx", idx_bytes(np.array([[1.5, -0.25], [3e38, -7.0]], dtype=np.float32)))
write("idx/f64_3.idx.gz", gz(idx_bytes(np.array([0.1, -2.5e300, 1.0 / 3.0], dtype=np.float64))))
write("idx/u8_scalar.idx", idx_bytes(np.array(200, dtype=np.uint8)))

# A large u8 file (several inflate chunks) and the same data as two concatenated gzip members.
big = (np.arange(300 * 500) * 7919 % 251).astype(np.uint8).reshape(300, 500)
raw = idx_bytes(big)
write("idx/u8_300x500.idx.gz", gz(raw))
write("idx/u8_300x500_two_members.idx.gz", gz(raw[:70001]) + gz(raw[70001:]))

# Broken gzip streams of u8_300x500: cut short, a reserved deflate block type (the bits 1-2 of the
# first byte after the 10-byte gzip header), a wrong CRC.
whole = gz(raw)
write("idx/truncated.idx.gz", whole[: len(whole) // 2])
corrupt = bytearray(whole)
corrupt[10] |= 0x06
write("idx/corrupt.idx.gz", bytes(corrupt))
bad_crc = bytearray(whole)
bad_crc[-8] ^= 0x01
write("idx/bad_crc.idx.gz", bytes(bad_crc))

# A miniature Fashion-MNIST: 6 training and 4 test images; gzipped training files, plain test files.
def images(n, seed):
    return ((np.arange(n * 28 * 28) * 131 + seed) % 256).astype(np.uint8).reshape(n, 28, 28)

write("fashion/train-images-idx3-ubyte.gz", gz(idx_bytes(images(6, 0))))
write("fashion/train-labels-idx1-ubyte.gz", gz(idx_bytes(np.array([9, 0, 0, 3, 0, 2], dtype=np.uint8))))
write("fashion/t10k-images-idx3-ubyte", idx_bytes(images(4, 5)))
write("fashion/t10k-labels-idx1-ubyte", idx_bytes(np.array([9, 2, 1, 1], dtype=np.uint8)))


# safetensors, written by hand from the specification: u64 little-endian header length, JSON
# header padded with spaces to a multiple of 8 bytes, then the little-endian data.
SAFETENSORS_DTYPES = {np.float32: "F32", np.float64: "F64", np.int32: "I32", np.int64: "I64", np.bool_: "BOOL"}


def safetensors_bytes(tensors, metadata, header_order, ascii_json):
    """`tensors` in data order; the header lists `__metadata__` (keys sorted), then `header_order`."""
    entries, offset, data = {}, 0, b""
    for name, array in tensors:
        blob = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()
        entries[name] = {"dtype": SAFETENSORS_DTYPES[array.dtype.type], "shape": list(array.shape),
                         "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        data += blob
    header = {"__metadata__": dict(sorted(metadata.items()))} if metadata else {}
    header.update((name, entries[name]) for name in header_order)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=ascii_json).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


tensors = [
    ("layers.0.weight", np.array([[1.5, -2.0, 0.25], [3.0, 4.5, -6.0]], dtype=np.float32)),
    ("layers.0.bias", np.array(-0.125, dtype=np.float64)),
    ("step", np.array([7, -1, 2**31 - 1, -2**31], dtype=np.int32)),
    ("ids", np.array([[2**40, -3], [0, 5]], dtype=np.int64)),
    ("mask", np.array([True, False, True], dtype=np.bool_)),
    ("empty", np.zeros((0, 2), dtype=np.float32)),
]
metadata = {"format": "pt", "epoch": "3", "note": "caf\u00e9 \"quoted\"\n"}
names = [name for name, _ in tensors]
# Header keys in another order than the data, non-ASCII escaped as \uXXXX.
write("safetensors/python_sorted_header.safetensors", safetensors_bytes(tensors, metadata, sorted(names), True))
# Header keys in data order and UTF-8 text: what Kiln writes, byte for byte.
write("safetensors/python_data_order.safetensors", safetensors_bytes(tensors, metadata, names, False))

# The same tensors written by the reference implementation, when the safetensors package is installed.
try:
    from safetensors.numpy import save_file
except ImportError:
    print("safetensors is not installed: keeping safetensors/reference_library.safetensors as it is")
else:
    save_file(dict(tensors), "safetensors/reference_library.safetensors", metadata=metadata)
