"""cmsis-opt: neural networks to CMSIS-NN C in the least RAM the kernels allow."""

__version__ = "0.1.0"
