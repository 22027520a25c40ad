// RUN: not cmsis-opt %s -p 'bufferise' 2>&1 | filecheck %s --check-prefix=UNKNOWN
// RUN: not cmsis-opt %s -p 'bufferize{colour=red}' 2>&1 | filecheck %s --check-prefix=OPTION
// RUN: not cmsis-opt %s -p 'bufferize{' 2>&1 | filecheck %s --check-prefix=SYNTAX
// RUN: not cmsis-opt %s --frobnicate 2>&1 | filecheck %s --check-prefix=FLAG
// RUN: not cmsis-opt %s --liveness=order=fastest 2>&1 | filecheck %s --check-prefix=VALUE
// RUN: not cmsis-opt %s --inplace-alias=target=cortex-m55 2>&1 | filecheck %s --check-prefix=TARGET
// RUN: not cmsis-opt %s --attach-target=core=cortex-m5 2>&1 | filecheck %s --check-prefix=CORE
// Pipeline mistakes are usage errors: one `error:` line, exit status 2, before any input is read.

// UNKNOWN: error: cmsis-opt: unknown pass 'bufferise' (did you mean 'bufferize'?) (cmsis-opt --help lists the passes)
// UNKNOWN-NOT: Traceback
// OPTION: error: pass 'bufferize': no option 'colour'; its options: none
// SYNTAX: error: cmsis-opt: cannot parse pass pipeline 'bufferize{':
// FLAG: error: cmsis-opt: unknown option '--frobnicate' (cmsis-opt --help lists the passes and options)
// VALUE: error: pass 'liveness': option 'order' must be one of given, min-memory; got 'fastest'
// TARGET: error: pass 'inplace-alias': no option 'target'; the target is set once, with --attach-target="core=NAME" (or cmsis-compile --target); its options: kernel-switch, allow-undocumented
// CORE: error: pass 'attach-target': option 'core' must be one of cortex-m0, cortex-m0plus, cortex-m3, cortex-m4, cortex-m7, cortex-m33, cortex-m35p, cortex-m55, cortex-m85; got 'cortex-m5' (did you mean 'cortex-m55'?)
func.func @f() {
  func.return
}
