"""Benchmarks: quality and speed of this project beside rank_bm25, bm25s and plain FAISS.

Run ``python -m bench`` (or ``qa bench``) from the repository root; see bench/__main__.py.
"""
