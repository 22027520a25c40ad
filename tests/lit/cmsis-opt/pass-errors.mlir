// RUN: not cmsis-opt %s -p 'frobnicate' 2>&1 | filecheck %s --check-prefix=UNKNOWN
// RUN: not cmsis-opt %s -p 'bufferize{colour=red}' 2>&1 | filecheck %s --check-prefix=OPTION
// RUN: not cmsis-opt %s -p 'bufferize{' 2>&1 | filecheck %s --check-prefix=SYNTAX
// RUN: not cmsis-opt %s --frobnicate 2>&1 | filecheck %s --check-prefix=FLAG
// Pipeline mistakes are one `error:` line, before any input is read.

// UNKNOWN: error: cmsis-opt: unknown pass 'frobnicate' (known: quantize, bufferize,
// UNKNOWN-NOT: Traceback
// OPTION: error: cmsis-opt: bad options for pass 'bufferize': {{.*}}colour
// SYNTAX: error: cmsis-opt: cannot parse pass pipeline 'bufferize{':
// FLAG: error: cmsis-opt: unknown pass or option '--frobnicate' (cmsis-opt --help lists the passes)
func.func @f() {
  func.return
}
