# cffi_modules has no pyproject equivalent; this file exists only to compile the C kernels during install.
from setuptools import setup

setup(cffi_modules=["native/build_native.py:ffibuilder"])
