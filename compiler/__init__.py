"""cmsis-opt: neural networks to CMSIS-NN C in the least RAM the kernels allow."""
