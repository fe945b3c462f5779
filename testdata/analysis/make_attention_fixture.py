"""Writes attention_1x2x3.npy: two records [1 layer, 2 heads, 3, 3] whose metrics have
closed forms (tools/analysis_tools_test.sh checks them). python3 make_attention_fixture.py"""
import numpy as np

uniform = np.tril(np.ones((3, 3))) / np.arange(1, 4)[:, None]
diagonal = np.eye(3)
column0 = np.zeros((3, 3))
column0[:, 0] = 1
with open('attention_1x2x3.npy', 'wb') as f:
    np.save(f, np.array([[uniform, diagonal]], dtype=np.float32))
    np.save(f, np.array([[column0, diagonal]], dtype=np.float32))
