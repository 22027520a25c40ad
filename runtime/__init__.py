"""The portable C99 implementation of the CMSIS-NN API subset the generated code calls (see README.md).

Shipped as package data (`include/`, `src/`, `qemu/`): `cmsis_opt.hostbuild` compiles it
into host programs when no CMSIS-NN is given.
"""
