"""Reads a safetensors file by the specification alone (numpy, no safetensors package), checks its
layout and prints every tensor: python3 check_safetensors.py FILE"""
import json
import struct
import sys

import numpy as np

DTYPES = {"F32": "<f4", "F64": "<f8", "I32": "<i4", "I64": "<i8", "BOOL": "?"}

data = open(sys.argv[1], "rb").read()
(n,) = struct.unpack("<Q", data[:8])
header = json.loads(data[8:8 + n].decode("utf-8"))
assert (8 + n) % 8 == 0, "data is not 8-byte aligned"
buffer = data[8 + n:]
print("metadata:", header.pop("__metadata__", {}))
end = 0
for name, info in sorted(header.items(), key=lambda item: item[1]["data_offsets"]):
    begin, stop = info["data_offsets"]
    assert begin == end, f"{name}: gap or overlap at {begin}"
    array = np.frombuffer(buffer[begin:stop], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
    print(name, info["dtype"], list(array.shape), array.tolist())
    end = stop
assert end == len(buffer), "bytes after the last tensor"
print("ok")
