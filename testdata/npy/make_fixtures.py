"""Writes the .npy fixtures of lib/io/npy_test.cc with numpy itself (python3 make_fixtures.py)."""
import numpy as np

a = np.arange(6, dtype=np.float32).reshape(2, 3) / 8
b = np.array([[[[0.5, -1.25], [3.0, 1e-3]]]], dtype=np.float32)
with open('two_records.npy', 'wb') as f:  # a concatenated stream, as np.load(f) reads it
    np.save(f, a)
    np.save(f, b)
with open('one_d.npy', 'wb') as f:
    np.save(f, np.array([7.0], dtype=np.float32))
with open('v2.npy', 'wb') as f:
    np.lib.format.write_array(f, a, version=(2, 0))
with open('v3.npy', 'wb') as f:
    np.lib.format.write_array(f, a, version=(3, 0))
with open('f8.npy', 'wb') as f:
    np.save(f, a.astype(np.float64))
with open('fortran.npy', 'wb') as f:
    np.save(f, np.asfortranarray(a))
