"""Writes the .npy fixtures that NPYTests decodes. Run from this directory: python3 make_fixtures.py"""
import numpy as np

def save(name, array, version=None):
    with open(name, "wb") as f:
        np.lib.format.write_array(f, array, version=version, allow_pickle=True)

# Supported files.
save("f32_2x3.npy", (np.arange(6, dtype="<f4") * 0.5 - 1).reshape(2, 3))
save("f64_scalar.npy", np.array(3.25, dtype="<f8"))
save("i32_vector.npy", np.array([-2**31, -1, 0, 7, 2**31 - 1], dtype="<i4"))
save("i64_2x3x4.npy", (np.arange(24, dtype="<i8") - 12).reshape(2, 3, 4) * 10**12)
save("bool_2x2.npy", np.array([[True, False], [False, True]]))
save("f32_empty_0x3.npy", np.zeros((0, 3), dtype="<f4"))
save("f64_v2.npy", np.array([1.5, -2.0, 1e300], dtype="<f8"), version=(2, 0))
save("i32_v3.npy", np.array([[1, 2], [3, 4]], dtype="<i4"), version=(3, 0))

# Unsupported files.
save("f32_big_endian.npy", np.array([1.0, 2.0], dtype=">f4"))
save("f32_fortran.npy", np.asfortranarray(np.arange(6, dtype="<f4").reshape(2, 3)))
save("object.npy", np.array([1, "a"], dtype=object))
save("i16.npy", np.array([1, 2], dtype="<i2"))
save("structured.npy", np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")]))
